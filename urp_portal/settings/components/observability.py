"""Logging, request ids and error reporting (urp_portal/observability)."""

from urp_portal.observability.logs import logging_config
from urp_portal.observability.sentry import sentry_init
from urp_portal.settings.env import env

# --- Logging, request ids, Sentry (urp_portal/observability) ------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# "plain" lines for a terminal, "json" (one object per line) for a log collector. Production
# (DEBUG off) defaults to json in production.py.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = logging_config(level=LOG_LEVEL, log_format=LOG_FORMAT)
# Errors to Sentry only when a DSN is given; no personal data is sent (send_default_pii=False).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
sentry_init(
    dsn=SENTRY_DSN,
    environment=SENTRY_ENVIRONMENT,
    traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
)
