/**
 * What `.projenrc.ts` needs: the stack and its options, the model's objects a user adds or reaches through the
 * stack (services, their images, variables, networks, volumes, healthchecks), the Kubernetes target, the CI
 * workflow, and the error a refused stack raises. Renderers, option-key tables and the other parts' internals
 * are not here (src/internal.ts has them, for this repository's tests): a test lists these names, so growing
 * the public surface is a decision, not a side effect.
 */

// The stack
export { DjangoStack } from './stack/django-stack';
export type { DjangoStackOptions } from './stack/django-stack';
export type { DjangoOptions, FilesOptions, WebOptions } from './stack/parts/django-app';
export type { NginxOptions } from './stack/parts/nginx-proxy';
export type { ExternalPostgresOptions, PostgresOptions } from './stack/parts/postgres';
export type { TlsMode, TlsOptions } from './django/tls';
export type { MediaOptions, MediaStorageKind } from './django/media-storage';
export type { DatabasePoolOptions } from './django/database-pool';
export type { PythonImageOptions } from './docker/python-image';
export type { SbomOptions } from './sbom/image-sbom';
export type { MonitoringOptions } from './stack/parts/monitoring';
export type { AlertThresholds } from './monitoring/prometheus-config';
export type { ExporterOptions } from './stack/parts/exporters';

// What a user adds to it, or reaches through it (stack.web, stack.addService, stack.env, ...)
export { EnvVar, Healthcheck, Image, Network, Service, Volume } from './model';
export type {
  BuildImageOptions, Dependency, DependsOnOptions, DevelopmentOverride, EnvDeclaration, EnvVarOptions, FileMount,
  HealthcheckOptions, HealthProbe, MountOptions, NetworkOptions, PublishedPort, ResourceLimits, SecretKind,
  ServiceOptions, VolumeMount, VolumeOptions,
} from './model';
export type { EnvContract } from './model/env-contract';
export type { ComposeFile } from './compose/compose-file';
export type { DockerIgnore, IgnoreGroup } from './docker/dockerignore';
export { Duration } from './core/duration';

// Kubernetes
export { KubernetesTarget } from './k8s/kubernetes-target';
export type {
  AccessMode, AutoscalingOptions, CloudNativePgBackupOptions, CloudNativePgOptions, CloudNativePgRecoveryOptions, DatabaseMode, EgressRule,
  ExternalDatabaseOptions, IngressOptions, KubernetesServiceOptions, KubernetesTargetOptions, ResourceOptions, StorageOptions,
} from './k8s/kubernetes-options';

// CI
export { CiWorkflow } from './ci/ci-workflow';
export type { CiWorkflowOptions } from './ci/ci-workflow';

// A refused stack
export { StackValidationError } from './core/problem';
export type { Problem } from './core/problem';
