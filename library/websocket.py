"""WebSocket routes of the ASGI application, in plain ASGI (no package beyond Django).

/ws/echo/ accepts a connection from an allowed host and echoes every message back. It proves the whole
upgrade path (nginx's Upgrade/Connection headers, Uvicorn's WebSocket support) and is the place where a
GraphQL subscription transport would go.

A browser sends the session cookie with a WebSocket handshake to any site, whichever page opens it, and
the same-origin policy does not apply to WebSockets: without a check of the Origin header any web page
could talk to these routes as the logged-in user (cross-site WebSocket hijacking). So a handshake whose
Origin is neither this host (http or https) nor one of CSRF_TRUSTED_ORIGINS, the origins Django's CSRF
check trusts for POSTs, is refused. A handshake without Origin is accepted: browsers always send one
(RFC 6455, section 4.1), so it comes from a non-browser client, which carries no victim's cookies and could
send any Origin it likes anyway.
"""
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

ECHO_PATH = "/ws/echo/"


def _host_allowed(scope):
    headers = dict(scope.get("headers") or [])
    domain, _port = split_domain_port(headers.get(b"host", b"").decode("latin-1"))
    allowed = settings.ALLOWED_HOSTS or (["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
    return bool(domain) and validate_host(domain, allowed)


def _origin_allowed(scope):
    headers = dict(scope.get("headers") or [])
    origin = headers.get(b"origin")
    if origin is None:
        return True  # not a browser (see above)
    origin = origin.decode("latin-1").lower()
    host = headers.get(b"host", b"").decode("latin-1").lower()
    if host and origin in (f"http://{host}", f"https://{host}"):
        return True
    # CSRF_TRUSTED_ORIGINS as Django's CSRF middleware reads it: exact origins, or "scheme://*.domain".
    parsed = urlsplit(origin)
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        trusted = trusted.lower()
        if "*" not in trusted:
            if origin == trusted:
                return True
        else:
            allowed = urlsplit(trusted)
            if parsed.scheme == allowed.scheme and is_same_domain(parsed.netloc, allowed.netloc.lstrip("*")):
                return True
    return False


async def websocket_application(scope, receive, send):
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    if scope["path"] != ECHO_PATH or not _host_allowed(scope) or not _origin_allowed(scope):
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
