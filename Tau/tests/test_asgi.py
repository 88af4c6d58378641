import asyncio

from django.test import SimpleTestCase, override_settings

from Tau.asgi import application


def run_websocket(path, host, messages):
    """Drives the ASGI app through one WebSocket connection; returns what it sent."""
    incoming = [{"type": "websocket.connect"}] + [{"type": "websocket.receive", "text": m} for m in messages]
    incoming.append({"type": "websocket.disconnect", "code": 1000})
    sent = []

    async def receive():
        return incoming.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "websocket", "path": path, "headers": [(b"host", host.encode())], "subprotocols": []}
    asyncio.run(asyncio.wait_for(application(scope, receive, send), 5))
    return sent


@override_settings(ALLOWED_HOSTS=["tau.example"])
class WebSocketTests(SimpleTestCase):
    def test_echo_accepts_and_answers(self):
        sent = run_websocket("/ws/echo/", "tau.example", ["ping", "pong"])
        self.assertEqual(sent, [
            {"type": "websocket.accept"},
            {"type": "websocket.send", "text": "echo: ping"},
            {"type": "websocket.send", "text": "echo: pong"},
        ])

    def test_unknown_host_is_refused(self):
        sent = run_websocket("/ws/echo/", "evil.example", ["ping"])
        self.assertEqual(sent, [{"type": "websocket.close", "code": 4403}])

    def test_unknown_path_is_refused(self):
        sent = run_websocket("/ws/other/", "tau.example", [])
        self.assertEqual(sent, [{"type": "websocket.close", "code": 4403}])


class LifespanTests(SimpleTestCase):
    def test_startup_and_shutdown_are_acknowledged(self):
        incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
        sent = []

        async def receive():
            return incoming.pop(0)

        async def send(message):
            sent.append(message)

        asyncio.run(asyncio.wait_for(application({"type": "lifespan"}, receive, send), 5))
        self.assertEqual([m["type"] for m in sent], ["lifespan.startup.complete", "lifespan.shutdown.complete"])
