"""ASGI entry point, served by Gunicorn with Uvicorn workers.

HTTP goes to Django, except on the metrics port (settings.METRICS_PORT, Gunicorn's second address), which
answers /metrics and nothing else (Tau.metrics), and the health endpoint, answered here on the event loop from the result of a
check that runs in the background (Tau.health), so that it answers at once however busy Django is.

With the connection pool on, Django works on at most as many requests for sync views (GraphQL, the admin) at once
in each worker as the pool has connections (its max_size); the others wait here, on the event loop, holding no
thread. Beyond that number such a request would only wait for a connection, but in a thread of its own, and
every such thread competes for Python's interpreter lock with the event loop, which then answers the health
endpoint late under load. Async views take no thread and are not held back. WebSocket
connections go to a small router (library.websocket); lifespan events are handled here, since Django's ASGI
handler does not take them: startup starts the health check, shutdown stops it.

Even so, the loop shares the interpreter lock with the threads Django has: when one of them holds it, the loop
waits for Python's switch interval before it may ask for it back, and again at every step of a request. The
worker shortens that interval (settings.PYTHON_SWITCH_INTERVAL), so that the health endpoint waits less for
the lock under load (bench/RESULTS.md measures both intervals side by side).
"""
import asyncio
import os
import sys
from time import perf_counter

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.urls import Resolver404, resolve

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "Tau.settings")

django_application = get_asgi_application()

from django.conf import settings  # noqa: E402

from library.websocket import websocket_application  # noqa: E402  (needs the app registry loaded above)
from Tau import metrics  # noqa: E402
from Tau.metrics import metrics_application  # noqa: E402

from . import health  # noqa: E402


def shorten_switch_interval():
    """Sets the interpreter's switch interval of this process (a worker) to the setting's, when it has one."""
    interval = getattr(settings, "PYTHON_SWITCH_INTERVAL", None)
    if interval:
        sys.setswitchinterval(interval)


shorten_switch_interval()


def django_concurrency():
    """Requests Django works on at once in a worker: the pool's max_size; None (no limit) without a pool."""
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    return pool.get("max_size") if isinstance(pool, dict) else None


# (the event loop, its semaphore): one per worker process, made on its loop at the first request.
_admission = (None, None)


def admission():
    global _admission
    loop = asyncio.get_running_loop()
    if _admission[0] is not loop:
        limit = django_concurrency()
        _admission = (loop, asyncio.Semaphore(limit) if limit else None)
    return _admission[1]


def takes_a_thread(path):
    """Whether Django serves the path with a sync view, in a thread of its own (a page it cannot find: yes)."""
    try:
        view = resolve(path).func
    except Resolver404:
        return True
    return not (getattr(view, "view_is_async", False) or iscoroutinefunction(view))


async def django_http(scope, receive, send):
    semaphore = admission()
    if semaphore is None or not takes_a_thread(scope["path"]):
        await django_application(scope, receive, send)
        return
    async with semaphore:
        await django_application(scope, receive, send)


async def lifespan(scope, receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            health.probe.start()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await health.probe.stop()
            await send({"type": "lifespan.shutdown.complete"})
            return


def on_metrics_port(scope):
    # The port of the socket the request came in on (not the Host header, which the client writes).
    server = scope.get("server")
    return server is not None and server[1] == settings.METRICS_PORT


async def application(scope, receive, send):
    if scope["type"] == "http" and on_metrics_port(scope):
        await metrics_application(scope, receive, send)
    elif health.is_health_request(scope):
        # Counted as Django counts its views: the health alert reads these answers.
        started = perf_counter()
        status = await health.asgi_answer(scope, send)
        metrics.record("health", scope["method"], status, perf_counter() - started)
    elif scope["type"] == "http":
        await django_http(scope, receive, send)
    elif scope["type"] == "websocket":
        await websocket_application(scope, receive, send)
    elif scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
    else:
        raise ValueError(f"unknown ASGI scope type {scope['type']!r}")
