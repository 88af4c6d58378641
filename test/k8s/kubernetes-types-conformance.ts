/**
 * Type-checked with test/ (`tsc --noEmit -p test/tsconfig.json`, the test task's first step), never run: the
 * objects the renderers write (src/k8s/k8s-types.ts, a subset of the API kept in the repository so that
 * synthesis loads no Kubernetes library) are assignable to the npm package `kubernetes-types`, the API's own
 * definitions. A field misspelt or mistyped in the subset stops the type-check here.
 */
import type { Deployment, StatefulSet } from 'kubernetes-types/apps/v1';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2';
import type { Job } from 'kubernetes-types/batch/v1';
import type { ConfigMap, Namespace, PersistentVolumeClaim, Service } from 'kubernetes-types/core/v1';
import type { Ingress, NetworkPolicy } from 'kubernetes-types/networking/v1';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import type { k8s } from '../../src/internal';

type Assignable<Ours, Theirs> = Ours extends Theirs ? true : never;

export const conformance: [
  Assignable<k8s.Deployment, Deployment>,
  Assignable<k8s.StatefulSet, StatefulSet>,
  Assignable<k8s.Job, Job>,
  Assignable<k8s.ConfigMap, ConfigMap>,
  Assignable<k8s.Namespace, Namespace>,
  Assignable<k8s.PersistentVolumeClaim, PersistentVolumeClaim>,
  Assignable<k8s.Service, Service>,
  Assignable<k8s.Ingress, Ingress>,
  Assignable<k8s.NetworkPolicy, NetworkPolicy>,
  Assignable<k8s.PodDisruptionBudget, PodDisruptionBudget>,
  Assignable<k8s.HorizontalPodAutoscaler, HorizontalPodAutoscaler>,
] = [true, true, true, true, true, true, true, true, true, true, true];
