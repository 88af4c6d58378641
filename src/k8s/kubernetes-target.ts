import { existsSync, readFileSync } from 'fs';
import { join, posix } from 'path';
import { Component, Project } from 'projen';
import { addProblemCheck, applyOverride, ManagedFile, Override, overridePath, Problem } from '../core';
import type { DjangoStack } from '../stack';
import { KubernetesTargetOptions } from './kubernetes-options';
import { KubernetesPlan, KubernetesStackView } from './kubernetes-plan';
import { KubernetesBase, renderKubernetes, renderKustomizationYaml, renderManifestYaml } from './render-k8s';
import { renderSecretScript } from './render-secret-script';
import { validateKubernetes } from './validate-kubernetes';

/**
 * The stack on Kubernetes: a kustomize base under `k8s/`, rendered from the same model as the compose file
 * (services, ports, images, variables, probes, volumes, the nginx site), applied with `kubectl apply -k k8s/`.
 *
 *   new KubernetesTarget(stack, { replicas: 3, ingress: { className: 'nginx', host: 'tau.example.com' } });
 *
 * Its problems join the stack's in the one list that refuses synthesis before any file is written: the
 * target is a node of the stack's tree, and adds its check there.
 */
export class KubernetesTarget extends Component {
  /** The directory of the base, relative to the repository. */
  public static readonly DIR = 'k8s';
  /** The task that makes the Secret from `.env`. */
  public static readonly SECRET_TASK = 'k8s:secret';

  private readonly stack: DjangoStack;
  private readonly options: KubernetesTargetOptions;
  private readonly overrides: (Override & { readonly kind: string; readonly name: string })[] = [];
  private files?: ManagedFile[];
  /** The variable that tells web it connects through PgBouncer in transaction mode (cloudnative-pg). */
  private readonly transactionPoolerVariable?: string;

  constructor(stack: DjangoStack, options: KubernetesTargetOptions = {}) {
    super(stack);
    this.stack = stack;
    this.options = options;
    addProblemCheck(this, this);

    if (options.database === 'cloudnative-pg') this.transactionPoolerVariable = stack.app.connectsThroughTransactionPooler();

    const project = Project.of(stack);
    project.addTask(KubernetesTarget.SECRET_TASK, {
      description: `Make the cluster's Secret from ${stack.envFile} (its secret variables only), with kubectl`,
      exec: `sh ${KubernetesTarget.DIR}/create-secret.sh`,
    });
    // Secrets reach the cluster from the .env beside .projenrc.ts only; one put in the base (for a secretGenerator,
    // say) stays out of git all the same.
    project.gitignore.exclude(`/${KubernetesTarget.DIR}/**/.env*`);
    // The base is applied from the repository, never copied into the image.
    stack.dockerIgnore.addGroup({ why: 'The Kubernetes base: applied to the cluster, not run in the image', patterns: [KubernetesTarget.DIR] });
  }

  /** The stack as the cluster runs it, from the model as it is now (services may be added after the target). */
  public get plan(): KubernetesPlan {
    const s = this.stack;
    const view: KubernetesStackView = {
      name: s.djangoProject,
      get services() { return s.services; },
      get volumes() { return s.volumes; },
      env: s.env,
      db: s.db,
      dbData: s.postgres.data,
      databaseAddress: { host: s.postgres.env.host, port: s.postgres.env.port },
      databaseRoles: {
        name: s.postgres.env.name,
        owner: { user: s.postgres.env.user, password: s.postgres.env.password },
        web: { user: s.postgres.env.web.user, password: s.postgres.env.web.password },
      },
      postgresVersion: s.postgresVersion,
      dbArchive: s.postgres.archive && {
        baseImage: s.postgres.archive.baseImage.ref, volume: s.postgres.archive.repository, files: s.postgres.archive.files,
        args: s.postgres.archive.commandWithoutArchive,
      },
      web: s.web,
      webUser: { uid: s.image.uid },
      djangoHosts: s.djangoEnv,
      roleOf: (service) => s.roleOf(service),
      nginx: s.nginx,
      site: s.site,
      staticFiles: s.staticFiles,
      mediaFiles: s.mediaFiles,
      mediaEndpoint: s.s3Media?.env.endpoint,
      healthPath: s.healthPath,
      metrics: { port: s.app.metricsPort, path: s.app.metricsPath },
      tls: s.tls !== undefined,
      tlsAtNginx: s.tls?.terminatesAtNginx ?? false,
      workers: s.app.workerCount,
      transactionPoolerVariable: this.transactionPoolerVariable,
      databaseConnections: {
        perWorker: s.app.databaseConnectionsPerWorker, maxConnections: s.postgres.maxConnections, reservedConnections: s.postgres.reservedConnections,
      },
      fileContent: (source) => {
        const file = s.project.tryFindFile(source);
        if (file instanceof ManagedFile) return file.content();
        // An external database's CA certificate: the repository's own file (postgres.external checks it is one).
        const ca = s.postgres.external?.caFile;
        const path = join(s.project.outdir, source);
        return source === ca && existsSync(path) ? readFileSync(path, 'utf-8') : undefined;
      },
    };
    return new KubernetesPlan(view, this.options);
  }

  /**
   * Sets a key the model has no option for in one object of the base, by its kind, name and dotted path, after
   * the model is rendered: `addOverride('Deployment', 'web', 'spec.template.spec.priorityClassName', 'high')`.
   * Nothing checks it but the API server: prefer an option of the target where there is one. An object of that
   * kind and name must exist. A `.` inside a key is written `\\.`.
   */
  public addOverride(kind: string, name: string, path: string, value: unknown): this {
    this.overrides.push({ kind, name, path: overridePath(path), value });
    return this;
  }

  /** Removes a key from one object of the base: `addDeletionOverride('Deployment', 'web', 'spec.strategy')`. */
  public addDeletionOverride(kind: string, name: string, path: string): this {
    this.overrides.push({ kind, name, path: overridePath(path), value: undefined });
    return this;
  }

  /** What the cluster cannot run as declared; empty when the base can be written. */
  public validate(): Problem[] {
    const problems = validateKubernetes(this.plan);
    if (problems.length > 0 || this.overrides.length === 0) return problems;
    const objects = renderKubernetes(this.plan, '').manifests.flatMap((m) => m.objects.map((o) => o.object));
    return this.overrides
      .filter((o) => !objects.some((x) => x.kind === o.kind && x.metadata?.name === o.name))
      .map((o) => ({
        component: 'kubernetes', field: `override of ${o.kind}/${o.name}`, value: o.path.join('.'),
        allowed: `an object of the base: ${objects.map((x) => `${x.kind}/${x.metadata?.name}`).join(', ')}`,
      }));
  }

  /**
   * Runs after the stack's check (it is the stack's child), which listed this target's problems with its own:
   * declares the base's files, one per manifest, now that every service of `.projenrc.ts` is known.
   */
  public preSynthesize(): void {
    if (this.files) return;
    const plan = this.plan;
    const at = (path: string) => posix.join(KubernetesTarget.DIR, path);
    // Rendered once for every file of the base, which all carry the same marker.
    let rendered: { marker: string; base: KubernetesBase } | undefined;
    const base = (marker: string) => {
      if (rendered?.marker !== marker) rendered = { marker, base: this.withOverrides(renderKubernetes(plan, marker)) };
      return rendered.base;
    };
    const kustomization = new ManagedFile(this, at('kustomization.yaml'), { render: (marker) => renderKustomizationYaml(base(marker), plan, marker) });
    this.files = [
      kustomization,
      ...base(kustomization.marker ?? '').manifests.map((m) => new ManagedFile(this, at(m.path), {
        render: (marker) => renderManifestYaml(base(marker).manifests.find((x) => x.path === m.path)!, marker),
      })),
      new ManagedFile(this, at('create-secret.sh'), {
        executable: true,
        render: (marker) => renderSecretScript({
          secretName: plan.secretName,
          namespace: plan.namespace,
          names: this.stack.env.all.filter((v) => v.secret && plan.services.some((s) => s.environment.includes(v))).map((v) => v.name),
          envFile: this.stack.envFile,
          namespaceManifest: plan.createNamespace ? 'namespace.yaml' : undefined,
          roleSecrets: plan.cnpgRoles.map((r) => ({ secret: r.secret, user: r.user, password: r.password.name })),
        }, marker),
      }),
    ];
  }

  /** The base with the overrides applied to their objects. */
  private withOverrides(base: KubernetesBase): KubernetesBase {
    for (const o of this.overrides) {
      for (const m of base.manifests) {
        for (const { object } of m.objects) {
          if (object.kind === o.kind && object.metadata?.name === o.name) applyOverride(object as unknown as Record<string, unknown>, o);
        }
      }
    }
    return base;
  }
}
