import { optionKeys } from '../core';

/** CPU and memory of one container: what the scheduler reserves and the most it may use. */
export interface ResourceOptions {
  /**
   * CPU reserved, in cores or millicores.
   * @example '250m'
   */
  readonly cpu?: string;
  /**
   * Memory reserved.
   * @example '256Mi'
   */
  readonly memory?: string;
  /**
   * Most CPU the container may use (it is throttled above).
   * @example '1'
   */
  readonly cpuLimit?: string;
  /**
   * Most memory the container may use (it is killed above).
   * @example '512Mi'
   */
  readonly memoryLimit?: string;
}

export const RESOURCE_OPTION_KEYS = optionKeys<ResourceOptions>()({ cpu: true, memory: true, cpuLimit: true, memoryLimit: true });

/** The web Deployment scaled by CPU (autoscaling/v2). */
export interface AutoscalingOptions {
  /**
   * Fewest web pods.
   * @default - `replicas`
   */
  readonly minReplicas?: number;
  /** Most web pods. */
  readonly maxReplicas: number;
  /**
   * Average CPU use, in percent of the pods' CPU request, that the autoscaler keeps them at.
   * @default 70
   */
  readonly cpuUtilization?: number;
}

export const AUTOSCALING_OPTION_KEYS = optionKeys<AutoscalingOptions>()({ minReplicas: true, maxReplicas: true, cpuUtilization: true });

/** The Ingress in front of nginx: the cluster's ingress controller routes the site's traffic to it. */
export interface IngressOptions {
  /**
   * The IngressClass (which controller serves it).
   * @default - the cluster's default IngressClass
   * @example 'nginx'
   */
  readonly className?: string;
  /**
   * Host name the site is reached by. Also becomes Django's ALLOWED_HOSTS and CSRF trusted origin in the
   * cluster's ConfigMap, unless `environment` sets them.
   * @default - every host (a rule without host), and Django's defaults for the allowed hosts
   * @example 'tau.example.com'
   */
  readonly host?: string;
  /**
   * Secret of type kubernetes.io/tls holding the host's certificate: TLS ends at the ingress controller. Needs
   * `host` and the stack's `tls` (with `trustedProxies`) (Django's secure cookies, HSTS, nginx passing X-Forwarded-Proto on).
   * @default - no TLS at the ingress
   */
  readonly tlsSecretName?: string;
  /**
   * A cert-manager ClusterIssuer that issues the certificate into `tlsSecretName` (annotation
   * `cert-manager.io/cluster-issuer`).
   * @default - the operator provides the certificate
   * @example 'letsencrypt'
   */
  readonly clusterIssuer?: string;
}

export const INGRESS_OPTION_KEYS = optionKeys<IngressOptions>()({ className: true, host: true, tlsSecretName: true, clusterIssuer: true });

export type AccessMode = 'ReadWriteOnce' | 'ReadWriteMany';

/** PersistentVolumeClaims: PostgreSQL's data, the uploaded media, and any other volume of the stack. */
export interface StorageOptions {
  /**
   * StorageClass of every claim.
   * @default - the cluster's default StorageClass
   */
  readonly className?: string;
  /**
   * Size of PostgreSQL's data claim.
   * @default '10Gi'
   */
  readonly databaseSize?: string;
  /**
   * Size of the media claim (uploads).
   * @default '10Gi'
   */
  readonly mediaSize?: string;
  /**
   * How the media claim is shared. Every web pod writes uploads and every nginx pod serves them, so pods on
   * several nodes need `ReadWriteMany`: a StorageClass whose provisioner offers it (NFS, CephFS, EFS, Azure
   * Files, Filestore, Longhorn RWX). With `ReadWriteOnce` every pod that mounts the claim is scheduled onto
   * the node of the first (a required pod affinity), which fits a one-node cluster or a small site.
   * @default 'ReadWriteMany'
   */
  readonly mediaAccessMode?: AccessMode;
  /**
   * Size of the claim of every other volume the stack declares (`stack.addVolume`).
   * @default '1Gi'
   */
  readonly volumeSize?: string;
}

export const STORAGE_OPTION_KEYS = optionKeys<StorageOptions>()({
  className: true, databaseSize: true, mediaSize: true, mediaAccessMode: true, volumeSize: true,
});

/** A PostgreSQL the cluster does not run (a managed database). */
export interface ExternalDatabaseOptions {
  /**
   * Its host name; becomes POSTGRES_HOST in the cluster's ConfigMap.
   * @example 'tau.abc123.eu-west-1.rds.amazonaws.com'
   */
  readonly host: string;
  /**
   * Its port; becomes POSTGRES_PORT.
   * @default 5432
   */
  readonly port?: number;
}

export const EXTERNAL_DATABASE_OPTION_KEYS = optionKeys<ExternalDatabaseOptions>()({ host: true, port: true });

/** Where PostgreSQL runs for the cluster's pods. */
export type DatabaseMode = 'statefulset' | 'cloudnative-pg' | 'external';
export const DATABASE_MODES: readonly DatabaseMode[] = ['statefulset', 'cloudnative-pg', 'external'];

/** WAL archiving and base backups of a CloudNativePG cluster to an object store bucket. */
export interface CloudNativePgBackupOptions {
  /**
   * The bucket and prefix the WAL and base backups go to.
   * @example 's3://tau-backups/db'
   */
  readonly destinationPath: string;
  /**
   * The object store's URL, for an S3-compatible store other than AWS's.
   * @default - AWS S3
   * @example 'https://minio.storage.svc:9000'
   */
  readonly endpointUrl?: string;
  /**
   * The Secret (in the stack's namespace) holding the store's keys, as ACCESS_KEY_ID and ACCESS_SECRET_KEY.
   * @default '<cluster>-backup-credentials'
   */
  readonly credentialsSecret?: string;
  /**
   * When the base backup runs: a cron expression with seconds (six fields), in the operator's time zone.
   * @default '0 0 3 * * *' (03:00 every day)
   */
  readonly schedule?: string;
  /**
   * How long backups and WAL are kept, such as 30d, 4w or 3m.
   * @default '30d'
   */
  readonly retention?: string;
  /**
   * The addresses (CIDR) the instances reach the store at, for their egress policy.
   * @default - any address, on the endpoint's port (443 for AWS)
   */
  readonly to?: string;
  /**
   * The folder of destinationPath this cluster archives into (destinationPath/serverName/). A cluster restored
   * from the bucket needs a new one: it must not write into the archive it was restored from.
   * @default - the Cluster's name ('db')
   * @example 'db-2'
   */
  readonly serverName?: string;
}

export const CLOUDNATIVE_PG_BACKUP_OPTION_KEYS = optionKeys<CloudNativePgBackupOptions>()({
  destinationPath: true, endpointUrl: true, credentialsSecret: true, schedule: true, retention: true, to: true, serverName: true,
});

/**
 * A Cluster made from the bucket's backups rather than empty: the newest base backup before the target, then the
 * archived WAL replayed up to it. Read only when the Cluster is created; nothing changes for one that exists.
 */
export interface CloudNativePgRecoveryOptions {
  /**
   * The serverName whose backups and WAL to restore, in backup.destinationPath (the Cluster's name by default:
   * 'db' for the first cluster).
   * @example 'db'
   */
  readonly from: string;
  /**
   * The moment to restore to (RFC 3339, with its offset): the last transaction committed before it is the last one
   * kept.
   * @default - the end of the archived WAL
   * @example '2026-12-06T09:30:00Z'
   */
  readonly targetTime?: string;
}

export const CLOUDNATIVE_PG_RECOVERY_OPTION_KEYS = optionKeys<CloudNativePgRecoveryOptions>()({ from: true, targetTime: true });

/** PostgreSQL as a CloudNativePG `Cluster` (`database: 'cloudnative-pg'`); its operator must be installed in the cluster. */
export interface CloudNativePgOptions {
  /**
   * PostgreSQL instances: one primary and the rest streaming replicas the operator promotes on failover.
   * @default 3
   */
  readonly instances?: number;
  /**
   * PgBouncer pods of the Pooler web connects through.
   * @default 2
   */
  readonly poolerInstances?: number;
  /**
   * The Kubernetes API server's addresses (CIDR) and port, as the pods reach it after the `kubernetes` Service
   * (`kubectl get endpoints kubernetes`): the instance manager in each PostgreSQL and PgBouncer pod talks to
   * it, and the namespace's default-deny egress would refuse it otherwise.
   * @example { to: '10.0.0.10/32', port: 6443 }
   */
  readonly apiServer: { readonly to: string; readonly port?: number };
  /** WAL archiving and scheduled base backups; `false` runs the cluster without any (its data then lives only on its volumes). */
  readonly backup: CloudNativePgBackupOptions | false;
  /**
   * Make the Cluster from the backups in backup's bucket (a disaster recovery, a point-in-time restore) rather than
   * empty. docs/KUBERNETES.md has the procedure.
   * @default - an empty database (initdb)
   */
  readonly recovery?: CloudNativePgRecoveryOptions;
  /**
   * A PodMonitor of the instances for the Prometheus Operator (its CRD must be installed).
   * @default false
   */
  readonly podMonitor?: boolean;
  /**
   * The namespace the operator runs in: the instances accept its connections (status, promotion) from there.
   * @default 'cnpg-system'
   */
  readonly operatorNamespace?: string;
}

export const CLOUDNATIVE_PG_OPTION_KEYS = optionKeys<CloudNativePgOptions>()({
  instances: true, poolerInstances: true, apiServer: true, backup: true, recovery: true, podMonitor: true, operatorNamespace: true,
});

/** How a service other than db, web, nginx and the migrations runs on Kubernetes (`stack.addService`). */
export interface KubernetesServiceOptions {
  /**
   * The numeric user its image runs as. Pods run as non-root users only, and Kubernetes can verify only a
   * number; a service on the web image gets the web image's user and needs none.
   * @example 999 (the redis and postgres images' own user)
   */
  readonly runAsUser?: number;
  /**
   * Directories the service writes to besides its volumes: the root filesystem is read-only, and each of these
   * is an empty directory of the pod (lost when the pod goes).
   * @default - the service's own `writablePaths` (compose's tmpfs), /tmp unless it says otherwise
   * @example ['/data']
   */
  readonly writablePaths?: string[];
  /**
   * Pods of the service.
   * @default 1
   */
  readonly replicas?: number;
}

export const KUBERNETES_SERVICE_OPTION_KEYS = optionKeys<KubernetesServiceOptions>()({ runAsUser: true, writablePaths: true, replicas: true });

/** A connection out of the namespace's pods that the stack's own wiring does not need: SMTP, an API, a managed service. */
export interface EgressRule {
  /**
   * Where to: an address or CIDR range.
   * @example '203.0.113.25/32'
   */
  readonly to: string;
  /**
   * The TCP ports allowed there.
   * @example [587]
   */
  readonly ports: number[];
  /**
   * The services whose pods may connect.
   * @default - every service on the web image (web, the migrations, workers)
   */
  readonly from?: string[];
}

export const EGRESS_RULE_KEYS = optionKeys<EgressRule>()({ to: true, ports: true, from: true });

export interface KubernetesTargetOptions {
  /**
   * The namespace every object goes into. nginx's upstream is the web Service's fully qualified name in it
   * (nginx's resolver does not search), so it is fixed here rather than by an overlay.
   * @default - the Django project's name in lower case, "_" as "-"
   */
  readonly namespace?: string;
  /**
   * Write the Namespace object (with the "restricted" Pod Security level enforced) into the base.
   * @default true
   */
  readonly createNamespace?: boolean;
  /**
   * The cluster's DNS domain.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
  /**
   * The DNS server nginx asks for the web Service's address.
   * @default - `kube-dns.kube-system.svc.<clusterDomain>`, the cluster DNS Service (CoreDNS keeps that name)
   */
  readonly dnsResolver?: string;
  /**
   * The web image as the cluster pulls it: a registry reference with its digest. The cluster cannot build it:
   * build and push it (`docker build -t <ref> . && docker push <ref>`), then take the digest the registry gave
   * it (`docker inspect --format '{{index .RepoDigests 0}}' <ref>`). By digest, every pod runs exactly the build
   * that was pushed, whatever is pushed under the same tag later.
   * @default - `<image tag>:local` (e.g. tau-web:local), for a local cluster the image is loaded into
   *   (`kind load docker-image`, `minikube image load`); pulled only if not present
   * @example 'ghcr.io/acme/tau-web:1.4.2@sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae'
   */
  readonly webImage?: string;
  /**
   * Accept a `webImage` with a tag and no digest: a pod started later may then run another build than the
   * pods before it, if the tag was pushed again.
   * @default false
   */
  readonly webImageByTag?: boolean;
  /**
   * Web pods. From 2 on, a PodDisruptionBudget keeps one serving through a node drain.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Scale the web pods by CPU with a HorizontalPodAutoscaler.
   * @default - a fixed number of pods (`replicas`)
   */
  readonly autoscaling?: AutoscalingOptions;
  /**
   * nginx pods.
   * @default 2
   */
  readonly proxyReplicas?: number;
  /**
   * The Ingress in front of nginx; `false` writes none (reach the nginx Service another way).
   * @default - an Ingress for every host on the default IngressClass
   */
  readonly ingress?: IngressOptions | false;
  /**
   * The addresses (CIDR) the ingress controller connects to nginx from: only from them does nginx take the
   * client's address from X-Forwarded-For (real_ip), so that the per-client limits (login pace, connections)
   * count each user, not the controller. Required with an Ingress. The controller's pods connect from the
   * cluster's pod network, the cluster's `--cluster-cidr` (defaults: flannel, kind and minikube 10.244.0.0/16;
   * Calico 192.168.0.0/16; Cilium 10.0.0.0/8; k3s 10.42.0.0/16; EKS, GKE and AKS with VPC-native networking
   * give pods their subnet's addresses). Any pod in that range may then claim a client address: give the
   * controller's own, narrower range when it has one.
   * @example ['10.244.0.0/16']
   */
  readonly trustedProxies?: string[];
  /**
   * Connections out of the namespace's pods besides what the stack's wiring needs. Every other connection out
   * is refused (a default-deny egress NetworkPolicy): DNS to the cluster's kube-dns pods, nginx to web, the
   * web image's pods to db, and what `stack.addService` wires are allowed already.
   * @default - nothing more
   * @example [{ to: '203.0.113.25/32', ports: [587] }]
   */
  readonly egress?: EgressRule[];
  /** @default - the cluster's default StorageClass, 10Gi for the database and media */
  readonly storage?: StorageOptions;
  /**
   * Where PostgreSQL runs: `statefulset`, one pod of the postgres image (no replica, no failover: for a small
   * site or a trial); `cloudnative-pg`, a CloudNativePG `Cluster` of instances with failover, a PgBouncer
   * `Pooler` web connects through and WAL archived to a bucket (`cloudNativePg`; the operator is a
   * prerequisite); `external`, a managed PostgreSQL outside the cluster (`externalDatabase`).
   * @default - 'external' when `externalDatabase` is given, else 'statefulset'
   */
  readonly database?: DatabaseMode;
  /** The CloudNativePG cluster, with `database: 'cloudnative-pg'`. */
  readonly cloudNativePg?: CloudNativePgOptions;
  /**
   * A managed PostgreSQL instead of the StatefulSet: the db service is not run in the cluster.
   * @default - PostgreSQL runs in the cluster as a StatefulSet
   */
  readonly externalDatabase?: ExternalDatabaseOptions;
  /**
   * Values of non-secret variables of the stack for the cluster, over their defaults (ConfigMap). Secrets come
   * from `.env` only, through `npx projen k8s:secret`.
   * @example { DJANGO_ALLOWED_HOSTS: 'tau.example.com' }
   * @default - each variable's value or default, and the allowed hosts and trusted origin from `ingress.host`
   */
  readonly environment?: { readonly [name: string]: string };
  /**
   * CPU and memory per service, by service name, over the defaults.
   * @default - limits: the service's own `limits` (cpus, memory), as on compose; requests: a quarter of them
   *   (web, the migrations and db 250m/256Mi of 1/1Gi, nginx 250m/64Mi of 1/256Mi, an added service 250m/128Mi of 1/512Mi)
   */
  readonly resources?: { readonly [service: string]: ResourceOptions };
  /** Options of the services added with `stack.addService`, by name. */
  readonly services?: { readonly [service: string]: KubernetesServiceOptions };
  /**
   * How the cluster's Prometheus finds web's metrics, and whether it may reach them. Web's pods carry the
   * `prometheus.io/scrape`, `port` and `path` annotations in any case; nothing may connect to the metrics port
   * until `scraperNamespace` names where the scraper runs.
   * @default - the annotations only: no NetworkPolicy lets a scraper in
   */
  readonly metrics?: KubernetesMetricsOptions;
}

/** Web's metrics, scraped in the cluster. */
export interface KubernetesMetricsOptions {
  /**
   * The namespace of the Prometheus that scrapes web's pods: a NetworkPolicy lets its pods (and theirs only)
   * connect to web's metrics port, and to no other port of the stack.
   * @default - none: the default-deny policy keeps every scraper out
   * @example 'monitoring'
   */
  readonly scraperNamespace?: string;
  /**
   * Labels of the scraper's pods in that namespace, to let in those pods only.
   * @default - every pod of `scraperNamespace`
   * @example { 'app.kubernetes.io/name': 'prometheus' }
   */
  readonly scraperPodLabels?: { readonly [label: string]: string };
  /**
   * Also write a PodMonitor (monitoring.coreos.com/v1) for the Prometheus Operator, which selects web's pods
   * and their metrics port. Its CustomResourceDefinition must be installed in the cluster, or the apply fails.
   * @default false
   */
  readonly podMonitor?: boolean;
}

export const METRICS_OPTION_KEYS = optionKeys<KubernetesMetricsOptions>()({ scraperNamespace: true, scraperPodLabels: true, podMonitor: true });

export const KUBERNETES_TARGET_OPTION_KEYS = optionKeys<KubernetesTargetOptions>()({
  namespace: true, createNamespace: true, clusterDomain: true, dnsResolver: true, webImage: true, webImageByTag: true, replicas: true,
  autoscaling: true, proxyReplicas: true, ingress: true, storage: true, database: true, cloudNativePg: true, externalDatabase: true, environment: true,
  resources: true, services: true, trustedProxies: true, egress: true, metrics: true,
});
