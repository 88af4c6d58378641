"""One JSON line per request on the output, carrying the request id nginx set (X-Request-ID), so that a
line of nginx's access log and the app's line of the same request can be found together.

A line holds what identifies the request and its outcome: the id, the method, the path without its query
string (queries may carry tokens), the URL pattern's name, the status and the time taken. Never headers,
cookies or the body: those hold session ids, CSRF tokens, passwords and Authorization.
"""
import json
import logging
import re
from datetime import datetime, timezone
from time import perf_counter

from .metrics import method_label, view_label

logger = logging.getLogger("tau.requests")

# What nginx sends: its own $request_id (32 hex digits), or a trusted proxy's id of the same shape. Anything
# else (a client reaching the app some other way) is not written to the log.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def request_id(request):
    value = request.META.get("HTTP_X_REQUEST_ID", "")
    return value if REQUEST_ID.fullmatch(value) else None


class JsonFormatter(logging.Formatter):
    """The record's `fields` (or its message) as one line of JSON, with the time in UTC."""

    def format(self, record):
        fields = getattr(record, "fields", None) or {"message": record.getMessage()}
        line = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "logger": record.name, **fields}
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = perf_counter()
        response = self.get_response(request)
        logger.info("request", extra={"fields": {
            "request_id": request_id(request),
            "method": method_label(request),
            "path": request.path,
            "view": view_label(request),
            "status": response.status_code,
            "duration": round(perf_counter() - started, 6),
        }})
        return response
