import asyncio
import sys

from django.conf import settings
from django.test import SimpleTestCase, override_settings
from django.urls import path

from Tau.asgi import application, shorten_switch_interval


def run_websocket(path, host, messages, origin=None):
    """Drives the ASGI app through one WebSocket connection; returns what it sent."""
    incoming = [{"type": "websocket.connect"}] + [{"type": "websocket.receive", "text": m} for m in messages]
    incoming.append({"type": "websocket.disconnect", "code": 1000})
    sent = []

    async def receive():
        return incoming.pop(0)

    async def send(message):
        sent.append(message)

    headers = [(b"host", host.encode())] + ([(b"origin", origin.encode())] if origin is not None else [])
    scope = {"type": "websocket", "path": path, "headers": headers, "subprotocols": []}
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


REFUSED = [{"type": "websocket.close", "code": 4403}]


@override_settings(ALLOWED_HOSTS=["tau.example", "tau.example:8443"],
                   CSRF_TRUSTED_ORIGINS=["https://app.example", "https://*.trusted.example"])
class WebSocketOriginTests(SimpleTestCase):
    def accepted(self, origin, host="tau.example"):
        return run_websocket("/ws/echo/", host, ["ping"], origin=origin)[0] == {"type": "websocket.accept"}

    def test_the_sites_own_origin_is_accepted(self):
        self.assertTrue(self.accepted("https://tau.example"))
        self.assertTrue(self.accepted("http://tau.example"))
        self.assertTrue(self.accepted("HTTPS://TAU.EXAMPLE"))
        self.assertTrue(self.accepted("https://tau.example:8443", host="tau.example:8443"))

    def test_trusted_origins_are_accepted(self):
        self.assertTrue(self.accepted("https://app.example"))
        self.assertTrue(self.accepted("https://shop.trusted.example"))

    def test_a_foreign_origin_is_refused_before_accepting(self):
        # Cross-site WebSocket hijacking: a page elsewhere opening a socket with the user's cookies.
        for origin in ("https://evil.example", "null", "https://tau.example.evil.example", "https://tau.example:8443",
                       "ftp://tau.example", "http://app.example", "https://trusted.example.evil",
                       "http://shop.trusted.example"):
            with self.subTest(origin=origin):
                self.assertEqual(run_websocket("/ws/echo/", "tau.example", ["ping"], origin=origin), REFUSED)

    def test_a_client_without_origin_is_accepted(self):
        # Browsers always send Origin; a client that does not is no browser and carries no victim's cookies.
        self.assertTrue(self.accepted(None))


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


def sync_view(request):
    return None


async def async_view(request):
    return None


urlpatterns = [path("sync/", sync_view), path("async/", async_view)]


@override_settings(ROOT_URLCONF=__name__)
class AdmissionTests(SimpleTestCase):
    """Django works on at most the pool's max_size sync-view requests at once in a worker; the rest wait on the loop."""

    def run_requests(self, count, path="/sync/"):
        from unittest import mock

        from Tau import asgi, health

        state = {"now": 0, "most": 0}

        async def django(scope, receive, send):
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
            await asyncio.sleep(0.05)
            state["now"] -= 1
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        async def healthy():
            return True

        async def main():
            sent = []

            async def send(message):
                sent.append(message)

            def request(p):
                return application({"type": "http", "method": "GET", "path": p, "headers": []}, None, send)

            waiting = [asyncio.ensure_future(request(path)) for _ in range(count)]
            await asyncio.sleep(0.01)
            # While Django's requests wait for their turn, the health endpoint answers at once.
            await asyncio.wait_for(request(settings.HEALTH_CHECK_PATH), 0.02)
            health_status = sent[-2]["status"]
            await asyncio.gather(*waiting)
            return health_status

        with mock.patch.object(asgi, "django_application", django), mock.patch.object(health.probe, "is_up", healthy), \
                mock.patch.object(asgi, "_admission", (None, None)):
            health_status = asyncio.run(main())
        return state["most"], health_status

    def test_at_most_the_pools_size_at_once_and_health_is_not_queued(self):
        max_size = settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]
        most, health_status = self.run_requests(10)
        self.assertEqual(most, max_size)
        self.assertEqual(health_status, 200)

    def test_async_views_take_no_thread_and_do_not_wait(self):
        most, _ = self.run_requests(10, "/async/")
        self.assertEqual(most, 10)

    def test_without_a_pool_nothing_waits(self):
        from unittest import mock

        from Tau import asgi

        with mock.patch.object(asgi, "django_concurrency", lambda: None):
            most, _ = self.run_requests(10)
        self.assertEqual(most, 10)


class ThreadedViewsTests(SimpleTestCase):
    def test_graphql_and_the_admin_are_sync_views(self):
        from Tau.asgi import takes_a_thread

        self.assertTrue(takes_a_thread("/graphql/"))
        self.assertTrue(takes_a_thread("/admin/login/"))


class SwitchIntervalTests(SimpleTestCase):
    def setUp(self):
        default = sys.getswitchinterval()
        self.addCleanup(sys.setswitchinterval, default)

    def test_the_worker_takes_the_setting(self):
        sys.setswitchinterval(0.005)
        shorten_switch_interval()
        # The interpreter keeps the interval in microseconds.
        self.assertAlmostEqual(sys.getswitchinterval(), settings.PYTHON_SWITCH_INTERVAL, places=6)
        self.assertLess(settings.PYTHON_SWITCH_INTERVAL, 0.005)

    @override_settings(PYTHON_SWITCH_INTERVAL=None)
    def test_without_the_setting_python_keeps_its_own(self):
        sys.setswitchinterval(0.005)
        shorten_switch_interval()
        self.assertAlmostEqual(sys.getswitchinterval(), 0.005, places=6)
