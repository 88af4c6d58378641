import { readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { EnvContract, EnvDeclaration } from '../../src/internal';
import { cleanTempDirs, TAU } from '../helpers/synth';
import { baseObjects, synthWithTarget, TAU_K8S } from './k8s-helpers';

/**
 * The Kubernetes target reads the model's handles (the EnvVar objects, the worker count), never a variable's
 * name: renamed where the parts declare them, the variables reach both targets under their new names, with the
 * values the cluster gives them.
 */

const RENAMED: Record<string, string> = {
  DJANGO_ALLOWED_HOSTS: 'SITE_HOSTS',
  DJANGO_CSRF_TRUSTED_ORIGINS: 'SITE_ORIGINS',
  WEB_CONCURRENCY: 'GUNICORN_WORKERS',
  POSTGRES_HOST: 'DATABASE_HOST',
};

afterAll(cleanTempDirs);

test('variables renamed where the parts declare them reach compose and the cluster under their new names', () => {
  // GIVEN every variable of RENAMED declared under its new name, and 3 workers
  const add = EnvContract.prototype.add;
  const spy = jest.spyOn(EnvContract.prototype, 'add').mockImplementation(function (this: EnvContract, name: string, declaration: EnvDeclaration) {
    return add.call(this, RENAMED[name] ?? name, declaration);
  });
  try {
    const { target, outdir } = synthWithTarget({ ...TAU, web: { ...TAU.web, workers: 3 } }, TAU_K8S);
    const compose = parse(readFileSync(join(outdir, 'docker-compose.yml'), 'utf-8'));
    const config = baseObjects(outdir).find((o) => o.kind === 'ConfigMap' && o.metadata.name === target.plan.configMapName)!;
    console.log(`compose web: ${Object.keys(compose.services.web.environment).join(' ')}\nConfigMap: ${JSON.stringify(config.data)}`);
    // THEN compose's web reads the new names, and none of the old
    for (const [old, renamed] of Object.entries(RENAMED)) {
      expect(Object.keys(compose.services.web.environment)).toContain(renamed);
      expect(Object.keys(compose.services.web.environment)).not.toContain(old);
      expect(Object.keys(config.data)).not.toContain(old);
    }
    // AND the cluster's ConfigMap gives the new names the Ingress's host, the worker count and the database's Service
    expect(config.data).toMatchObject({ SITE_HOSTS: 'tau.example.com', SITE_ORIGINS: 'http://tau.example.com', GUNICORN_WORKERS: '3', DATABASE_HOST: 'db' });
    // AND the worker count the cluster checks the database's connections with is the model's, not a name read back
    expect(target.plan.stack.workers).toBe(3);
    // AND web and migrate, which read the renamed database address, are still the database's clients
    expect(target.plan.databaseClients.map((s) => s.name).sort()).toEqual(['migrate', 'web']);
  } finally {
    spy.mockRestore();
  }
});
