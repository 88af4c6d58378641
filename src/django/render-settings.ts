import { Service } from '../model';
import { EnvVar } from '../model';
import { ServedFiles } from '../nginx';
import { DjangoEnvVars, PostgresEnvVars } from './django-env';
import { Tls } from './tls';

/** What the settings module is made from. */
export interface SettingsModel {
  readonly project: string;
  readonly env: DjangoEnvVars;
  readonly database: PostgresEnvVars;
  /** The service Django runs in: STATIC_ROOT and MEDIA_ROOT are where it mounts the volumes. */
  readonly web: Service;
  /** The one-shot service that migrates: it connects as the database's owner. */
  readonly release: Service;
  readonly staticFiles: ServedFiles;
  readonly mediaFiles: ServedFiles;
  readonly healthPath: string;
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

/** The deployment part of Django's settings, read from the environment the stack provides. */
export function renderSettingsModule(model: SettingsModel, marker: string): string {
  const { env, database: db, tls } = model;
  const staticRoot = model.web.mountPathOf(model.staticFiles.volume)!;
  const mediaRoot = model.web.mountPathOf(model.mediaFiles.volume)!;
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

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": ${read('_str', db.name)},
        "USER": _DATABASE_USER,
        "PASSWORD": _DATABASE_PASSWORD,
        "HOST": ${read('_str', db.host)},
        "PORT": ${read('_int', db.port)},
        # Under ASGI, Django's docs advise against persistent connections: close them after each request.
        "CONN_MAX_AGE": 0,
    }
}

# nginx serves these URLs from the volumes the web service mounts at these paths.
STATIC_URL = ${py(model.staticFiles.url)}
STATIC_ROOT = ${py(staticRoot)}
MEDIA_URL = ${py(model.mediaFiles.url)}
MEDIA_ROOT = ${py(mediaRoot)}

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
