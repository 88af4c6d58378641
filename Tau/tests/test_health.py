import socket

from django.conf import settings
from django.db import connection
from django.test import SimpleTestCase, TestCase, override_settings


class HealthUpTests(TestCase):
    def test_answers_200_when_the_database_answers(self):
        response = self.client.get(settings.HEALTH_CHECK_PATH)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"status": "ok", "database": "up", "client": {"address": "127.0.0.1", "secure": False}})
        self.assertEqual(response["Cache-Control"], "no-store")

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

    @override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
    def test_tells_what_the_app_sees_of_the_client(self):
        response = self.client.get(settings.HEALTH_CHECK_PATH, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_PROTO="https")
        self.assertEqual(response.json()["client"], {"address": "203.0.113.7", "secure": True})

    def test_only_reads(self):
        with self.assertLogs("django.request", "WARNING") as logs:
            self.assertEqual(self.client.post(settings.HEALTH_CHECK_PATH).status_code, 405)
        self.assertIn("Method Not Allowed", logs.output[0])


class HealthDownTests(SimpleTestCase):
    databases = {"default"}

    def test_answers_503_when_the_database_does_not(self):
        # Point the connection at a port nobody listens on: a real refused connection, not a mock.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed_port = s.getsockname()[1]
        saved = dict(connection.settings_dict)
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=closed_port)
        try:
            with self.assertLogs("django.request", "ERROR") as logs:
                response = self.client.get(settings.HEALTH_CHECK_PATH)
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json()["database"], "down")
        self.assertIn("Service Unavailable", logs.output[0])
