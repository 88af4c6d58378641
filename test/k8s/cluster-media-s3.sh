# shellcheck shell=bash disable=SC2154 # ns, host, work: cluster-apply-base.sh's
# cluster-media-s3.sh: sourced by cluster-apply-base.sh. A stack whose uploads are in an S3 bucket (its
# ConfigMap names MEDIA_S3_ENDPOINT_URL) gets a real S3 server on the cluster at that URL, and checks B1-B4.
#
# The S3 server is s3-server.sh's (versitygw), in the namespace the endpoint's host names
# (SERVICE.NAMESPACE.svc...), behind a Service of that name, started with the S3 user's keys from the stack's own
# Secret (so from its .env).
#
# Uses the functions and variables of cluster-apply-base.sh: ns, host, work, front, db_sql, wait_until, check.

# shellcheck source-path=SCRIPTDIR source=s3-server.sh
. "$root/test/k8s/s3-server.sh"

# s3_config NAME: a value of the stack's ConfigMap, as rendered (empty when the stack has no such variable).
s3_config() {
  awk -v key="  $1: " 'index($0, key) == 1 { v = substr($0, length(key) + 1); gsub(/^["\047]|["\047]$/, "", v); print v; exit }' "$work/base.yaml"
}
media_in_bucket() { [[ -n $(s3_config MEDIA_S3_ENDPOINT_URL) ]]; }

# The S3 server's Service, namespace and port, from the endpoint (http://SERVICE.NAMESPACE.svc.DOMAIN:PORT).
s3_where() {
  local url hostport
  url=$(s3_config MEDIA_S3_ENDPOINT_URL)
  hostport=${url#*://}
  s3_service=${hostport%%.*}
  s3_ns=${hostport#*.}
  s3_ns=${s3_ns%%.*}
  s3_port=${hostport##*:}
  [[ $s3_port =~ ^[0-9]+$ ]] || s3_port=80
}

# web_s3 POD CODE: Python in a web pod (boto3 is in the web image) with `c`, an S3 client made from the pod's own
# variables (the ConfigMap's endpoint and region, the Secret's keys), and `bucket`, the ConfigMap's bucket.
web_s3() {
  kubectl -n "$ns" exec "$1" -c web -- python -c 'import os, sys, boto3
e = os.environ
c = boto3.client("s3", endpoint_url=e["MEDIA_S3_ENDPOINT_URL"], region_name=e["MEDIA_S3_REGION"],
                 aws_access_key_id=e["MEDIA_S3_ACCESS_KEY_ID"], aws_secret_access_key=e["MEDIA_S3_SECRET_ACCESS_KEY"])
bucket = e["MEDIA_S3_BUCKET"]
'"$2"
}

# The stack's Secret, as web's pods name it.
s3_user_key() {
  local secret
  secret=$(kubectl -n "$ns" get deployment web -o jsonpath="{.spec.template.spec.containers[?(@.name==\"web\")].env[?(@.name==\"$1\")].valueFrom.secretKeyRef.name}")
  kubectl -n "$ns" get secret "$secret" -o jsonpath="{.data.$1}" | base64 -d
}

s3_up() {   # a step: the S3 server running, and the stack's bucket made by web (through web's egress policy)
  s3_where
  s3_server_up "$s3_ns" "$s3_service" "$s3_port" "$(s3_user_key MEDIA_S3_ACCESS_KEY_ID)" "$(s3_user_key MEDIA_S3_SECRET_ACCESS_KEY)" || return 1
  web_s3 deploy/web 'c.create_bucket(Bucket=bucket)
print("bucket", bucket, "made from a web pod at", e["MEDIA_S3_ENDPOINT_URL"], "as", e["MEDIA_S3_ACCESS_KEY_ID"])'
}

s3_down() {   # a step: the S3 server's namespace deleted
  s3_where
  kubectl delete namespace "$s3_ns" --timeout=60s >/dev/null
  echo "namespace $s3_ns deleted"
}

# For smoke.ts: the prefix of the URLs web gives for uploads, and the S3 Service's address the node reaches
# it at (a browser reaches the operator's S3 service by its name); nothing for uploads on a volume.
s3_media_at() {
  media_in_bucket || return 0
  s3_where
  printf '%s/%s/=%s:%s' "$(s3_config MEDIA_S3_ENDPOINT_URL)" "$(s3_config MEDIA_S3_BUCKET)" \
    "$(kubectl -n "$s3_ns" get service "$s3_service" -o jsonpath='{.spec.clusterIP}')" "$s3_port"
}

s3_object_count() { web_s3 deploy/web 'print(c.list_objects_v2(Bucket=bucket).get("KeyCount", 0))'; }

# curl_signed URL ARGS...: a signed URL fetched as a browser follows it, at the S3 Service's address.
curl_signed() {
  local url=$1 address
  shift
  s3_where
  address=$(kubectl -n "$s3_ns" get service "$s3_service" -o jsonpath='{.spec.clusterIP}')
  curl -s -m 10 --resolve "${s3_service}.${s3_ns}.svc.cluster.local:$s3_port:$address" "$@" "$url"
}

# ---- the checks ----

b1_upload_in_bucket() {   # the files of the documents (smoke.ts uploaded one through the Ingress) are objects of the bucket
  local keys listed key missing=0
  keys=$(db_sql "select attachment from library_document where attachment <> '' order by id")
  listed=$(web_s3 deploy/web 'for o in c.list_objects_v2(Bucket=bucket).get("Contents", []): print(o["Key"], o["Size"])')
  echo "attachments in the database: $(tr '\n' ' ' <<<"$keys")"
  echo "objects of bucket $(s3_config MEDIA_S3_BUCKET), listed by the S3 server: $(tr '\n' ';' <<<"$listed")"
  [[ -n $keys ]] || return 1
  for key in $keys; do grep -q "^$key [0-9]*$" <<<"$listed" || { echo "$key is not in the bucket"; missing=1; }; done
  [[ $missing -eq 0 ]]
}

# Each web pod, reached in turn inside itself (127.0.0.1, the Ingress's host name), links the newest upload: a URL
# it signs. Each URL, followed at the S3 server, gives the same bytes, which are the object's.
b2_each_pod_links_same_object() {
  local pod port url sum paths='' sums='' object
  port=$(kubectl -n "$ns" get deployment web -o jsonpath='{.spec.template.spec.containers[?(@.name=="web")].ports[0].containerPort}')
  for pod in $(kubectl -n "$ns" get pods -l app.kubernetes.io/name=web -o name); do
    url=$(kubectl -n "$ns" exec "$pod" -c web -- python -c 'import http.client, json, sys, urllib.parse
port, host = sys.argv[1:]
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
c.request("GET", "/graphql/?" + urllib.parse.urlencode({"query": "{ documents(limit: 20) { attachmentUrl } }"}), headers={"Host": host})
documents = json.loads(c.getresponse().read())["data"]["documents"]
print(next(d["attachmentUrl"] for d in documents if d["attachmentUrl"]))' "$port" "$host" 2>&1) || { echo "${pod#pod/}: $url"; return 1; }
    sum=$(curl_signed "$url" | sha256sum | cut -c1-16)
    paths+="${url%%\?*}"$'\n'
    sums+="$sum"$'\n'
    echo "${pod#pod/} links ${url%%\?*}?…$(grep -o 'X-Amz-Signature=[0-9a-f]\{8\}' <<<"$url")…; followed: sha256 $sum…"
  done
  object=$(web_s3 deploy/web 'import hashlib
newest = max(c.list_objects_v2(Bucket=bucket)["Contents"], key=lambda o: o["LastModified"])["Key"]
print(hashlib.sha256(c.get_object(Bucket=bucket, Key=newest)["Body"].read()).hexdigest()[:16])')
  echo "the newest object, read with the S3 API: sha256 $object…"
  [[ $(grep -c . <<<"$paths") -ge 2 && $(sort -u <<<"$paths" | grep -c .) -eq 1 && $(sort -u <<<"$sums" | grep .) == "$object" ]]
}

b3_download_headers() {   # the object comes as a download, from another origin than the site's; unsigned, refused
  local url headers unsigned
  url=$(kubectl -n "$ns" exec deploy/web -c web -- python manage.py shell --verbosity 0 -c \
    'from library.models import Document; print(Document.objects.exclude(attachment="").latest("id").attachment.url)')
  headers=$(curl_signed "$url" -o /dev/null -D - | tr -d '\r')
  unsigned=$(curl_signed "${url%%\?*}" -o /dev/null -w '%{http_code}')
  echo "GET ${url%%\?*}?X-Amz-…: $(grep -iE '^(HTTP/|content-type|content-disposition)' <<<"$headers" | tr '\n' ';')"
  echo "the same URL unsigned: $unsigned; the site is http://$host, the download comes from ${url%%/"$(s3_config MEDIA_S3_BUCKET)"/*}"
  grep -q '^HTTP/1.1 200' <<<"$headers" && grep -qix 'content-disposition: attachment' <<<"$headers" &&
    grep -qix 'content-type: application/octet-stream' <<<"$headers" && [[ $unsigned == 403 && $url != "http://$host/"* ]]
}

b4_no_media_volume() {   # no claim, no pod volume or mount for media; nginx has no /media/ location and serves none
  local claims volumes site code key
  claims=$(kubectl -n "$ns" get pvc -o jsonpath='{range .items[*]}{.metadata.name} {end}')
  volumes=$(kubectl -n "$ns" get pods -o jsonpath='{range .items[*]}{range .spec.volumes[*]}{.name} {end}{end}' | tr ' ' '\n' | sort -u | tr '\n' ' ')
  site=$(kubectl -n "$ns" get configmap nginx-site -o jsonpath='{.data.default\.conf}' | grep -c 'location[^{]*/media/' || true)
  key=$(db_sql "select attachment from library_document where attachment <> '' order by id desc limit 1")
  code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H "Host: $host" "http://$(front)/media/$key")
  echo "claims: $claims; volumes of the pods: $volumes; /media/ locations in nginx's site: $site; GET /media/$key through the Ingress: $code"
  [[ $claims != *media* && $volumes != *media* && $site -eq 0 && $code == 404 ]]
}

s3_checks() {
  check "B1. an upload through the Ingress is an object of the bucket" b1_upload_in_bucket
  check "B2. each web pod links the same object, and each link gives its bytes" b2_each_pod_links_same_object
  check "B3. the download keeps the media headers: an attachment, octet-stream, another origin; unsigned 403" b3_download_headers
  check "B4. no media volume: no claim, no pod volume, no /media/ in nginx" b4_no_media_volume
}
