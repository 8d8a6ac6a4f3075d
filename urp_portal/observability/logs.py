"""Logging: readable lines on a terminal (DEBUG, the demo) or one JSON object per line for a
log collector (`LOG_FORMAT=json`, the default in production), both with the request id.

JSON comes from python-json-logger's formatter: the product, Django, Celery and gunicorn all log
through the standard library, so a formatter turns every line into JSON without touching a
single `logger.info` call (structlog would be a second logging API to adopt everywhere)."""

import logging
import re
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS

from .context import current_request_id

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("-" outside a request or a task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


_QUERY = re.compile(r"\?[^\s\"]*")


class QueryStringFilter(logging.Filter):
    """Drops the query string from the request lines of Django's development server (the demo),
    as gunicorn's access log does (gunicorn.conf.py): a query can carry a citizen's number
    (`?number=+39...`) or search words (`?q=...`). Django's own warnings (401, 403, 404) name
    `request.path`, which has no query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.server" and record.args and isinstance(record.args, tuple):
            record.args = tuple(
                _QUERY.sub("", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def logging_config(*, level: str, log_format: str) -> dict[str, Any]:
    if log_format not in ("plain", "json"):
        raise ValueError(f"LOG_FORMAT must be 'plain' or 'json', not {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "urp_portal.observability.logs.RequestIdFilter"},
            "no_query": {"()": "urp_portal.observability.logs.QueryStringFilter"},
        },
        "formatters": {
            "plain": {"format": PLAIN_FORMAT},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": JSON_FIELDS,
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                "timestamp": False,
                # Django's django.request records carry the request, whose repr is the full
                # path with its query string (`?number=+39...`): the line keeps the path in its
                # message ("Unauthorized: /api/v1/subscribers/") and drops the object.
                "reserved_attrs": [*RESERVED_ATTRS, "request"],
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id", "no_query"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # Sign-ins, sign-outs, failures, lockouts, second-factor checks, expired sessions.
            "urp_portal.security": {"level": "INFO"},
        },
    }
