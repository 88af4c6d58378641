/** What the ACME client's script is made from: paths in its container, and how it is asked to run. */
export interface AcmeScriptModel {
  /** lego's state: account key, registration, certificates as issued. */
  readonly statePath: string;
  /** Where nginx serves /.well-known/acme-challenge/ from (lego's --http.webroot). */
  readonly webroot: string;
  /** Where the certificate nginx uses is published, under the names nginx reads. */
  readonly certificatesPath: string;
  readonly certificateFile: string;
  readonly keyFile: string;
  /** The names of the variables holding the settings (values come from the compose file). */
  readonly vars: { readonly server: string; readonly email: string; readonly domains: string; readonly renewDays: string; readonly checkEvery: string; readonly keyGroup: string };
}

/**
 * `acme/lego.sh`: the ACME client's loop. It obtains the certificate over HTTP-01 (the challenge file written
 * where nginx serves it), renews it when it has fewer than the configured days left or the server's renewal
 * information says so, and publishes the certificate and key under the names nginx reads (key first, each
 * replaced whole), which nginx serves from the next handshake on. POSIX sh: the lego image's busybox runs it.
 */
export function renderAcmeScript(m: AcmeScriptModel, marker: string): string {
  const v = m.vars;
  return `#!/bin/sh
# ${marker}
# The ACME client (lego) of the stack: obtains the site's certificate over HTTP-01 and renews it.
#   (no argument)  every \$${v.checkEvery} seconds: obtain the certificate if there is none, renew it if due
#   now            once, the same
#   renew          once, renew whatever the days left (a forced renewal)
#   status         what certificate there is, and until when
# nginx reads the published certificate at each TLS handshake: a renewal is served from the next one on.
set -eu

first=\${${v.domains}%%,*}
issued=${m.statePath}/certificates/\$first.crt
issued_key=${m.statePath}/certificates/\$first.key
published=${m.certificatesPath}/${m.certificateFile}
published_key=${m.certificatesPath}/${m.keyFile}

lego() {
    domains=
    for domain in $(echo "\$${v.domains}" | tr ',' ' '); do domains="\$domains --domains \$domain"; done
    # shellcheck disable=SC2086  # one --domains per name
    /lego --server "\$${v.server}" --email "\$${v.email}" --accept-tos --path ${m.statePath} \\
        --http --http.webroot ${m.webroot} $domains "$@"
}

# Key first, then the certificate; each written beside and renamed over the old one, so that a handshake
# never reads half a file. nginx's workers read them at each handshake: the key is readable by their group.
publish() {
    cp "\$issued_key" "\$published_key.new"
    chgrp "\$${v.keyGroup}" "\$published_key.new"
    chmod 0640 "\$published_key.new"
    mv "\$published_key.new" "\$published_key"
    cp "\$issued" "\$published.new"
    chmod 0644 "\$published.new"
    mv "\$published.new" "\$published"
    echo "acme: published the certificate for \$${v.domains}"
}

# $1: renew when fewer days than this are left; the rest: more flags for lego renew.
once() {
    days=\$1
    shift
    if [ ! -s "\$issued" ]; then
        lego run
    else
        lego renew --days "\$days" --no-random-sleep "\$@"
    fi
    if [ ! -s "\$published" ] || [ -n "\$(find "\$issued" -newer "\$published")" ]; then publish; fi
}

case \${1:-loop} in
    loop)
        while :; do
            if once "\$${v.renewDays}"; then
                sleep "\$${v.checkEvery}"
            else
                # Not yet (nginx starting, DNS not yet pointing here): again in a minute.
                echo "acme: no certificate this time; trying again in 60 s" >&2
                sleep 60
            fi
        done ;;
    now) once "\$${v.renewDays}" ;;
    renew) once 36500 --ari-disable ;;
    status) /lego --path ${m.statePath} list ;;
    *) echo "usage: lego.sh [now|renew|status]" >&2; exit 2 ;;
esac
`;
}
