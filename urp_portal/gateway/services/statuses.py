"""Provider statuses move an outbound message forward only, whatever order they arrive in."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ..adapters.base import ParsedStatus
from ..models import OutboundMessage, PendingStatus
from ..states import OUTBOUND_PROGRESS, OutboundState

_TIME_FIELD = {
    OutboundState.SENT: "sent_at",
    OutboundState.DELIVERED: "delivered_at",
    OutboundState.READ: "read_at",
}
_PROGRESS: dict[str, int] = {str(state): rank for state, rank in OUTBOUND_PROGRESS.items()}
# A message already here cannot fail any more; a failed one does not come back.
_NO_FAILURE_FROM = {OutboundState.DELIVERED, OutboundState.READ, OutboundState.FAILED}


def _advance(
    message: OutboundMessage, *, status: str, at: dt.datetime, error_code: str, error_message: str
) -> None:
    """Apply one status to a locked row, forward only; saves what changed."""
    changed: list[str] = []
    if status == OutboundState.FAILED:
        if message.state in _NO_FAILURE_FROM or message.state == OutboundState.CANCELLED:
            return
        message.state = OutboundState.FAILED
        message.failed_at = at
        message.error_code = error_code[:20]
        message.error_message = error_message
        changed = ["state", "failed_at", "error_code", "error_message"]
    else:
        target = OutboundState(status)
        current = _PROGRESS.get(message.state)
        if current is None or OUTBOUND_PROGRESS[target] <= current:
            return
        message.state = target
        changed.append("state")
        # "read" before "delivered": the message was delivered too, at the latest by then.
        for state, name in _TIME_FIELD.items():
            if OUTBOUND_PROGRESS[state] <= OUTBOUND_PROGRESS[target] and not getattr(message, name):
                setattr(message, name, at)
                changed.append(name)
    message.save(update_fields=changed)


def outbound_message_apply_status(*, status: ParsedStatus) -> bool:
    """Move the message the status speaks of. False when no message has that provider id yet:
    the status is then kept as a PendingStatus, and the caller must call
    outbound_message_apply_pending after its transaction commits (see there)."""
    with transaction.atomic():
        message = (
            OutboundMessage.objects.select_for_update()
            .filter(provider_id=status.provider_id)
            .first()
        )
        if message is None:
            PendingStatus.objects.bulk_create(
                [
                    PendingStatus(
                        provider_id=status.provider_id,
                        status=status.status,
                        at=status.at,
                        error_code=status.error_code[:20],
                        error_message=status.error_message,
                    )
                ],
                ignore_conflicts=True,
            )
            return False
        _advance(
            message,
            status=status.status,
            at=status.at,
            error_code=status.error_code,
            error_message=status.error_message,
        )
        return True


def outbound_message_apply_pending(*, provider_id: str) -> int:
    """Apply the statuses kept for this provider id, if its message is known now.

    Both sides call this after committing their own write: the send after storing the provider
    id, the status after storing the PendingStatus. Whichever commits second sees the other's
    row, so an early status is never stranded; applying twice is harmless (forward only)."""
    with transaction.atomic():
        message = (
            OutboundMessage.objects.select_for_update().filter(provider_id=provider_id).first()
        )
        if message is None:
            return 0
        pending = list(PendingStatus.objects.select_for_update().filter(provider_id=provider_id))
        for row in sorted(pending, key=lambda p: (p.at, _PROGRESS.get(p.status, 9))):
            _advance(
                message,
                status=row.status,
                at=row.at,
                error_code=row.error_code,
                error_message=row.error_message,
            )
        PendingStatus.objects.filter(pk__in=[p.pk for p in pending]).delete()
    return len(pending)
