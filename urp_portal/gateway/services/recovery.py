"""Recovery in seconds (issue 21, point 1): what a dead worker held is sent again within seconds,
not after the 5-minute sweep nor Redis's hour-long visibility timeout.

Two kinds of work die with a worker:

- **Claimed rows** (`sending`, `held_by` naming the worker run). Every worker run writes a
  heartbeat (gateway/worker_life.py); a run whose heartbeat is older than
  URP_WORKER_DEAD_AFTER_SECONDS, or an earlier run of the same host name when a worker starts,
  is dead. Its rows of a purpose in URP_RESEND_IN_FLIGHT_PURPOSES (broadcasts and emergency
  alerts) go back to the queue and are sent again: each may have left just before the kill, so
  that one message per sender (a pool process, or each of a batch's BROADCAST_SEND_THREADS) may
  arrive twice, which for an alert is better than a citizen who never gets it. Every other row
  (a reply) goes to review as before, since an operator can check it.
- **Lost tasks** (a queued row whose task the worker had taken). A queued row is due from
  `not_before` (a hand-off, a deferral) or its creation; one still queued this long after is
  handed again: URP_LOST_URGENT_AFTER_SECONDS for emergency priority,
  URP_LOST_BROADCAST_AFTER_SECONDS for broadcasts (whose batches legitimately wait a few seconds
  behind each other), URP_LOST_SINGLE_AFTER_SECONDS for everything else. A row only late, not
  lost, gets a second task that finds it claimed and does nothing (the claim is conditional).

Each live worker runs this every URP_RECOVERY_INTERVAL_SECONDS and once at its start; several at
once are harmless (every write is conditional on the row's state).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from urp_portal.core.errors import UserError

from .. import lanes
from ..models import OutboundMessage, WorkerLife
from ..states import OutboundState
from .outbox import _lock, _mark_for_review, enqueue_send

logger = logging.getLogger(__name__)

BATCH = 200


@dataclass
class Recovery:
    dead_runs: list[str] = field(default_factory=list)
    resent_in_flight: int = 0
    to_review: int = 0
    handed_again: int = 0


def worker_runs_dead(*, now: dt.datetime, starting: WorkerLife | None = None) -> list[str]:
    """Runs that stopped beating and were not recovered yet; at a start, also the earlier runs
    of the same host name (the worker that this one replaces: no need to wait for its beat to
    grow old)."""
    stale = Q(seen_at__lt=now - dt.timedelta(seconds=settings.URP_WORKER_DEAD_AFTER_SECONDS))
    if starting is not None:
        stale |= Q(hostname=starting.hostname) & ~Q(name=starting.name)
    return list(
        WorkerLife.objects.filter(stale, recovered_at__isnull=True).values_list("name", flat=True)
    )


def _hand_again(message_ids: list[int], *, broadcast: bool) -> None:
    from ..tasks import outbound_messages_send_batch

    if broadcast:
        for start in range(0, len(message_ids), BATCH):
            outbound_messages_send_batch.delay(message_ids[start : start + BATCH])
    else:
        for message_id in message_ids:
            enqueue_send(message_id)


def _in_flight_of(dead: list[str], now: dt.datetime) -> Recovery:
    result = Recovery(dead_runs=dead)
    rows = list(
        OutboundMessage.objects.filter(
            state=OutboundState.SENDING, needs_review=False, held_by__in=dead
        ).values_list("pk", "purpose")
    )
    resend_purposes = set(settings.URP_RESEND_IN_FLIGHT_PURPOSES)
    resend = [pk for pk, purpose in rows if purpose in resend_purposes]
    review = [pk for pk, purpose in rows if purpose not in resend_purposes]
    if resend:
        # Back to the queue, only if still held by the dead run (a live send moved it on).
        requeued = list(
            OutboundMessage.objects.filter(
                pk__in=resend, state=OutboundState.SENDING, held_by__in=dead
            ).values_list("pk", flat=True)
        )
        OutboundMessage.objects.filter(
            pk__in=requeued, state=OutboundState.SENDING, held_by__in=dead
        ).update(state=OutboundState.QUEUED, not_before=now, held_by="")
        _hand_again(requeued, broadcast=True)
        result.resent_in_flight = len(requeued)
    for message_id in review:
        _mark_for_review(
            message_id,
            reason=_(
                "Invio interrotto: il messaggio potrebbe essere partito. Verificare prima di "
                "inviarlo di nuovo."
            ),
        )
    result.to_review = len(review)
    WorkerLife.objects.filter(name__in=dead, recovered_at__isnull=True).update(recovered_at=now)
    # The runs handled a day ago are history: the table holds the live ones and the recent dead.
    WorkerLife.objects.filter(recovered_at__lt=now - dt.timedelta(days=1)).delete()
    return result


def _lost_queued(now: dt.datetime) -> tuple[list[int], list[int]]:
    """Queued rows due for longer than their kind's grace: (broadcast ids, other ids)."""

    def due_before(seconds: float) -> Q:
        limit = now - dt.timedelta(seconds=seconds)
        return Q(not_before__lt=limit) | Q(not_before__isnull=True, created_at__lt=limit)

    broadcast_purposes = list(settings.URP_RESEND_IN_FLIGHT_PURPOSES)
    urgent = Q(priority__gte=lanes.ALERT_PRIORITY) & due_before(
        settings.URP_LOST_URGENT_AFTER_SECONDS
    )
    broadcast = Q(priority__lt=lanes.ALERT_PRIORITY, purpose__in=broadcast_purposes) & due_before(
        settings.URP_LOST_BROADCAST_AFTER_SECONDS
    )
    single = (
        Q(priority__lt=lanes.ALERT_PRIORITY)
        & ~Q(purpose__in=broadcast_purposes)
        & due_before(settings.URP_LOST_SINGLE_AFTER_SECONDS)
    )
    rows = list(
        OutboundMessage.objects.filter(state=OutboundState.QUEUED)
        .filter(urgent | broadcast | single)
        .order_by("-priority", "pk")
        .values_list("pk", "purpose")[: settings.BROADCAST_MAX_IN_FLIGHT * 5]
    )
    return (
        [pk for pk, purpose in rows if purpose in broadcast_purposes],
        [pk for pk, purpose in rows if purpose not in broadcast_purposes],
    )


def outbox_recover(
    *, now: dt.datetime | None = None, starting: WorkerLife | None = None
) -> Recovery:
    """Find and send again what dead workers held (see the module's docstring)."""
    now = now or timezone.now()
    dead = worker_runs_dead(now=now, starting=starting)
    result = _in_flight_of(dead, now) if dead else Recovery()
    broadcast, single = _lost_queued(now)
    if broadcast or single:
        # The next look at them only after another grace: a backlog is not re-handed each time.
        OutboundMessage.objects.filter(
            pk__in=[*broadcast, *single], state=OutboundState.QUEUED
        ).update(not_before=now)
        _hand_again(broadcast, broadcast=True)
        _hand_again(single, broadcast=False)
    result.handed_again = len(broadcast) + len(single)
    if dead or result.handed_again:
        logger.warning(
            "recovery: dead worker runs %s, %d in-flight sent again, %d to review, "
            "%d queued messages handed again",
            dead,
            result.resent_in_flight,
            result.to_review,
            result.handed_again,
        )
    return result


def outbound_message_retry(*, message_id: int) -> OutboundMessage:
    """Send again a failed message, or one in review that an operator checked did not leave."""
    with transaction.atomic():
        message = _lock(message_id)
        if not (message.state == OutboundState.FAILED or message.needs_review):
            raise UserError(_("Si può ritentare solo un messaggio non consegnato o da verificare."))
        message.state = OutboundState.QUEUED
        message.needs_review = False
        message.error_code = ""
        message.error_message = ""
        message.failed_at = None
        message.not_before = None
        message.save(
            update_fields=[
                "state",
                "needs_review",
                "error_code",
                "error_message",
                "failed_at",
                "not_before",
            ]
        )
        bulk = lanes.is_bulk(message.priority)
        transaction.on_commit(lambda: enqueue_send(message_id, bulk=bulk), robust=True)
    return message


def outbox_sweep(*, sending_started_before: dt.datetime, queued_before: dt.datetime) -> dict:
    """The periodic safety net. Rows left in `sending` by a dead worker are marked for review
    (never resent); queued rows whose task was lost (a broker that forgot an unacknowledged
    message, an enqueue that failed after commit) are enqueued again: sending checks the state
    under a lock, so an extra task does nothing."""
    stale = list(
        OutboundMessage.objects.filter(
            state=OutboundState.SENDING,
            needs_review=False,
            sending_started_at__lt=sending_started_before,
        ).values_list("pk", flat=True)
    )
    for message_id in stale:
        _mark_for_review(
            message_id,
            reason=_(
                "Invio interrotto: il messaggio potrebbe essere partito. Verificare prima di "
                "inviarlo di nuovo."
            ),
        )
    now = timezone.now()
    lost = list(
        OutboundMessage.objects.filter(state=OutboundState.QUEUED, created_at__lt=queued_before)
        .exclude(not_before__gt=now)
        .order_by("-priority", "created_at")
        .values_list("pk", "priority")
    )
    for message_id, priority in lost:
        enqueue_send(message_id, bulk=lanes.is_bulk(priority))
    return {"marked_for_review": len(stale), "requeued": len(lost)}
