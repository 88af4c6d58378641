import socket
from unittest import mock

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
        saved = dict(connection.settings_dict)
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=closed_port)
        clock = [1000.0]
        with mock.patch.object(health, "monotonic", lambda: clock[0]):
            try:
                with self.assertLogs("django.request", "ERROR") as logs, self.assertLogs("Tau.health", "WARNING") as reason:
                    response = self.client.get(settings.HEALTH_CHECK_PATH)
            finally:
                connection.close()
                connection.settings_dict.clear()
                connection.settings_dict.update(saved)
            self.assertEqual(response.status_code, 503)
            self.assertEqual(response.json(), {"status": "unavailable"})
            self.assertEqual(response["Cache-Control"], "no-store")
            self.assertIn("Service Unavailable", logs.output[0])
            # Why, for the operator: the driver's own words (a refused connection here).
            self.assertIn("health check: the database did not answer:", reason.output[0])
            self.assertIn("refused", reason.output[0])
            # The database is back: the remembered state holds for the rest of the interval, then is checked.
            clock[0] += health.CHECK_INTERVAL / 2
            with self.assertLogs("django.request", "ERROR"):
                self.assertEqual(self.client.get(settings.HEALTH_CHECK_PATH).status_code, 503)
            clock[0] += health.CHECK_INTERVAL / 2
            self.assertEqual(self.client.get(settings.HEALTH_CHECK_PATH).status_code, 200)
