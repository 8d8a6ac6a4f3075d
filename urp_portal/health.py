"""Liveness and readiness for load balancers and `docker compose` health checks."""

import logging

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from urp_portal.celery import app as celery_app
from urp_portal.gateway.adapters import get_adapter
from urp_portal.gateway.backlog import gateway_backlog

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # any failure means "not ready", and is logged
        logger.exception("readiness: database unreachable")
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # any failure means "not ready", and is logged
        logger.exception("readiness: broker unreachable")
        return False


GATEWAY_CHECK_CACHE_SECONDS = 30
GATEWAY_CHECK_TIMEOUT_SECONDS = 2.0


def _gateway_ok() -> bool:
    """Whether the gateway's API answers at all (any status: a 400 or 401 without credentials is
    still an answer). Cached briefly: probes come every few seconds from every replica, and
    they must not become traffic at the provider."""
    try:
        # Where the gateway's API lives: any HTTP answer from there means the path is open.
        url = get_adapter().probe_url()
    except ImproperlyConfigured:
        return False
    cache_key = f"readyz:gateway:{url}"
    cached = cache.get(cache_key)
    if cached is not None:
        return bool(cached)
    try:
        with requests.get(
            url, timeout=GATEWAY_CHECK_TIMEOUT_SECONDS, allow_redirects=False, stream=True
        ):
            reachable = True
    except requests.RequestException:
        logger.warning("readiness: gateway %s unreachable at %s", settings.WHATSAPP_GATEWAY, url)
        reachable = False
    cache.set(cache_key, reachable, GATEWAY_CHECK_CACHE_SECONDS)
    return reachable


@never_cache
@require_GET
def readyz(request):
    """503 when this process cannot work (database or broker down). The gateway is reported but
    does not decide: with the provider unreachable the console, the inbox and the webhooks'
    storage still work and sends wait in the outbox, so the instance must stay in service;
    monitoring reads `checks.gateway` and the status "degraded"."""
    checks = {"database": _database_ok(), "broker": _broker_ok(), "gateway": _gateway_ok()}
    ready = checks["database"] and checks["broker"]
    status = "ok" if all(checks.values()) else ("degraded" if ready else "unavailable")
    body: dict = {"status": status, "checks": checks}
    if checks["database"]:
        # How far behind the workers are (queue depths, the oldest waiting status, webhook and
        # message): reported for monitoring, never a reason to take the instance out of service
        # (a web process cannot drain a worker's queue).
        body["backlog"] = gateway_backlog().as_dict()
    return JsonResponse(body, status=200 if ready else 503)
