/** What the Secret script is made from. */
export interface SecretScriptModel {
  readonly secretName: string;
  readonly namespace: string;
  /** The secret variables of the stack, in the contract's order. */
  readonly names: readonly string[];
  /** The env file, relative to where the script runs (the repository root). */
  readonly envFile: string;
  /** The Namespace manifest beside the script, applied first when the base has one. */
  readonly namespaceManifest?: string;
  /** Basic-auth Secrets of database roles (CloudNativePG's): the role's name, and the variable holding its password. */
  readonly roleSecrets?: readonly { readonly secret: string; readonly user: string; readonly password: string }[];
}

/**
 * `k8s/create-secret.sh`: the Secret of the stack made from `.env` at apply time, so that no secret enters the
 * base or git. Neither kustomize nor `kubectl create secret --from-env-file` can read `.env` as it is: both keep
 * the single quotes npx projen writes around each value, and kustomize refuses a file outside the base
 * (`envs: [../.env]` fails with "security; file ... is not in or below"). So the script takes the secret
 * variables only, unquotes them, and hands them to kubectl on a pipe: nothing is written to disk, and no value
 * appears on a command line.
 */
export function renderSecretScript(model: SecretScriptModel, marker: string): string {
  const names = model.names.join(' ');
  return `#!/bin/sh
# ${marker}
# Makes the Secret ${model.secretName} in the namespace ${model.namespace} from ${model.envFile}, or updates it, with the
# stack's secret variables only (${model.names.join(', ')}), read as npx projen writes them
# (NAME='value'). Values go from ${model.envFile} to the API server through a pipe: no file, no command line.
#
#   npx projen k8s:secret        (or: sh k8s/create-secret.sh [ENV_FILE])
#
# Pods read the Secret when they start: after changing a value, restart them
# (kubectl -n ${model.namespace} rollout restart deployment,statefulset).
set -eu

env_file=\${1:-${model.envFile}}
if [ ! -r "$env_file" ]; then
    echo "create-secret: cannot read $env_file (npx projen creates it)" >&2
    exit 1
fi

# The value of variable $1 in the env file: NAME='value' as npx projen writes it, or NAME="value", or
# NAME=value; the last line wins, as with docker compose.
value() {
    sed -n -e "s/^$1='\\(.*\\)'\$/\\1/p" -e "s/^$1=\\"\\(.*\\)\\"\$/\\1/p" -e "s/^$1=\\([^'\\"].*\\)\$/\\1/p" "$env_file" | tail -n 1
}

missing=
for name in ${names}; do
    [ -n "$(value "$name")" ] || missing="$missing $name"
done
if [ -n "$missing" ]; then
    echo "create-secret: $env_file gives no value to:$missing" >&2
    exit 1
fi
${model.namespaceManifest ? `
# The Secret lives in the namespace: make it first, as the base declares it.
kubectl apply --server-side -f "$(dirname "$0")/${model.namespaceManifest}"
` : ''}
for name in ${names}; do
    printf '%s=%s\\n' "$name" "$(value "$name")"
done | kubectl create secret generic ${model.secretName} --namespace ${model.namespace} --from-env-file=/dev/stdin --dry-run=client -o yaml \\
    | kubectl apply --server-side --field-manager=projen-k8s-secret -f -
${(model.roleSecrets ?? []).length === 0 ? '' : `
# CloudNativePG sets each role's password from a basic-auth Secret of its own: the same passwords, so that
# .env stays the one place they are kept. The password reaches kubectl on a pipe, as above, without the
# newline a file would end with.
role_secret() {
    printf '%s' "$(value "$3")" | kubectl create secret generic "$1" --namespace ${model.namespace} --type=kubernetes.io/basic-auth \\
        --from-literal=username="$2" --from-file=password=/dev/stdin --dry-run=client -o yaml \\
        | kubectl apply --server-side --field-manager=projen-k8s-secret -f -
}
${model.roleSecrets!.map((r) => `role_secret ${r.secret} ${r.user} ${r.password}`).join('\n')}
`}`;
}
