import type { Duration } from '../core';

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
  /** How long after a failed attempt the next one starts (the loop's, whatever the time between checks). */
  readonly retryAfter: Duration;
  /** The names of the variables holding the settings (values come from the compose file). */
  readonly vars: { readonly server: string; readonly email: string; readonly domains: string; readonly renewDays: string; readonly checkEvery: string; readonly keyGroup: string };
  /**
   * Where (a directory node_exporter's textfile collector reads) each attempt writes the certificate's expiry
   * and its own time and outcome, under these metric names; nothing is written when undefined.
   */
  readonly metrics?: { readonly dir: string; readonly notAfter: string; readonly attempt: string; readonly success: string };
}

/**
 * `acme/lego.sh`: the ACME client's loop. It obtains the certificate over HTTP-01 (the challenge file written
 * where nginx serves it), renews it when it has fewer than the configured days left or the server's renewal
 * information says so, and publishes the certificate and key under the names nginx reads (key first, each
 * replaced whole), which nginx serves from the next handshake on. An attempt that fails at any step (lego, or
 * publishing) publishes nothing more and is tried again after `retryAfter`. POSIX sh: the lego image's busybox
 * runs it.
 */
export function renderAcmeScript(m: AcmeScriptModel, marker: string): string {
  const v = m.vars;
  const retry = m.retryAfter.toSeconds();
  // With metrics, each attempt's outcome is reported (1 or 0) after it.
  const report = (outcome: 0 | 1, indent: string) => (m.metrics ? `${indent}report ${outcome}\n` : '');
  const once = (args: string, failed: string) => (m.metrics
    ? `if once ${args}; then report 1; else report 0; echo "acme: ${failed}" >&2; exit 1; fi`
    : `once ${args} || { echo "acme: ${failed}" >&2; exit 1; }`);
  return `#!/bin/sh
# ${marker}
# The ACME client (lego) of the stack: obtains the site's certificate over HTTP-01 and renews it.
#   (no argument)  every \$${v.checkEvery} seconds: obtain the certificate if there is none, renew it if due;
#                  after a failed attempt, again in ${retry} s
#   now            once, the same
#   renew          once, renew whatever the days left (a forced renewal)
#   status         what certificate there is, and until when
# nginx reads the published certificate at each TLS handshake: a renewal is served from the next one on.
#
# Each step of an attempt ends it with "|| return 1": the loop calls the attempt as an if condition, and
# set -e does not apply inside one, so a failed step would otherwise run on into the next.
set -eu

# Seconds before trying again after a failed attempt (DNS not yet pointing here, nginx or the ACME server
# not reachable yet), rather than waiting for the next check.
retry_after=${retry}

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
    cp "\$issued_key" "\$published_key.new" || return 1
    chgrp "\$${v.keyGroup}" "\$published_key.new" || return 1
    chmod 0640 "\$published_key.new" || return 1
    mv "\$published_key.new" "\$published_key" || return 1
    cp "\$issued" "\$published.new" || return 1
    chmod 0644 "\$published.new" || return 1
    mv "\$published.new" "\$published" || return 1
    echo "acme: published the certificate for \$${v.domains}"
}

# One attempt; fails (status 1) when any step fails. $1: renew when fewer days than this are left; the rest:
# more flags for lego renew.
once() {
    days=\$1
    shift
    if [ ! -s "\$issued" ]; then
        lego run || return 1
    else
        lego renew --days "\$days" --no-random-sleep "\$@" || return 1
    fi
    if [ ! -s "\$issued" ] || [ ! -s "\$issued_key" ]; then
        echo "acme: lego left no certificate and key at \$issued" >&2
        return 1
    fi
    # Published when what lego holds is not what nginx serves: after an issuance or a renewal, or when a
    # publication was cut short. (Contents, not times: two writes within a clock tick share their mtime.)
    if ! cmp -s "\$issued" "\$published" || ! cmp -s "\$issued_key" "\$published_key"; then
        publish || return 1
    fi
}

${m.metrics ? metricsFunction(m, m.metrics) : ''}case \${1:-loop} in
    loop)
        while :; do
            if once "\$${v.renewDays}"; then
${report(1, '                ')}                echo "acme: next check in \$${v.checkEvery} s"
                sleep "\$${v.checkEvery}"
            else
${report(0, '                ')}                echo "acme: the attempt failed; trying again in \$retry_after s" >&2
                sleep "\$retry_after"
            fi
        done ;;
    now) ${once(`"\$${v.renewDays}"`, 'the attempt failed')} ;;
    renew) ${once('36500 --ari-disable', 'the renewal failed')} ;;
    status) /lego --path ${m.statePath} list ;;
    *) echo "usage: lego.sh [now|renew|status]" >&2; exit 2 ;;
esac
`;
}

/** The script's `report` function: the textfile metrics of the attempt just made and of the certificate lego holds. */
function metricsFunction(m: AcmeScriptModel, x: NonNullable<AcmeScriptModel['metrics']>): string {
  return `# For node_exporter's textfile collector: this attempt's time and outcome ($1: 1 or 0), and the expiry of
# the certificate lego holds (lego list prints it as "2026-03-06 12:00:00 +0000 UTC"). Written beside and
# renamed over the old file, so that a scrape never reads half of one; readable by node_exporter's user (it
# holds times, nothing secret). A failure to write is reported and does not stop the loop.
report() {
    not_after=$(/lego --path ${m.statePath} list 2>/dev/null | awk -v name="$first" '
        $1 == "Certificate" && $2 == "Name:" { this = ($3 == name) }
        this && $1 == "Expiry" { print $3 " " $4; exit }')
    (
        umask 022
        {
            echo "# HELP ${x.attempt} When the ACME client last tried to obtain or renew the certificate."
            echo "# TYPE ${x.attempt} gauge"
            echo "${x.attempt} $(date +%s)"
            echo "# HELP ${x.success} Whether that attempt succeeded (1) or failed (0)."
            echo "# TYPE ${x.success} gauge"
            echo "${x.success} $1"
            if [ -n "$not_after" ]; then
                echo "# HELP ${x.notAfter} When the certificate lego holds for $first expires."
                echo "# TYPE ${x.notAfter} gauge"
                echo "${x.notAfter} $(date -u -d "$not_after" +%s)"
            fi
        } > ${x.dir}/certificate.prom.new && mv ${x.dir}/certificate.prom.new ${x.dir}/certificate.prom
    ) || echo "acme: could not write the metrics into ${x.dir}" >&2
}

`;
}
