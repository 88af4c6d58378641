"""WebSocket routes of the ASGI application, in plain ASGI (no package beyond Django).

/ws/echo/ accepts a connection from an allowed host and echoes every message back. It proves the whole
upgrade path (nginx's Upgrade/Connection headers, Uvicorn's WebSocket support) and is the place where a
GraphQL subscription transport would go.
"""
from django.conf import settings
from django.http.request import split_domain_port, validate_host

ECHO_PATH = "/ws/echo/"


def _host_allowed(scope):
    headers = dict(scope.get("headers") or [])
    domain, _port = split_domain_port(headers.get(b"host", b"").decode("latin-1"))
    allowed = settings.ALLOWED_HOSTS or (["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
    return bool(domain) and validate_host(domain, allowed)


async def websocket_application(scope, receive, send):
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    if scope["path"] != ECHO_PATH or not _host_allowed(scope):
        # Closing before accepting answers the handshake with 403.
        await send({"type": "websocket.close", "code": 4403})
        return
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": f"echo: {message['text']}"})
        elif message.get("bytes") is not None:
            await send({"type": "websocket.send", "bytes": message["bytes"]})
