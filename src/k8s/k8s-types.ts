/**
 * The Kubernetes API objects the target writes, as plain typed objects: the subset of the API (1.32) that the
 * renderers use, with the API's own field names, so an object here is assignable to the matching type of the
 * npm package `kubernetes-types` (a test checks that it compiles against it when the package is installed).
 *
 * Plain objects and the `yaml` package cost nothing measurable at synthesis; cdk8s-plus adds 120-145 ms and
 * kubernetes-models about 330 ms to every `npx projen` (FIELD-NOTES.md, "Library choice").
 */

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: { [key: string]: string };
  annotations?: { [key: string]: string };
}

export interface LabelSelector {
  matchLabels?: { [key: string]: string };
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
  };
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

export interface Probe {
  exec?: { command: string[] };
  httpGet?: { path: string; port: number | string };
  tcpSocket?: { port: number | string };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
  successThreshold?: number;
}

export interface ResourceRequirements {
  requests?: { [name: string]: string };
  limits?: { [name: string]: string };
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: 'RuntimeDefault' | 'Localhost' | 'Unconfined' };
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  command?: string[];
  args?: string[];
  ports?: ContainerPort[];
  env?: EnvVar[];
  volumeMounts?: VolumeMount[];
  resources?: ResourceRequirements;
  securityContext?: SecurityContext;
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number }; exec?: { command: string[] } } };
}

export interface Volume {
  name: string;
  emptyDir?: { medium?: string; sizeLimit?: string };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  configMap?: { name: string; items?: { key: string; path: string }[]; defaultMode?: number };
}

export interface PodSecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  fsGroupChangePolicy?: 'OnRootMismatch' | 'Always';
  seccompProfile?: { type: 'RuntimeDefault' | 'Localhost' | 'Unconfined' };
  sysctls?: { name: string; value: string }[];
}

export interface PodAffinityTerm {
  labelSelector?: LabelSelector;
  topologyKey: string;
}

export interface PodSpec {
  automountServiceAccountToken?: boolean;
  enableServiceLinks?: boolean;
  securityContext?: PodSecurityContext;
  terminationGracePeriodSeconds?: number;
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  affinity?: { podAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[] } };
  initContainers?: Container[];
  containers: Container[];
  volumes?: Volume[];
}

export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec?: PodSpec;
}

export interface PersistentVolumeClaimSpec {
  accessModes?: string[];
  storageClassName?: string;
  resources?: { requests?: { storage: string } };
}

interface Obj<A extends string, K extends string> {
  apiVersion: A;
  kind: K;
  metadata?: ObjectMeta;
}

export interface Namespace extends Obj<'v1', 'Namespace'> {}

export interface ConfigMap extends Obj<'v1', 'ConfigMap'> {
  data?: { [key: string]: string };
}

export interface PersistentVolumeClaim extends Obj<'v1', 'PersistentVolumeClaim'> {
  spec?: PersistentVolumeClaimSpec;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

export interface Service extends Obj<'v1', 'Service'> {
  spec?: {
    type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
    clusterIP?: string;
    publishNotReadyAddresses?: boolean;
    selector?: { [key: string]: string };
    ports?: ServicePort[];
  };
}

export interface Deployment extends Obj<'apps/v1', 'Deployment'> {
  spec?: {
    replicas?: number;
    revisionHistoryLimit?: number;
    selector: LabelSelector;
    strategy?: { type?: 'RollingUpdate' | 'Recreate'; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
    template: PodTemplateSpec;
  };
}

export interface StatefulSet extends Obj<'apps/v1', 'StatefulSet'> {
  spec?: {
    serviceName: string;
    replicas?: number;
    selector: LabelSelector;
    template: PodTemplateSpec;
    volumeClaimTemplates?: { metadata?: ObjectMeta; spec?: PersistentVolumeClaimSpec }[];
    persistentVolumeClaimRetentionPolicy?: { whenDeleted?: 'Retain' | 'Delete'; whenScaled?: 'Retain' | 'Delete' };
  };
}

export interface Job extends Obj<'batch/v1', 'Job'> {
  spec?: {
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    ttlSecondsAfterFinished?: number;
    template: PodTemplateSpec;
  };
}

export interface PodDisruptionBudget extends Obj<'policy/v1', 'PodDisruptionBudget'> {
  spec?: { selector?: LabelSelector; maxUnavailable?: number | string; minAvailable?: number | string };
}

export interface HorizontalPodAutoscaler extends Obj<'autoscaling/v2', 'HorizontalPodAutoscaler'> {
  spec?: {
    scaleTargetRef: { apiVersion?: string; kind: string; name: string };
    minReplicas?: number;
    maxReplicas: number;
    metrics?: { type: 'Resource'; resource: { name: string; target: { type: 'Utilization'; averageUtilization: number } } }[];
  };
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

export interface NetworkPolicyPort {
  port?: number | string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

export interface NetworkPolicy extends Obj<'networking.k8s.io/v1', 'NetworkPolicy'> {
  spec?: {
    podSelector: LabelSelector;
    policyTypes?: ('Ingress' | 'Egress')[];
    ingress?: { from?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
    egress?: { to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
  };
}

export interface Ingress extends Obj<'networking.k8s.io/v1', 'Ingress'> {
  spec?: {
    ingressClassName?: string;
    tls?: { hosts?: string[]; secretName?: string }[];
    rules?: {
      host?: string;
      http?: { paths: { path?: string; pathType: 'Prefix' | 'Exact' | 'ImplementationSpecific'; backend: { service?: { name: string; port?: { number?: number; name?: string } } } }[] };
    }[];
  };
}

/** The Prometheus Operator's PodMonitor (a CustomResourceDefinition, not in kubernetes-types): the fields the base uses. */
export interface PodMonitor extends Obj<'monitoring.coreos.com/v1', 'PodMonitor'> {
  spec: {
    selector: LabelSelector;
    podMetricsEndpoints: { port: string; path: string; interval?: string }[];
  };
}

/** Every object the target writes. */
/** An object of an operator's API (CloudNativePG's `Cluster`, `Pooler`, `ScheduledBackup`): its CRD checks the spec. */
export interface CustomObject {
  apiVersion: `${string}/${string}`;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}

export type KubernetesObject =
  | Namespace | ConfigMap | PersistentVolumeClaim | Service | Deployment | StatefulSet | Job
  | PodDisruptionBudget | HorizontalPodAutoscaler | NetworkPolicy | Ingress | PodMonitor | CustomObject;

/** `kustomization.yaml` (kustomize.config.k8s.io/v1beta1), the fields the base uses. */
export interface Kustomization {
  apiVersion: 'kustomize.config.k8s.io/v1beta1';
  kind: 'Kustomization';
  resources: string[];
}

/** One object of a manifest, with the comment written above it and above some of its keys. */
export interface ManifestObject {
  readonly object: KubernetesObject;
  readonly comment?: string;
  /** Comments above keys, by their path in the object. */
  readonly notes?: readonly { readonly path: readonly (string | number)[]; readonly text: string }[];
}
