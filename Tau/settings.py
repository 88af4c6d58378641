"""Settings of the Tau project.

Everything that differs between deployments (secrets, DEBUG, hosts, the database, static and media
paths, the proxy and TLS settings) comes from settings_env, which `npx projen` generates from
.projenrc.ts and which reads the environment. What is left here is the application itself.
"""
from pathlib import Path

from .settings_env import *  # noqa: F401,F403  (deployment settings, read from the environment)

BASE_DIR = Path(__file__).resolve().parent.parent

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "graphene_django",
    "library",
]

MIDDLEWARE = [
    # Counts and times every request, the health check's included (Tau.metrics).
    "Tau.metrics.MetricsMiddleware",
    # One JSON line per request, with nginx's request id (Tau.request_log).
    "Tau.request_log.RequestLogMiddleware",
    # First: answers the healthcheck before host validation and the HTTPS redirect.
    "Tau.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# The interpreter's switch interval in each worker, in seconds (Python's default: 0.005), set by Tau.asgi: how
# long the event loop, which answers the health endpoint, may wait for the interpreter lock that one of Django's
# threads holds. Shorter hands the lock over more often; bench/RESULTS.md measures both sides.
PYTHON_SWITCH_INTERVAL = 0.0005

# settings_env's LOGGING, plus one JSON line per request on the output (Tau.request_log).
LOGGING["formatters"] = {"json": {"()": "Tau.request_log.JsonFormatter"}}  # noqa: F405
LOGGING["handlers"]["requests"] = {"class": "logging.StreamHandler", "formatter": "json"}  # noqa: F405
LOGGING["loggers"] = {"tau.requests": {"handlers": ["requests"], "level": "INFO", "propagate": False}}  # noqa: F405

ROOT_URLCONF = "Tau.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "Tau.wsgi.application"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Limits of the GraphQL endpoint, enforced by Tau.graphql_limits (the documents limits by library.schema).
# The app's own queries are 2 levels deep, use no aliases and select a handful of fields; the numbers leave
# room for growth while keeping the cost of checking a refused query to a few milliseconds.
GRAPHQL_LIMITS = {
    # Parser limits, in every mode. GraphiQL's introspection query (DEBUG only) has ~1,600 characters
    # and ~180 tokens.
    "MAX_QUERY_LENGTH": 10_000,  # characters (code points) of the query document
    "MAX_TOKENS": 1_000,  # lexical tokens of the query document, comments not counted
    # Validation limits, lifted when DEBUG is on (as is the ban on introspection).
    "MAX_DEPTH": 8,  # levels of nested fields: `{ documents { title } }` is 2
    "MAX_ALIASES": 20,  # aliases in the whole document
    "MAX_FIELDS": 100,  # field selections in the whole document, duplicates and fragments included
    # Errors the spec's validation reports before it gives up (graphql-core's default is 100): keeps the
    # answer to a garbage query short.
    "MAX_VALIDATION_ERRORS": 10,
    # documents(limit:): the page size when no limit is given, and the largest limit accepted.
    "MAX_PAGE_SIZE": 100,
    # documents(offset:): the most rows a page may skip. Skipped rows are still read (from the index), so
    # 20 aliases read at most 20 x (10,000 + 100) index entries; deeper pages go by key, documents(after:).
    "MAX_OFFSET": 10_000,
    # The sum of the limits of all documents fields in one request (aliases repeat a field): one page.
    "MAX_DOCUMENTS_PER_REQUEST": 100,
}

GRAPHENE = {
    "SCHEMA": "library.schema.schema",
    "MAX_VALIDATION_ERRORS": GRAPHQL_LIMITS["MAX_VALIDATION_ERRORS"],
}
