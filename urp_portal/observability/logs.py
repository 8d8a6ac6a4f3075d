"""Logging: readable lines on a terminal (DEBUG, the demo) or one JSON object per line for a
log collector (`LOG_FORMAT=json`, the default in production), both with the request id.

JSON comes from python-json-logger's formatter: the product, Django, Celery and gunicorn all log
through the standard library, so a formatter turns every line into JSON without touching a
single `logger.info` call (structlog would be a second logging API to adopt everywhere)."""

import logging
from typing import Any

from .context import current_request_id

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("-" outside a request or a task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


def logging_config(*, level: str, log_format: str) -> dict[str, Any]:
    if log_format not in ("plain", "json"):
        raise ValueError(f"LOG_FORMAT must be 'plain' or 'json', not {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "urp_portal.observability.logs.RequestIdFilter"}},
        "formatters": {
            "plain": {"format": PLAIN_FORMAT},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": JSON_FIELDS,
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                "timestamp": False,
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # Sign-ins, sign-outs, failures, lockouts, second-factor checks, expired sessions.
            "urp_portal.security": {"level": "INFO"},
        },
    }
