"""The health endpoint the web service's healthcheck calls.

It is a middleware placed first, so it answers before anything validates the Host header or redirects
to HTTPS: the container's healthcheck calls http://127.0.0.1:<port><path>, which is neither an allowed
host nor HTTPS. It says 200 only when the database answers a query, 503 otherwise, and tells what the
app sees of the client (address and whether the request counts as HTTPS): the quickest way to check that
the proxy's forwarded headers are trusted.
"""
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse


def database_is_up():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        # Drop the broken connection so the next request opens a fresh one.
        connection.close()
        return False
    return True


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.path = settings.HEALTH_CHECK_PATH

    def __call__(self, request):
        if request.path_info != self.path:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return JsonResponse({"error": "method not allowed"}, status=405)
        client = {"address": request.META.get("REMOTE_ADDR"), "secure": request.is_secure()}
        if database_is_up():
            response = JsonResponse({"status": "ok", "database": "up", "client": client})
        else:
            response = JsonResponse({"status": "unavailable", "database": "down", "client": client}, status=503)
        response["Cache-Control"] = "no-store"
        return response
