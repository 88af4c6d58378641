"""ASGI entry point, served by Gunicorn with Uvicorn workers.

HTTP goes to Django, except the health endpoint, answered here on the event loop from the result of a
check that runs in the background (Tau.health), so that it answers at once however busy Django is. WebSocket
connections go to a small router (library.websocket); lifespan events are handled here, since Django's ASGI
handler does not take them: startup starts the health check, shutdown stops it.
"""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "Tau.settings")

django_application = get_asgi_application()

from library.websocket import websocket_application  # noqa: E402  (needs the app registry loaded above)

from . import health  # noqa: E402


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


async def application(scope, receive, send):
    if health.is_health_request(scope):
        await health.asgi_answer(scope, send)
    elif scope["type"] == "http":
        await django_application(scope, receive, send)
    elif scope["type"] == "websocket":
        await websocket_application(scope, receive, send)
    elif scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
    else:
        raise ValueError(f"unknown ASGI scope type {scope['type']!r}")
