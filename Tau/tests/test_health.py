import asyncio
import json
import socket
import time
from unittest import mock

from asgiref.sync import sync_to_async

from django.conf import settings
from django.db import connection
from django.test import SimpleTestCase, TestCase, override_settings

from Tau import health


def forget_the_last_check(test):
    """Each test starts without a remembered database state, and leaves none behind."""
    patcher = mock.patch.object(health, "_last_check", None, create=True)
    patcher.start()
    test.addCleanup(patcher.stop)


class HealthUpTests(TestCase):
    def setUp(self):
        forget_the_last_check(self)

    def test_answers_200_when_the_database_answers(self):
        response = self.client.get(settings.HEALTH_CHECK_PATH)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"status": "ok"})
        self.assertEqual(response["Cache-Control"], "no-store")

    def test_head_answers_too(self):
        response = self.client.head(settings.HEALTH_CHECK_PATH)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Cache-Control"], "no-store")

    @override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
    def test_tells_nothing_about_the_client(self):
        response = self.client.get(settings.HEALTH_CHECK_PATH, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_PROTO="https")
        self.assertEqual(response.json(), {"status": "ok"})
        self.assertNotIn(b"203.0.113.7", response.content)

    def test_a_flood_costs_one_query_per_interval(self):
        clock = [1000.0]
        with mock.patch.object(health, "monotonic", lambda: clock[0]):
            with self.assertNumQueries(1):
                for _ in range(50):
                    self.assertEqual(self.client.get(settings.HEALTH_CHECK_PATH).status_code, 200)
            clock[0] += health.CHECK_INTERVAL
            with self.assertNumQueries(1):
                for _ in range(50):
                    self.assertEqual(self.client.get(settings.HEALTH_CHECK_PATH).status_code, 200)

    @override_settings(ALLOWED_HOSTS=["tau.example"], SECURE_SSL_REDIRECT=True)
    def test_answers_any_host_without_redirecting(self):
        # The container's healthcheck calls http://127.0.0.1:<port>/healthz: not an allowed host, not HTTPS.
        response = self.client.get(settings.HEALTH_CHECK_PATH, HTTP_HOST="127.0.0.1:8000")
        self.assertEqual(response.status_code, 200)

    @override_settings(ALLOWED_HOSTS=["tau.example"])
    def test_other_paths_still_validate_the_host(self):
        with self.assertLogs("django.security.DisallowedHost", "ERROR") as logs:
            response = self.client.get("/admin/login/", HTTP_HOST="evil.example")
        self.assertEqual(response.status_code, 400)
        self.assertIn("Invalid HTTP_HOST header: 'evil.example'", logs.output[0])

    def test_only_reads(self):
        with self.assertLogs("django.request", "WARNING") as logs:
            self.assertEqual(self.client.post(settings.HEALTH_CHECK_PATH).status_code, 405)
        self.assertIn("Method Not Allowed", logs.output[0])


class HealthDownTests(SimpleTestCase):
    databases = {"default"}

    def setUp(self):
        forget_the_last_check(self)

    def test_answers_503_when_the_database_does_not(self):
        # Point the connection at a port nobody listens on: a real refused connection, not a mock.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed_port = s.getsockname()[1]
        saved = {**connection.settings_dict, "OPTIONS": dict(connection.settings_dict["OPTIONS"])}
        connection.close()
        # The pool was made with the real server's address: a new one, which gives up on it after a second.
        connection.close_pool()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=closed_port,
                                        OPTIONS={**saved["OPTIONS"], "pool": {**saved["OPTIONS"]["pool"], "min_size": 0, "timeout": 1}})
        clock = [1000.0]
        with mock.patch.object(health, "monotonic", lambda: clock[0]):
            try:
                with self.assertLogs("django.request", "ERROR") as logs, self.assertLogs("Tau.health", "WARNING") as reason, \
                        self.assertLogs("psycopg.pool", "WARNING") as pool:
                    response = self.client.get(settings.HEALTH_CHECK_PATH)
            finally:
                connection.close()
                connection.close_pool()
                connection.settings_dict.clear()
                connection.settings_dict.update(saved)
            self.assertEqual(response.status_code, 503)
            self.assertEqual(response.json(), {"status": "unavailable"})
            self.assertEqual(response["Cache-Control"], "no-store")
            self.assertIn("Service Unavailable", logs.output[0])
            # Why, for the operator: no connection from the pool, and the pool's own words (a refused connection here).
            self.assertIn("health check: the database did not answer: couldn't get a connection", reason.output[0])
            self.assertIn("refused", pool.output[0])
            # The database is back: the remembered state holds for the rest of the interval, then is checked.
            clock[0] += health.CHECK_INTERVAL / 2
            with self.assertLogs("django.request", "ERROR"):
                self.assertEqual(self.client.get(settings.HEALTH_CHECK_PATH).status_code, 503)
            clock[0] += health.CHECK_INTERVAL / 2
            self.assertEqual(self.client.get(settings.HEALTH_CHECK_PATH).status_code, 200)


def closed_port():
    """A port nobody listens on: a real refused connection, not a mock."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def asgi_request(method, path=None):
    """One request through the ASGI application, as Uvicorn makes it; returns (status, headers, body)."""
    from Tau.asgi import application

    sent = []
    incoming = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        if incoming:
            return incoming.pop(0)
        await asyncio.Future()  # the client stays connected

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path or settings.HEALTH_CHECK_PATH, "raw_path": b"", "root_path": "",
             "query_string": b"", "headers": [(b"host", b"127.0.0.1:8000")], "scheme": "http", "server": ("127.0.0.1", 8000)}
    return application(scope, receive, send), sent


def finish(request):
    """Awaits one asgi_request; returns (status, headers, body)."""
    coroutine, sent = request
    return coroutine, lambda: (sent[0]["status"], dict(sent[0]["headers"]), b"".join(m.get("body", b"") for m in sent[1:]))


class AsgiHealthTests(SimpleTestCase):
    """The health endpoint as Gunicorn's Uvicorn workers serve it: answered on the event loop, never by Django."""
    databases = {"default"}

    def setUp(self):
        # A probe of the test's own, on the test's own event loop.
        self.probe = health.DatabaseProbe()
        patcher = mock.patch.object(health, "probe", self.probe)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.checks = 0
        real_check = self.probe.check

        async def counted_check():
            self.checks += 1
            return await real_check()

        self.probe.check = counted_check

    def run_loop(self, scenario):
        async def main():
            try:
                return await asyncio.wait_for(scenario(), 20)
            finally:
                await self.probe.stop()
        return asyncio.run(main())

    async def get(self, method="GET", path=None):
        coroutine, result = finish(asgi_request(method, path))
        await coroutine
        return result()

    def test_answers_200_from_the_background_check_and_a_flood_costs_one_check(self):
        async def scenario():
            answers = [await self.get() for _ in range(50)]
            head = await self.get("HEAD")
            return answers, head
        answers, head = self.run_loop(scenario)
        status, headers, body = answers[0]
        self.assertEqual((status, json.loads(body)), (200, {"status": "ok"}))
        self.assertEqual(headers[b"cache-control"], b"no-store")
        self.assertEqual(headers[b"content-type"], b"application/json")
        self.assertEqual({a[0] for a in answers}, {200})
        self.assertEqual((head[0], head[2]), (200, b""))
        # 51 requests in well under CHECK_INTERVAL: the first check only.
        self.assertEqual(self.checks, 1)

    def test_answers_are_counted_in_the_metrics_as_the_health_view(self):
        from Tau import metrics

        def count(status):
            return metrics.REGISTRY.get_sample_value(
                "tau_http_requests_total", {"view": "health", "method": "GET", "status": status}) or 0

        before = count("200")
        self.run_loop(lambda: self.get())
        self.assertEqual(count("200"), before + 1)

    def test_only_reads(self):
        status, _, body = self.run_loop(lambda: self.get("POST"))
        self.assertEqual((status, json.loads(body)), (405, {"error": "method not allowed"}))

    def test_answers_at_once_while_djangos_thread_is_busy(self):
        # Django runs a request's code in its thread (sync_to_async); a request that holds it for 3 s
        # must not hold the health answer.
        async def scenario():
            await self.get()  # the first check, done
            busy = asyncio.ensure_future(sync_to_async(time.sleep, thread_sensitive=True)(3))
            await asyncio.sleep(0.1)
            started = time.monotonic()
            status, _, _ = await self.get()
            took = time.monotonic() - started
            await busy
            return status, took
        status, took = self.run_loop(scenario)
        self.assertEqual(status, 200)
        self.assertLess(took, 0.5)

    def test_other_paths_go_to_django(self):
        status, _, _ = self.run_loop(lambda: self.get("GET", "/no-such-page/"))
        self.assertEqual(status, 404)
        self.assertEqual(self.checks, 0)

    def test_answers_503_with_the_reason_logged_then_200_once_the_database_is_back(self):
        saved = dict(connection.settings_dict)
        connection.settings_dict.update(HOST="127.0.0.1", PORT=closed_port())

        async def scenario():
            try:
                with self.assertLogs("Tau.health", "WARNING") as reason:
                    down = await self.get()
            finally:
                connection.settings_dict.clear()
                connection.settings_dict.update(saved)
            # The next background check, a CHECK_INTERVAL later, finds the database again.
            await asyncio.sleep(health.CHECK_INTERVAL + 0.5)
            return down, reason.output, await self.get()
        down, reason, back = self.run_loop(scenario)
        self.assertEqual((down[0], json.loads(down[2])), (503, {"status": "unavailable"}))
        self.assertEqual(down[1][b"cache-control"], b"no-store")
        self.assertIn("health check: the database did not answer:", reason[0])
        self.assertIn("refused", reason[0])
        self.assertEqual(back[0], 200)


class ProbeConnectionTests(SimpleTestCase):
    """The background check connects as the app's requests do: an external database's TLS settings included."""

    def test_takes_libpq_options_and_leaves_djangos_own(self):
        options = {"sslmode": "verify-full", "sslrootcert": "/etc/postgresql-ca/root.crt", "pool": {"max_size": 2}}
        with mock.patch.dict(connection.settings_dict, {"OPTIONS": options}):
            params = health._connection_params()
        self.assertEqual(params["sslmode"], "verify-full")
        self.assertEqual(params["sslrootcert"], "/etc/postgresql-ca/root.crt")
        self.assertNotIn("pool", params)
        self.assertEqual(params["dbname"], connection.settings_dict["NAME"])

