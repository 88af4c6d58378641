# shellcheck shell=bash
# s3-server.sh: sourced. An S3 server on the one-node cluster, for a stack whose uploads or database backups go to
# a bucket: versitygw, the stand-in for an operator's S3 service (test/s3/build.sh; the compose e2e's media-s3
# part runs the same), from the image test/k8s/s3-image.sh made (TAU_CLUSTER_S3_IMAGE).
#
#   s3_server_up NAMESPACE SERVICE PORT ACCESS_KEY SECRET_KEY
#
# One pod in NAMESPACE behind a Service SERVICE:PORT, so at http://SERVICE.NAMESPACE.svc.cluster.local:PORT, with
# its root user's keys as given. Its posix backend keeps each bucket as a directory of an emptyDir: the objects
# live as long as the pod, enough for one run. Prints where it runs once it is ready.
s3_server_up() {
  local s3_ns=$1 s3_service=$2 s3_port=$3 access_key=$4 secret_key=$5 ref
  [[ -f ${TAU_CLUSTER_S3_IMAGE:-} ]] || { echo "no S3 image: TAU_CLUSTER_S3_IMAGE (test/k8s/s3-image.sh's archive) is '${TAU_CLUSTER_S3_IMAGE:-}'"; return 1; }
  flock "$K8S_WORK_DIR/images.lock" ctr --address "$CONTAINERD_ADDRESS" -n k8s.io images import "$TAU_CLUSTER_S3_IMAGE" >/dev/null || return 1
  ref=$(tar -xOf "$TAU_CLUSTER_S3_IMAGE" index.json | sed -n 's/.*"io.containerd.image.name":"\([^"]*\)".*/\1/p')
  kubectl apply --server-side -f - >/dev/null <<EOF || return 1
apiVersion: v1
kind: Namespace
metadata: {name: $s3_ns, labels: {pod-security.kubernetes.io/enforce: restricted}}
---
apiVersion: v1
kind: Secret
metadata: {name: s3-root-user, namespace: $s3_ns}
stringData: {ROOT_ACCESS_KEY_ID: "$access_key", ROOT_SECRET_ACCESS_KEY: "$secret_key"}
---
apiVersion: v1
kind: Pod
metadata: {name: $s3_service, namespace: $s3_ns, labels: {app.kubernetes.io/name: $s3_service}}
spec:
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: versitygw
    image: $ref
    imagePullPolicy: Never
    args: [--port, ":$s3_port", posix, /data]
    envFrom: [{secretRef: {name: s3-root-user}}]
    ports: [{containerPort: $s3_port}]
    readinessProbe: {tcpSocket: {port: $s3_port}, periodSeconds: 1}
    resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: 500m, memory: 256Mi}}
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
    volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, emptyDir: {}}]
---
apiVersion: v1
kind: Service
metadata: {name: $s3_service, namespace: $s3_ns}
spec:
  selector: {app.kubernetes.io/name: $s3_service}
  ports: [{port: $s3_port, targetPort: $s3_port}]
EOF
  kubectl -n "$s3_ns" wait --for=condition=Ready "pod/$s3_service" --timeout=60s >/dev/null || return 1
  echo "$ref in pod $s3_ns/$s3_service ($(kubectl -n "$s3_ns" get pod "$s3_service" -o jsonpath='{.status.podIP}')), Service $s3_service:$s3_port"
}
