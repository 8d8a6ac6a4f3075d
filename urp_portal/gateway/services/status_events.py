"""Status webhooks applied a group at a time (the status storm of a broadcast).

The webhook puts a status-only event's id on its own Redis list (event_queue.STATUS_LANE). One
drain task at a time takes the ids waiting there, up to STATUS_GROUP at once, and applies the
whole group in one transaction: one read of the events, one parse each, one fold of all their
statuses (services/statuses.py), one UPDATE marking the events processed. While a group is
being applied, and for GATHER_SECONDS after a group that was not full, the next one piles up,
so groups grow with the load by themselves: one event at a time on a quiet day (applied at
once), dozens to hundreds during a broadcast.

A drain that found a full group first publishes another drain, so a backlog is shared by as
many worker processes as the statuses queue has; groups never deadlock (each locks its events
and then its messages in id order). A drain stops after DRAIN_BUDGET_SECONDS and publishes its
successor, so no task runs near the time limit however long the storm.

Safety is the database's, as for every event: an id lost from Redis (a worker killed after the
pop) belongs to an event still `received`, which the gateway sweep enqueues again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .. import event_queue
from ..adapters import get_adapter
from ..adapters.base import ParsedEvent, ParsedStatus, WebhookFormatError
from ..models import WebhookEvent
from .statuses import outbound_statuses_apply, outbound_statuses_apply_pending
from .webhooks import (
    speaks_only_of_erased_recipients,
    webhook_event_comune_id,
    webhook_event_numbers,
    webhook_numbers_routed,
)

logger = logging.getLogger(__name__)

# Events applied in one transaction: large enough that a storm costs a few statements per
# hundreds of statuses, small enough that a group's locks are held for milliseconds.
STATUS_GROUP = 500
# A drain hands over to a fresh task after this long (the soft time limit is 60 s).
DRAIN_BUDGET_SECONDS = 20.0
# After a group that was not full, the drain waits this long for the next one to gather.
GATHER_SECONDS = 0.2


def webhook_status_events_process(*, event_ids: Sequence[int]) -> int:
    """Apply the statuses of these stored events as one group; returns how many events were
    processed here. An event that turns out to carry a citizen's message (or is already taken
    by another task) is left to the ordinary one-event path."""
    from ..tasks import webhook_event_process as process_task

    unmatched: frozenset[str] = frozenset()
    to_single: list[int] = []
    with transaction.atomic():
        events = list(
            WebhookEvent.objects.select_for_update(skip_locked=True)
            .filter(pk__in=list(event_ids), state=WebhookEvent.State.RECEIVED)
            .order_by("pk")
            .only("pk", "gateway", "body", "content_type")
        )
        statuses: list[ParsedStatus] = []
        done: list[tuple[WebhookEvent, list[ParsedStatus]]] = []
        failed: list[tuple[WebhookEvent, str]] = []
        # The group's events are usually of a few numbers: one routing lookup per number.
        routed: dict[str, int | None] = {}
        comune_of: dict[int, int | None] = {}
        for event in events:
            try:
                parsed = get_adapter(event.gateway).parse_webhook(
                    body=bytes(event.body), content_type=event.content_type
                )
            except WebhookFormatError as exc:
                failed.append((event, str(exc)))
                continue
            if parsed.messages:
                to_single.append(event.pk)
                continue
            statuses.extend(parsed.statuses)
            done.append((event, parsed.statuses))
            numbers = webhook_event_numbers(parsed)
            webhook_numbers_routed(numbers, known=routed)
            comune_of[event.pk] = webhook_event_comune_id(parsed, routed=routed)
        applied = outbound_statuses_apply(statuses=statuses)
        unmatched = applied.unmatched
        now = timezone.now()
        processed = [event.pk for event, _statuses in done]
        WebhookEvent.objects.filter(pk__in=processed).update(
            state=WebhookEvent.State.PROCESSED,
            error="",
            processed_at=now,
            attempts=F("attempts") + 1,
        )
        # Each event's comune (as the one-event path records it): one UPDATE per comune.
        by_comune: dict[int, list[int]] = {}
        for pk in processed:
            comune_id = comune_of.get(pk)
            if comune_id is not None:
                by_comune.setdefault(comune_id, []).append(pk)
        for comune_id, pks in by_comune.items():
            WebhookEvent.objects.filter(pk__in=pks).update(comune_id=comune_id)
        scrub = [
            event.pk
            for event, parsed_statuses in done
            if speaks_only_of_erased_recipients(
                ParsedEvent(statuses=parsed_statuses), erased=applied.erased
            )
        ]
        if scrub:
            WebhookEvent.objects.filter(pk__in=scrub).update(body=b"")
        for event, error in failed:
            WebhookEvent.objects.filter(pk=event.pk).update(
                state=WebhookEvent.State.FAILED, error=error, attempts=F("attempts") + 1
            )
            logger.warning("webhook event %s cannot be parsed: %s", event.pk, error)
    # After our PendingStatus rows are committed (see outbound_statuses_apply_pending).
    outbound_statuses_apply_pending(provider_ids=unmatched)
    for event_id in to_single:
        process_task.delay(event_id)
    return len(processed)


def webhook_statuses_drain(
    *, budget_seconds: float = DRAIN_BUDGET_SECONDS, gather_seconds: float | None = None
) -> int:
    """Apply the status events waiting on their list, a group at a time (see the module's
    docstring). Returns how many events were applied.

    A storm's statuses arrive a few at a time (240 a second at 80 messages/s): applied as they
    come, each group held a handful, and the fixed cost of a group (its transaction, its reads,
    the drain task that the next webhook published once the list was empty) was most of the
    statuses worker's CPU per event (~2.5 ms in broadcast_storm.txt, ~0.3 ms of it the apply
    itself). So after a group that was not full the drain waits GATHER_SECONDS for the next one:
    groups of dozens, one drain task for the whole storm (the list never empties, so the
    webhooks publish no other), and at most that much more lag on the counts. It ends when a
    wait gathers nothing. Tasks run eagerly (tests, nothing can arrive meanwhile) do not wait."""
    from ..tasks import webhook_statuses_drain as drain_task

    if gather_seconds is None:
        gather_seconds = 0.0 if current_app.conf.task_always_eager else GATHER_SECONDS
    started = time.monotonic()
    applied = 0
    while event_ids := event_queue.pop_batch(STATUS_GROUP, lane=event_queue.STATUS_LANE):
        if len(event_ids) == STATUS_GROUP:
            # A backlog: let another worker process take the next group meanwhile.
            drain_task.delay()
        applied += webhook_status_events_process(event_ids=event_ids)
        if time.monotonic() - started > budget_seconds:
            drain_task.delay()
            break
        if len(event_ids) < STATUS_GROUP and gather_seconds > 0:
            time.sleep(gather_seconds)
    return applied
