#!/bin/sh
# /docker-entrypoint.d/20-envsubst-on-templates.sh of the nginx:* stand-ins, after the official image's:
# every $NGINX_ENVSUBST_TEMPLATE_DIR/**/*$NGINX_ENVSUBST_TEMPLATE_SUFFIX goes through envsubst into the
# same relative path under $NGINX_ENVSUBST_OUTPUT_DIR, suffix dropped. Only variables that are defined in
# the environment (and match $NGINX_ENVSUBST_FILTER, a regex, if set) are substituted, so nginx's own
# $host, $remote_addr... stay as they are.
set -e

entrypoint_log() {
  if [ -z "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ]; then
    echo "$@"
  fi
}

template_dir=${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}
suffix=${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}
output_dir=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}
filter=${NGINX_ENVSUBST_FILTER:-}

[ -d "$template_dir" ] || exit 0
if [ ! -w "$output_dir" ]; then
  entrypoint_log "$0: ERROR: $template_dir exists, but $output_dir is not writable"
  exit 0
fi

# "${A} ${B} ..." for the defined variables: envsubst substitutes only these.
defined_envs=$(awk -v filter="$filter" 'END { for (name in ENVIRON) if (name ~ filter) printf "${%s} ", name }' </dev/null)

find "$template_dir" -follow -type f -name "*$suffix" -print | while read -r template; do
  relative_path=${template#"$template_dir/"}
  output_path=$output_dir/${relative_path%"$suffix"}
  mkdir -p "$(dirname "$output_path")"
  entrypoint_log "$0: Running envsubst on $template to $output_path"
  envsubst "$defined_envs" <"$template" >"$output_path"
done
