import { Service } from '../model';
import { EnvVar } from '../model';
import { ServedFiles } from '../nginx';
import { DatabasePool } from './database-pool';
import { DjangoEnvVars, PostgresEnvVars, PostgresTls } from './django-env';
import { S3Media } from './media-storage';
import { Tls } from './tls';

/** What the settings module is made from. */
/** The variable a target sets to 'true' when web connects through a pooler in transaction mode. */
export const TRANSACTION_POOLER_VARIABLE = 'POSTGRES_TRANSACTION_POOLER';

export interface SettingsModel {
  readonly project: string;
  readonly env: DjangoEnvVars;
  readonly database: PostgresEnvVars;
  /** The service Django runs in: STATIC_ROOT and MEDIA_ROOT are where it mounts the volumes. */
  readonly web: Service;
  /** The one-shot service that migrates: it connects as the database's owner. */
  readonly release: Service;
  readonly staticFiles: ServedFiles;
  /** Uploads on a volume; undefined when they are in a bucket. */
  readonly mediaFiles?: ServedFiles;
  /** Uploads in an S3 bucket; undefined when they are on a volume. */
  readonly s3Media?: S3Media;
  readonly healthPath: string;
  /** Each worker's connection pool; undefined for a connection per request. */
  readonly databasePool?: DatabasePool;
  /** A target may connect web through a pooler in transaction mode (it sets TRANSACTION_POOLER_VARIABLE). */
  readonly transactionPooler?: boolean;
  /** Gunicorn's second address, where the app answers its metrics' path and nothing else. */
  readonly metrics: { readonly port: number; readonly path: string };
  readonly tls?: Tls;
  /** The committed example of the env file, named in the error for a missing variable. */
  readonly envExample: string;
  /** The other generated files that use the same names, paths and URLs, named in the module's docstring. */
  readonly otherFiles: readonly string[];
}

const py = (value: string) => JSON.stringify(value);
const pyBool = (value: boolean) => (value ? 'True' : 'False');

/** `_str("NAME")` for a required variable, `_str("NAME", "default")` otherwise. */
function read(fn: '_str' | '_bool' | '_list' | '_int', v: EnvVar): string {
  return v.default === undefined ? `${fn}(${py(v.name)})` : `${fn}(${py(v.name)}, ${py(v.default)})`;
}

/**
 * The driver's options: each worker's pool, and libpq's TLS parameters for a database outside the stack, which
 * Django's PostgreSQL backend hands to the driver as they are. TLS is fixed here, not read from .env, so no
 * variable can weaken it.
 */
function renderDatabaseOptions(project: string, pool: DatabasePool | undefined, tls: PostgresTls | undefined): string {
  const entries: string[] = [];
  if (pool) {
    entries.push(`
            "pool": {
                "min_size": ${pool.minSize},
                # Also the most requests Django works on at once in a worker (${project}/asgi.py).
                "max_size": ${pool.maxSize},
                # Seconds a request waits for a free connection before it fails.
                "timeout": ${pool.timeout.toSeconds()},
            },`);
  }
  if (tls) {
    const why = {
      'verify-full': 'the server\'s certificate must be signed by this CA and name POSTGRES_HOST',
      'verify-ca': 'the server\'s certificate must be signed by this CA (its name is not checked: postgres.external.sslMode)',
      'require': 'encrypted, but the server is not verified (postgres.external.sslMode): a machine on the path could pose as it',
    }[tls.sslMode];
    entries.push(`
            # The database is outside the stack: every connection is TLS, and ${why}.
            "sslmode": ${py(tls.sslMode)},${tls.rootCert ? `
            "sslrootcert": ${py(tls.rootCert)},` : ''}`);
  }
  return entries.length === 0 ? '' : `
        "OPTIONS": {${entries.join('')}
        },`;
}

/** The deployment part of Django's settings, read from the environment the stack provides. */
export function renderSettingsModule(model: SettingsModel, marker: string): string {
  const { env, database: db, tls, databasePool: pool, transactionPooler: pooler } = model;
  const staticRoot = model.web.mountPathOf(model.staticFiles.volume)!;
  const healthRegex = `^${model.healthPath.replace(/^\//, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  return `# ${marker}
"""Deployment settings of ${model.project}, read from the environment.

The names, paths and URLs here are the ones ${model.otherFiles.join(', ')}
use: all are generated from .projenrc.ts. ${model.project}/settings.py imports this module. Change values
in .env; change names, paths and URLs in .projenrc.ts.
"""
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _str(name, default=None):
    # Exactly as set (a password may begin or end with a space); blank counts as unset.
    value = os.environ.get(name, "")
    if value.strip():
        return value
    if default is None:
        raise ImproperlyConfigured(f"The environment variable {name} is required and not set (see ${model.envExample}).")
    return default


def _bool(name, default):
    value = os.environ.get(name, default).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean: use 1/0, true/false, yes/no or on/off.")


def _list(name, default):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _int(name, default):
    value = _str(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


# Two roles: web connects as its runtime role (${db.web.user.name}), which reads and writes rows and can
# neither create, alter nor drop, so an SQL injection cannot touch the schema; the ${model.release.name} service
# (and manage.py run in it) as the owner of the database (${db.user.name}), which migrations need. A service is
# given the variables of one role, never both: the one that is set decides.
if os.environ.get(${py(db.web.user.name)}, "").strip():
    _DATABASE_USER = ${read('_str', db.web.user)}
    _DATABASE_PASSWORD = ${read('_str', db.web.password)}
else:
    _DATABASE_USER = ${read('_str', db.user)}
    _DATABASE_PASSWORD = ${read('_str', db.password)}

SECRET_KEY = ${read('_str', env.secretKey)}
DEBUG = ${read('_bool', env.debug)}
ALLOWED_HOSTS = ${read('_list', env.allowedHosts)}
CSRF_TRUSTED_ORIGINS = ${read('_list', env.csrfTrustedOrigins)}

${pooler ? `# True when web connects through PgBouncer in transaction mode (the Kubernetes base with CloudNativePG sets
# it): each transaction may then run on another server connection. The pool below stays on: its connections
# go to PgBouncer, which gives each transaction one of its own few server connections.
_TRANSACTION_POOLER = _bool("${TRANSACTION_POOLER_VARIABLE}", "false")

` : ''}DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": ${read('_str', db.name)},
        "USER": _DATABASE_USER,
        "PASSWORD": _DATABASE_PASSWORD,
        "HOST": ${read('_str', db.host)},
        "PORT": ${read('_int', db.port)},
${pool ? `        # Each worker process keeps a pool (psycopg 3): a request borrows an open connection and gives it back
        # when it ends, instead of opening one (a server process and a SCRAM exchange). Django requires
        # CONN_MAX_AGE 0 with a pool. Sizes come from web.databasePool in .projenrc.ts, which checks that
        # every worker's pool fits in the database's max_connections.
        "CONN_MAX_AGE": 0,
        # The pool checks a connection before it lends it (psycopg_pool's check_connection): one that a
        # restarted PostgreSQL closed is replaced, not handed to a request.
        "CONN_HEALTH_CHECKS": True,` : `        # No pool (web.databasePool is off): under ASGI, Django's docs advise against persistent connections,
        # so each request opens a connection and closes it when it ends.
        "CONN_MAX_AGE": 0,`}${renderDatabaseOptions(model.project, pool, db.tls)}${pooler ? `
        # Behind a pooler in transaction mode (CloudNativePG's PgBouncer on Kubernetes), consecutive
        # transactions may run on different server connections: a server-side cursor declared in one would not
        # exist in the next.
        "DISABLE_SERVER_SIDE_CURSORS": _TRANSACTION_POOLER,` : ''}
    }
}
${pooler ? `if _TRANSACTION_POOLER:
    # psycopg prepares a statement on the server once a connection has run it 5 times; behind the pooler
    # the next run may reach a server connection where it was never prepared.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
` : ''}
${model.mediaFiles ? `# nginx serves these URLs from the volumes the web service mounts at these paths.
STATIC_URL = ${py(model.staticFiles.url)}
STATIC_ROOT = ${py(staticRoot)}
MEDIA_URL = ${py(model.mediaFiles.url)}
MEDIA_ROOT = ${py(model.web.mountPathOf(model.mediaFiles.volume)!)}
` : `# nginx serves this URL from the volume the web service mounts at this path.
STATIC_URL = ${py(model.staticFiles.url)}
STATIC_ROOT = ${py(staticRoot)}
${renderS3Storage(model.s3Media!, model.release.name)}`}
# The web service's healthcheck asks this path; it answers before host validation and HTTPS redirects.
HEALTH_CHECK_PATH = ${py(model.healthPath)}

# Gunicorn binds this port too; the app answers METRICS_PATH there and nothing else (Tau.metrics). nginx
# proxies to the web port only, and refuses METRICS_PATH to clients.
METRICS_PORT = ${model.metrics.port}
METRICS_PATH = ${py(model.metrics.path)}

# nginx sets X-Forwarded-Proto on every request it passes on, replacing whatever the client sent,
# so the header can be trusted to tell whether the client used HTTPS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
${tls ? `
# TLS is terminated in front of the stack (tls in .projenrc.ts).
SECURE_SSL_REDIRECT = True
SECURE_REDIRECT_EXEMPT = [${py(healthRegex)}]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = ${tls.hstsSeconds}
SECURE_HSTS_INCLUDE_SUBDOMAINS = ${pyBool(tls.hstsIncludeSubdomains)}
SECURE_HSTS_PRELOAD = ${pyBool(tls.hstsPreload)}
${tls.hstsPreload ? '' : `# Preloading (W021 asks for it) makes the domain HTTPS-only in browsers for months after it leaves the
# list: an opt-in (tls.hstsPreload in .projenrc.ts), so its check is silenced here.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
`}` : `
# No TLS in front of the stack (tls in .projenrc.ts is off): cookies are not marked Secure and there is
# no HTTPS redirect or HSTS. \`check --deploy\` reports exactly those (W004, W008, W012, W016).
`}
# Errors and warnings to the container's output, where \`docker compose logs\` finds them.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
`;
}

/** STORAGES for uploads in an S3 bucket, through django-storages; `release`: the service that stores none. */
function renderS3Storage(media: S3Media, release: string): string {
  const e = media.env;
  return `
# Uploads go to an S3 bucket (media in .projenrc.ts), which web replicas on any host share. The bucket stays
# private: FileField.url is a URL signed with web's key, valid for ${media.urlExpiry.toSeconds()} s, that browsers
# download from the S3 service itself, not through nginx or web. The S3 service cannot send nginx's sandboxing
# Content-Security-Policy; what keeps an uploaded page from running as this site is that it is served from
# another origin, and as a download: every object is written with Content-Disposition: attachment and the
# generic Content-Type (docs/SECURITY.md).
# Only the services that store uploads are given the S3 user's keys (web; ${release} is not): the others keep
# Django's default storages and never reach the bucket.
if ${py(e.accessKeyId.name)} in os.environ:
    STORAGES = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": ${read('_str', e.bucket)},
                "endpoint_url": ${read('_str', e.endpoint)},
                "region_name": ${read('_str', e.region)},
                "access_key": ${read('_str', e.accessKeyId)},
                "secret_key": ${read('_str', e.secretAccessKey)},
                "signature_version": "s3v4",
                "addressing_style": ${py(media.addressing)},
                # No ACL is sent: objects are as private as the bucket, readable with a signed URL only.
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": ${media.urlExpiry.toSeconds()},
                # A second upload of the same name gets a name of its own, as on a volume: never another user's file replaced.
                "file_overwrite": False,
                "object_parameters": {"ContentDisposition": "attachment", "ContentType": "application/octet-stream"},
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
`;
}
