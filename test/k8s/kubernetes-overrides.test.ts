import { KubernetesTarget, StackValidationError } from '../../src/internal';
import { cleanTempDirs, newStack, readTree, TAU } from '../helpers/synth';
import { baseObjects, Obj, TAU_K8S } from './k8s-helpers';

/** The escape hatch of the Kubernetes base: a key the target has no option for, set in one object as rendered. */

afterAll(cleanTempDirs);

const find = (objects: Obj[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;

test('addOverride sets a key of one object, addDeletionOverride removes one; kustomize renders the base', () => {
  const { project, stack, outdir } = newStack(TAU);
  new KubernetesTarget(stack, TAU_K8S)
    .addOverride('Deployment', 'web', 'spec.template.spec.priorityClassName', 'high-priority')
    .addOverride('Deployment', 'web', 'metadata.annotations.example\\.com/team', 'web')
    .addDeletionOverride('Deployment', 'nginx', 'spec.strategy');
  project.synth();
  const objects = baseObjects(outdir);
  const web = find(objects, 'Deployment', 'web');
  expect(web.spec.template.spec.priorityClassName).toBe('high-priority');
  expect(web.metadata.annotations?.['example.com/team']).toBe('web');
  // The model's own keys are all still there.
  expect(web.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
  expect(find(objects, 'Deployment', 'nginx').spec.strategy).toBeUndefined();
  expect(find(objects, 'Deployment', 'nginx').spec.template).toBeDefined();
});

test('an override of an object the base does not have is refused with the objects it has, and nothing is written', () => {
  const { project, stack, outdir } = newStack(TAU);
  new KubernetesTarget(stack, TAU_K8S).addOverride('Deployment', 'wbe', 'spec.replicas', 3);
  expect(() => project.synth()).toThrow(StackValidationError);
  expect(() => project.synth()).toThrow(/kubernetes: override of Deployment\/wbe = "spec.replicas"; an object of the base: [^]*Deployment\/web/);
  expect([...readTree(outdir).keys()]).toEqual([]);
});
