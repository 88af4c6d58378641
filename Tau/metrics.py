"""The web metrics, in Prometheus' text format, summed across Gunicorn's workers.

Under Gunicorn (gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR before the workers start) each worker
writes its samples to files of its own and /metrics adds up the files of every worker, those that have
exited included, so the numbers do not depend on which worker answered the scrape. Without that variable
(the development server, one process) the samples stay in the process.

/metrics (settings.METRICS_PATH) is answered on the metrics port only (settings.METRICS_PORT, Gunicorn's
second address): the ASGI entry point sends that port's requests here and nothing else. nginx proxies to
the web port, where /metrics is no URL of the app, and refuses the path itself.

What is measured:
- tau_http_requests_total{view,method,status} and tau_http_request_duration_seconds{view,method,status}:
  every request Django answers, by the name of the URL pattern it matched (never the raw path: paths are
  chosen by clients, and each new label value is a new series);
- tau_graphql_refused_total{limit}: GraphQL operations refused by each limit of Tau.graphql_limits;
- tau_database_pool_connections{state} (open, idle) and tau_database_pool_waiting: the workers' database
  pools (psycopg_pool's statistics), summed over the workers alive, as each last saw its own after a request.
  Absent without a pool (web.databasePool off).
"""
import os
from time import perf_counter

from django.conf import settings
from django.db import connections
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import REGISTRY, multiprocess

REQUESTS = Counter(
    "tau_http_requests", "Requests answered by Django, by view, method and status.", ["view", "method", "status"],
)
LATENCY = Histogram(
    "tau_http_request_duration_seconds", "Time Django took to answer, by view, method and status.",
    ["view", "method", "status"],
    # From a cached page to a request at the 30 s limit; p99 of the GraphQL endpoint is tens of milliseconds.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
GRAPHQL_REFUSED = Counter(
    "tau_graphql_refused", "GraphQL operations refused by each limit of Tau.graphql_limits.", ["limit"],
)
# A worker's gauges count while it lives: livesum adds those of the workers alive (gunicorn.conf.py marks an
# exited worker's files dead).
POOL_CONNECTIONS = Gauge(
    "tau_database_pool_connections", "Connections of the workers' database pools: open, and idle among them.", ["state"],
    multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    "tau_database_pool_waiting", "Requests waiting for a connection of the workers' database pools.",
    multiprocess_mode="livesum",
)
# The label of a request that matched no URL pattern (a 404 of the router, or a middleware's answer).
UNMATCHED = "<unmatched>"
# Every HTTP method Django serves; anything else is counted as "other" so clients cannot mint series.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def record_refusal(limit):
    GRAPHQL_REFUSED.labels(limit=limit).inc()


def view_label(request):
    # The health check is answered by a middleware, before URL resolution.
    if request.path == settings.HEALTH_CHECK_PATH:
        return "health"
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    return match.view_name or match.route or UNMATCHED


def method_label(request):
    return request.method if request.method in METHODS else "other"


def record_pool():
    """This worker's pool, as psycopg_pool counts it now; nothing without a pool."""
    pool = getattr(connections["default"], "pool", None)
    if pool is None:
        return
    stats = pool.get_stats()
    POOL_CONNECTIONS.labels(state="open").set(stats.get("pool_size", 0))
    POOL_CONNECTIONS.labels(state="idle").set(stats.get("pool_available", 0))
    POOL_WAITING.set(stats.get("requests_waiting", 0))


def record(view, method, status, seconds):
    """One answered request, in the counter and the histogram."""
    labels = {"view": view, "method": method if method in METHODS else "other", "status": str(status)}
    REQUESTS.labels(**labels).inc()
    LATENCY.labels(**labels).observe(seconds)


class MetricsMiddleware:
    """Counts and times every request; first in MIDDLEWARE, so the health check's answers count too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = perf_counter()
        response = self.get_response(request)
        record(view_label(request), request.method, response.status_code, perf_counter() - started)
        record_pool()
        return response


def exposition():
    """The text of /metrics: every worker's samples summed in multiprocess mode, this process's otherwise."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry)


async def metrics_application(scope, receive, send):
    """The ASGI app of the metrics port: GET /metrics, and 404 for anything else."""
    if scope["path"] == settings.METRICS_PATH and scope["method"] in ("GET", "HEAD"):
        status, body, content_type = 200, exposition(), CONTENT_TYPE_LATEST
    else:
        status, body, content_type = 404, b"Not Found\n", "text/plain; charset=utf-8"
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
