"""The health endpoint the web service's healthcheck calls.

It is a middleware placed first, so it answers before anything validates the Host header or redirects
to HTTPS: the container's healthcheck calls http://127.0.0.1:<port><path>, which is neither an allowed
host nor HTTPS. It says 200 only when the database answers a query, 503 otherwise, and nothing else: the
endpoint is public, so it tells nothing about the client, the proxy or the database.

The database's state is checked at most once per CHECK_INTERVAL seconds in each process and reused in
between, so that a flood of health requests does not become a flood of database connections and queries.
"""
import logging
from time import monotonic

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse

# Long enough to absorb a flood, short enough that a healthcheck (every few seconds) sees a change at once.
CHECK_INTERVAL = 1.0

logger = logging.getLogger(__name__)

# (monotonic() of the last check, its result); None until the first check of this process.
_last_check = None


def database_is_up():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        # The reason goes to the server's log only (the answer says nothing of it): once per failed check, so
        # at most once per CHECK_INTERVAL in each process.
        logger.warning("health check: the database did not answer: %s", str(error).strip())
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
        if request.method not in ("GET", "HEAD"):
            return JsonResponse({"error": "method not allowed"}, status=405)
        if database_was_up_recently():
            response = JsonResponse({"status": "ok"})
        else:
            response = JsonResponse({"status": "unavailable"}, status=503)
        response["Cache-Control"] = "no-store"
        return response
