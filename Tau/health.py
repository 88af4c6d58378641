"""The health endpoint the web service's healthcheck calls.

It says 200 only when the database answers a query, 503 otherwise, and nothing else: the endpoint is public,
so it tells nothing about the client, the proxy or the database. It answers before anything validates the Host
header or redirects to HTTPS: the container's healthcheck calls http://127.0.0.1:<port><path>, which is neither
an allowed host nor HTTPS.

Under ASGI (Tau.asgi), the answer comes from the event loop itself, never from Django's request handling: a
DatabaseProbe checks the database in the background, on a connection of its own, every CHECK_INTERVAL seconds,
and a health request only reads its last result. Behind Django, the answer would wait for a thread of the
handler and for a connection of the pool, both of which the app's own requests hold under load; a platform
that saw the probe time out then would restart a web that is only busy.

HealthCheckMiddleware, placed first, answers the same under WSGI and Django's test client. It checks the
database through Django's connection at most once per CHECK_INTERVAL in each process and reuses the result in
between, so that a flood of health requests does not become a flood of connections and queries.
"""
import asyncio
import json
import logging
from time import monotonic

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse

# Long enough to absorb a flood, short enough that a healthcheck (every few seconds) sees a change at once.
CHECK_INTERVAL = 1.0
# A database that has not answered a check in this long is down: a stopped network answers nothing at all.
CHECK_TIMEOUT = 3.0

logger = logging.getLogger(__name__)


def log_failure(reason):
    # The reason goes to the server's log only (the answer says nothing of it): once per failed check, so at
    # most once per CHECK_INTERVAL in each process.
    logger.warning("health check: the database did not answer: %s", reason)


def answer(method, database_up):
    """(status, body) of the endpoint, for a request's method and the database's state."""
    if method not in ("GET", "HEAD"):
        return 405, {"error": "method not allowed"}
    return (200, {"status": "ok"}) if database_up else (503, {"status": "unavailable"})


# ---- under ASGI: answered on the event loop from a check that runs in the background


class DatabaseProbe:
    """Checks the database every CHECK_INTERVAL seconds, on the event loop, on one connection of its own."""

    def __init__(self):
        self._task = None
        self._connection = None
        # (monotonic() when the last check finished, its result); None until the first one.
        self._result = None
        self._first_result = None

    def start(self):
        """Starts the checks on the running loop (at the server's startup, or at the first health request)."""
        if self._task is None or self._task.done():
            self._first_result = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self):
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await self._close()

    async def is_up(self):
        self.start()
        if self._result is None:
            await self._first_result.wait()
        finished, up = self._result
        # A result older than a whole check cycle means the checks have stopped: do not vouch for the database.
        return up and monotonic() - finished <= CHECK_INTERVAL + CHECK_TIMEOUT + 1

    async def _run(self):
        while True:
            up = await self.check()
            self._result = (monotonic(), up)
            self._first_result.set()
            await asyncio.sleep(CHECK_INTERVAL)

    async def check(self):
        """One check: SELECT 1 on the probe's connection, opened (again) when it has none."""
        # Imported here: the middleware below serves whatever driver Django uses, psycopg 3 or not.
        import psycopg

        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                if self._connection is None or self._connection.closed:
                    self._connection = await psycopg.AsyncConnection.connect(**_connection_params(), autocommit=True)
                await self._connection.execute("SELECT 1")
            return True
        except TimeoutError:
            log_failure(f"no answer in {CHECK_TIMEOUT:g} s")
        except (psycopg.Error, OSError) as error:
            log_failure(str(error).strip())
        # Drop the connection, broken or not: the next check opens a fresh one.
        await self._close()
        return False

    async def _close(self):
        conn, self._connection = self._connection, None
        if conn is not None:
            try:
                await conn.close()
            except Exception:  # noqa: BLE001  (a connection that is already broken: nothing more to do)
                pass


# Keys of DATABASES' OPTIONS that Django reads itself; the others are libpq's (sslmode, sslrootcert, ...).
DJANGO_OPTIONS = {"pool", "assume_role", "isolation_level", "server_side_binding"}


def _connection_params():
    """Django's own settings of the database: the same server, database, role and TLS as the app's requests."""
    s = connection.settings_dict
    libpq = {key: value for key, value in s.get("OPTIONS", {}).items() if key not in DJANGO_OPTIONS}
    return {**libpq, "dbname": s["NAME"], "user": s["USER"], "password": s["PASSWORD"], "host": s["HOST"],
            "port": s["PORT"], "connect_timeout": max(1, int(CHECK_TIMEOUT)), "application_name": "health check"}


probe = DatabaseProbe()


def is_health_request(scope):
    return scope["type"] == "http" and scope["path"] == settings.HEALTH_CHECK_PATH


async def asgi_answer(scope, send):
    """The whole answer to a health request, sent on the event loop; returns its status."""
    status, body = answer(scope["method"], await probe.is_up() if scope["method"] in ("GET", "HEAD") else False)
    content = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(content)).encode()), (b"cache-control", b"no-store"),
    ]})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else content})
    return status


# ---- under WSGI and Django's test client: a middleware placed first

# (monotonic() of the last check, its result); None until the first check of this process.
_last_check = None


def database_is_up():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        log_failure(str(error).strip())
        # Drop the broken connection so the next check opens a fresh one.
        connection.close()
        return False
    return True


def database_was_up_recently():
    """database_is_up(), reused for CHECK_INTERVAL seconds; requests racing a check may check too."""
    global _last_check
    now = monotonic()
    last = _last_check
    if last is None or now - last[0] >= CHECK_INTERVAL:
        last = _last_check = (now, database_is_up())
    return last[1]


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.path = settings.HEALTH_CHECK_PATH

    def __call__(self, request):
        if request.path_info != self.path:
            return self.get_response(request)
        reads = request.method in ("GET", "HEAD")
        status, body = answer(request.method, reads and database_was_up_recently())
        response = JsonResponse(body, status=status)
        if reads:
            response["Cache-Control"] = "no-store"
        return response
