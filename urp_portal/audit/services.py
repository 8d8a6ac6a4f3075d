"""Every write of the audit trail: a record, and the retention purge."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from urp_portal.municipality.scope import current_comune
from urp_portal.observability.context import (
    Client,
    client_of,
    current_client,
    current_request_id,
)

from .models import AuditEvent
from .states import AuditAction, AuditChannel

logger = logging.getLogger(__name__)

SYSTEM_LABEL = "sistema"


def _actor(actor: Any) -> tuple[int | None, str]:
    """(account id, words) of whoever acted: a console user, an API token's principal (its
    str() names the token), a command's "who" string, or None for the product itself."""
    if actor is None:
        return None, SYSTEM_LABEL
    if isinstance(actor, str):
        return None, actor[:150] or SYSTEM_LABEL
    get_username = getattr(actor, "get_username", None)
    pk = getattr(actor, "pk", None)
    if callable(get_username) and isinstance(pk, int):
        return pk, get_username()[:150]
    return None, str(actor)[:150]


def _target(target: models.Model | None) -> tuple[str, str, str]:
    """Type, id and a name by type and id, never the object's str(): a citizen's name there
    would outlive the citizen's erasure."""
    if target is None:
        return "", "", ""
    return target._meta.label_lower, str(target.pk), f"{target._meta.verbose_name} #{target.pk}"


def audit_record(
    *,
    actor: Any,
    action: AuditAction | str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    target_repr: str = "",
    request: HttpRequest | None = None,
    channel: AuditChannel | str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. The address, browser and request id come from `request`, else from the
    request in progress (admin signals have none at hand); a command or a task has neither."""
    actor_id, actor_label = _actor(actor)
    t_type, t_id, t_repr = _target(target)
    client: Client | None = client_of(request) if request is not None else current_client()
    request_id = getattr(request, "request_id", "") or current_request_id()
    if channel is None:
        if client is None:
            channel = AuditChannel.SYSTEM
        elif client.path.startswith("/api/"):
            channel = AuditChannel.API
        else:
            channel = AuditChannel.CONSOLE
    return AuditEvent.objects.create(
        # The comune the work ran for (empty: the active comune's, or unscoped work).
        comune=current_comune(),
        at=timezone.now(),
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        channel=channel,
        target_type=target_type or t_type,
        target_id=str(target_id or t_id)[:64],
        target_repr=(target_repr or t_repr)[:200],
        ip=client.ip if client else None,
        user_agent=client.user_agent if client else "",
        request_id=request_id[:64],
        details=details or {},
    )


def audit_retention_cutoff(*, now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=settings.URP_AUDIT_RETENTION_DAYS)


def audit_purge_expired(*, now: dt.datetime | None = None) -> int:
    """Delete the events older than the retention period (URP_AUDIT_RETENTION_DAYS), and record
    that it happened. The only way rows leave the trail."""
    cutoff = audit_retention_cutoff(now=now)
    with transaction.atomic():
        postgresql = connection.vendor == "postgresql"
        if postgresql:
            # The append-only trigger lets a DELETE through only while this is on, and only in
            # this transaction; it is switched off again at once, in case a caller's outer
            # transaction goes on after the purge.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL urp.audit_purge = 'on'")
        deleted = AuditEvent.all_comuni.filter(at__lt=cutoff)._purge()
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL urp.audit_purge = 'off'")
        if deleted:
            audit_record(
                actor=None,
                action=AuditAction.AUDIT_PURGED,
                channel=AuditChannel.SYSTEM,
                details={
                    "deleted": deleted,
                    "older_than": cutoff.isoformat(),
                    "retention_days": settings.URP_AUDIT_RETENTION_DAYS,
                },
            )
    logger.info("audit purge: %s events older than %s deleted", deleted, cutoff.isoformat())
    return deleted
