"""The web metrics: what the middleware and the GraphQL limits count, that /metrics is answered on the
metrics port only, and that the counts add up across Gunicorn's workers, run as the Dockerfile runs it."""
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase, TestCase, override_settings
from prometheus_client import REGISTRY

from Tau.asgi import application

ROOT = Path(__file__).resolve().parents[2]


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


class MiddlewareTests(TestCase):
    def test_a_request_is_counted_and_timed_by_view_method_and_status(self):
        labels = {"view": "graphql", "method": "GET", "status": "400"}
        before = sample("tau_http_requests_total", **labels), sample("tau_http_request_duration_seconds_count", **labels)
        self.assertEqual(self.client.get("/graphql/").status_code, 400)
        self.assertEqual(sample("tau_http_requests_total", **labels), before[0] + 1)
        self.assertEqual(sample("tau_http_request_duration_seconds_count", **labels), before[1] + 1)

    def test_an_unknown_path_is_one_label_whatever_the_path(self):
        labels = {"view": "<unmatched>", "method": "GET", "status": "404"}
        before = sample("tau_http_requests_total", **labels)
        for path in ("/a/", "/b/c", "/metrics"):
            self.client.get(path)
        self.assertEqual(sample("tau_http_requests_total", **labels), before + 3)

    def test_the_database_pool_is_measured_after_a_request(self):
        from django.db import connections

        from library.models import Document

        list(Document.objects.all()[:1])  # this test's connection, borrowed from the pool for its transaction
        self.client.get("/graphql/")
        stats = connections["default"].pool.get_stats()
        opened, idle = sample("tau_database_pool_connections", state="open"), sample("tau_database_pool_connections", state="idle")
        self.assertGreaterEqual(opened, 1)
        self.assertLessEqual(idle, opened - 1, "the connection this test holds is not idle")
        self.assertEqual((opened, idle), (stats["pool_size"], stats.get("pool_available", 0)))
        self.assertEqual(sample("tau_database_pool_waiting"), 0)

    def test_a_made_up_method_does_not_make_a_series(self):
        before = sample("tau_http_requests_total", view="graphql", method="other", status="405")
        self.client.generic("BREW", "/graphql/")
        self.assertGreater(sample("tau_http_requests_total", view="graphql", method="other", status="405"), before)


@override_settings(DEBUG=False)
class GraphQLRefusalTests(SimpleTestCase):
    def refused(self, limit, body):
        before = sample("tau_graphql_refused_total", limit=limit)
        response = self.client.post("/graphql/", body, content_type="application/json")
        self.assertEqual(response.status_code, 400, response.content)
        return sample("tau_graphql_refused_total", limit=limit) - before

    def test_each_limit_counts_its_refusals(self):
        limits = settings.GRAPHQL_LIMITS
        cases = {
            "batch": [{"query": "{ __typename }"}],
            "length": {"query": "{ __typename }" + " " * limits["MAX_QUERY_LENGTH"]},
            "tokens": {"query": "{" + "a " * limits["MAX_TOKENS"] + "}"},
            "depth": {"query": "{ a " + "{ b " * limits["MAX_DEPTH"] + "}" * limits["MAX_DEPTH"] + " }"},
            "aliases": {"query": "{ " + " ".join(f"a{i}: __typename" for i in range(limits["MAX_ALIASES"] + 1)) + " }"},
            "introspection": {"query": "{ __schema { types { name } } }"},
        }
        for limit, body in cases.items():
            with self.subTest(limit=limit):
                self.assertEqual(self.refused(limit, json.dumps(body)), 1)


def call(scope_server, path):
    sent = []
    incoming = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        if incoming:
            return incoming.pop(0)
        await asyncio.sleep(10)  # the client stays until the answer is sent
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [(b"host", b"localhost")], "server": scope_server, "client": ("127.0.0.1", 5000),
             "scheme": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "root_path": ""}
    asyncio.run(asyncio.wait_for(application(scope, receive, send), 5))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


class MetricsPortTests(SimpleTestCase):
    def test_the_metrics_port_answers_metrics(self):
        status, body = call(("0.0.0.0", settings.METRICS_PORT), "/metrics")
        self.assertEqual(status, 200)
        self.assertIn(b"# TYPE tau_http_requests_total counter", body)

    def test_the_metrics_port_answers_nothing_else(self):
        self.assertEqual(call(("0.0.0.0", settings.METRICS_PORT), "/graphql/")[0], 404)

    def test_the_web_port_does_not_answer_metrics(self):
        status, body = call(("0.0.0.0", 8000), "/metrics")
        self.assertEqual(status, 404)
        self.assertNotIn(b"tau_http_requests_total", body)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dockerfile_command():
    """The web image's command, as the generated Dockerfile's CMD has it."""
    cmd = next(line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD "))
    return json.loads(cmd[4:])


def fetch(url, timeout=10):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def requests_counted(text):
    """The sum of tau_http_requests_total over the graphql view's samples."""
    return sum(float(m.group(1)) for m in re.finditer(r'^tau_http_requests_total\{[^}]*view="graphql"[^}]*\} (\S+)$', text, re.M))


class WorkersAddUpTests(TestCase):
    """Gunicorn with 3 workers, from the Dockerfile's command and gunicorn.conf.py as generated."""

    WORKERS = 3

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.metrics_dir = os.path.join(self.dir, "prometheus")
        web, metrics = free_port(), free_port()
        command = dockerfile_command()
        command = [a.replace(f"0.0.0.0:{settings.METRICS_PORT}", f"127.0.0.1:{metrics}") for a in command]
        command = [re.sub(r"^0\.0\.0\.0:\d+$", f"127.0.0.1:{web}", a) for a in command]
        command[command.index("--control-socket") + 1] = os.path.join(self.dir, "gunicorn.ctl")
        # A stale file of an earlier run: the master's start must remove it, or its count would add up.
        os.makedirs(self.metrics_dir)
        Path(self.metrics_dir, "counter_999999.db").write_bytes(b"stale")
        env = dict(os.environ, WEB_CONCURRENCY=str(self.WORKERS), PROMETHEUS_MULTIPROC_DIR=self.metrics_dir,
                   DJANGO_SETTINGS_MODULE="Tau.tests.metrics_settings", TEST_METRICS_PORT=str(metrics),
                   PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
        self.server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(self.stop)
        self.web = f"http://127.0.0.1:{web}"
        self.metrics = f"http://127.0.0.1:{metrics}/metrics"
        deadline = time.monotonic() + 30
        while True:
            try:
                fetch(self.metrics, timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or self.server.poll() is not None:
                    self.fail(f"gunicorn did not start: {self.stop()}")
                time.sleep(0.2)

    def stop(self):
        if self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
        try:
            _, err = self.server.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            self.server.kill()
            _, err = self.server.communicate()
        return err.decode(errors="replace")[-2000:]

    def send(self, count):
        # Each request on a connection of its own, 8 at a time: the workers take them as they come.
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: fetch(f"{self.web}/graphql/")[0], range(count)))
        self.assertEqual(statuses, [400] * count)

    def worker_files(self):
        return sorted(p for p in os.listdir(self.metrics_dir) if p.startswith("counter_"))

    def test_counts_add_up_across_workers_and_outlive_a_worker(self):
        self.assertNotIn("counter_999999.db", self.worker_files())
        self.send(120)
        files = self.worker_files()
        print(f"\n  metrics files after 120 requests: {files}")
        self.assertGreaterEqual(len(files), 2, "the requests did not spread over several workers")
        for _ in range(3):  # whichever worker answers the scrape, the sum is the same
            status, text = fetch(self.metrics)
            self.assertEqual(status, 200)
            self.assertEqual(requests_counted(text), 120)

        # A worker that exits (here: stopped; the master starts another) keeps its requests in the sum.
        pid = int(files[0].split("_")[1].split(".")[0])
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(Path(f"/proc/{pid}").exists())
        self.send(30)
        _, text = fetch(self.metrics)
        print(f"  after stopping worker {pid} and 30 more requests: {requests_counted(text):.0f} counted")
        self.assertEqual(requests_counted(text), 150)


    def test_the_pools_add_up_across_workers(self):
        # A query that reads the database: each worker that takes one opens its pool (min_size connections
        # at least), whether or not this server's database has the tables.
        url = f"{self.web}/graphql/?query=%7Bdocuments%7Bid%7D%7D"
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: fetch(url), range(60)))
        served = len(self.worker_files())
        _, text = fetch(self.metrics)
        opened = float(re.search(r'^tau_database_pool_connections\{state="open"\} (\S+)$', text, re.M).group(1))
        print(f"\n  {served} workers served the queries; their pools hold {opened:.0f} connections in all")
        self.assertGreaterEqual(served, 2, "the requests did not spread over several workers")
        # One worker's pool holds at most max_size (2): more than that is the workers' sum.
        self.assertGreaterEqual(opened, served)
        self.assertLessEqual(opened, self.WORKERS * settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"])


class RequestLogTests(TestCase):
    def test_one_json_line_per_request_with_nginx_request_id_and_no_secret(self):
        secret = "s3cr3t-cookie-value"
        with self.assertLogs("tau.requests", "INFO") as logs:
            self.client.get("/graphql/?token=" + secret, HTTP_X_REQUEST_ID="0123456789abcdef0123456789abcdef",
                            HTTP_COOKIE=f"sessionid={secret}", HTTP_AUTHORIZATION=f"Bearer {secret}")
        self.assertEqual(len(logs.records), 1)
        from Tau.request_log import JsonFormatter

        line = JsonFormatter().format(logs.records[0])
        self.assertNotIn(secret, line)
        fields = json.loads(line)
        self.assertEqual({k: fields[k] for k in ("logger", "request_id", "method", "path", "view", "status")}, {
            "logger": "tau.requests", "request_id": "0123456789abcdef0123456789abcdef", "method": "GET",
            "path": "/graphql/", "view": "graphql", "status": 400,
        })

    def test_an_implausible_request_id_is_not_written(self):
        with self.assertLogs("tau.requests", "INFO") as logs:
            self.client.get("/graphql/", HTTP_X_REQUEST_ID='x" injected\n{"status":200}')
        self.assertIsNone(logs.records[0].fields["request_id"])
