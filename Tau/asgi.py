"""ASGI entry point, served by Gunicorn with Uvicorn workers.

HTTP goes to Django, except on the metrics port (settings.METRICS_PORT, Gunicorn's second address), which
answers /metrics and nothing else (Tau.metrics). WebSocket connections go to a small router (library.websocket); lifespan events
are acknowledged here, since Django's ASGI handler does not take them.
"""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "Tau.settings")

django_application = get_asgi_application()

from django.conf import settings  # noqa: E402

from library.websocket import websocket_application  # noqa: E402  (needs the app registry loaded above)
from Tau.metrics import metrics_application  # noqa: E402


async def lifespan(scope, receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def on_metrics_port(scope):
    # The port of the socket the request came in on (not the Host header, which the client writes).
    server = scope.get("server")
    return server is not None and server[1] == settings.METRICS_PORT


async def application(scope, receive, send):
    if scope["type"] == "http" and on_metrics_port(scope):
        await metrics_application(scope, receive, send)
    elif scope["type"] == "http":
        await django_application(scope, receive, send)
    elif scope["type"] == "websocket":
        await websocket_application(scope, receive, send)
    elif scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
    else:
        raise ValueError(f"unknown ASGI scope type {scope['type']!r}")
