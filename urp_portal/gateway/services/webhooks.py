"""Webhook events: stored raw first, processed by a task after commit, once."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import Counter
from collections.abc import Iterable, Sequence

from celery import current_app
from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    connections,
    transaction,
)
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from urp_portal.municipality.selectors import municipality_route_phone_number_id

from .. import event_queue, ratelimit
from ..adapters import get_adapter
from ..adapters.base import ParsedEvent, ParsedInbound, WebhookFormatError
from ..media import inbound_media_download_later
from ..models import InboundMessage, WebhookEvent
from ..numbers import sending_number_for
from ..pipeline import inbound_message_run_pipeline
from ..safe_values import inbound_made_safe
from ..states import InboundState
from ..template_catalogue import template_update_apply
from .group_commit import GroupCommit
from .statuses import outbound_statuses_apply, outbound_statuses_apply_pending
from .webhook_statements import _execute_returning as _execute_returning  # moved: name kept
from .webhook_statements import _insert_once, _insert_plain
from .webhook_statements import _insert_statement as _insert_statement  # moved: name kept

logger = logging.getLogger(__name__)


# One quick reconnect (a pooled connection the broker closed), no more: Celery's default policy
# waits 0.6 s per webhook while the broker is down, which would hold every web worker.
ENQUEUE_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1}
# Status events the sweep finds waiting are handed on this many to a task.
STATUS_SWEEP_GROUP = 500


def _enqueue_events(event_ids: list[int], *, lane: str = event_queue.EVENT_LANE) -> None:
    """Hand stored events to the workers: the one place the webhook publishes (wrap it here to
    change what a failed publish does). With Redis, one push of their ids onto the lane's list
    (see event_queue); otherwise one Celery task each (a status event's on the statuses queue).
    A broker that cannot be reached is logged, not raised."""
    from ..tasks import webhook_event_process as process_task
    from ..tasks import webhook_events_drain, webhook_status_events_process, webhook_statuses_drain

    statuses = lane == event_queue.STATUS_LANE
    try:
        if not event_queue.enabled():
            for event_id in event_ids:
                task = webhook_status_events_process if statuses else process_task
                arguments = ([event_id],) if statuses else (event_id,)
                task.apply_async(arguments, retry_policy=ENQUEUE_RETRY_POLICY)
            return
        try:
            drain_due = event_queue.push(*event_ids, lane=lane)
        except RedisError as exc:
            raise BrokerError(str(exc)) from exc
        if drain_due:
            drain = webhook_statuses_drain if statuses else webhook_events_drain
            drain.apply_async(retry_policy=ENQUEUE_RETRY_POLICY)
    except BrokerError as exc:
        # The events are already safe in the database: the webhook still answers 200 (an error
        # would only make Meta deliver them again, to the same dead broker) and `inbound_sweep`
        # enqueues them once the broker is back.
        logger.warning(
            "webhook events %s stored but not enqueued (broker unreachable: %s); "
            "the gateway sweep will pick them up",
            ", ".join(map(str, event_ids)),
            exc,
        )


def _enqueue_by_lane(events: Sequence[tuple[int, WebhookEvent]]) -> None:
    lanes: dict[str, list[int]] = {}
    for event_id, event in events:
        lane = event_queue.lane_of(event.gateway, bytes(event.body))
        lanes.setdefault(lane, []).append(event_id)
    for lane, ids in lanes.items():
        _enqueue_events(ids, lane=lane)


def webhook_events_drain() -> int:
    """Move the queued event ids to one processing task each (run by a worker, so the
    publishing cost stays off the webhook's request). Returns how many were moved."""
    from ..tasks import webhook_event_process as process_task

    moved = 0
    with current_app.producer_or_acquire() as producer:
        while event_ids := event_queue.pop_batch():
            for event_id in event_ids:
                process_task.apply_async((event_id,), producer=producer)
            moved += len(event_ids)
    return moved


def _write_events(events: Sequence[WebhookEvent]) -> list[int | None]:
    """A batch of the web process's webhooks (group_commit), on its leader's connection: the
    rows in one statement that commits by itself, then the new events handed on in one push."""
    event_ids = _insert_once(events)
    received = [
        (event_id, event)
        for event_id, event in zip(event_ids, events, strict=True)
        if event_id is not None and event.state == WebhookEvent.State.RECEIVED
    ]
    if received:
        _enqueue_by_lane(received)
    return event_ids


_event_writer: GroupCommit[WebhookEvent, int | None] = GroupCommit(
    _write_events, name="webhook-event-writer"
)


def webhook_event_store(
    *, gateway: str, body: bytes, content_type: str, rejected_because: str = ""
) -> tuple[WebhookEvent, bool]:
    """Store a webhook body exactly as it came, once: (event, created). A body that is not the
    gateway's format is kept as `rejected` for inspection; any other is processed after commit.
    Two deliveries of the same body race on the unique constraint, not on a read, so even
    concurrent ones make one event."""
    event = WebhookEvent(
        gateway=gateway,
        body_sha256=hashlib.sha256(body).hexdigest(),
        body=body,
        content_type=content_type[:100],
        state=WebhookEvent.State.REJECTED if rejected_because else WebhookEvent.State.RECEIVED,
        error=rejected_because,
    )
    conn = connections[DEFAULT_DB_ALIAS]
    fast = settings.URP_DATABASE_FAST_PATHS
    if fast and conn.vendor == "postgresql" and not conn.in_atomic_block:
        # The webhook's case: stored and committed with the rows other requests are storing
        # now, and handed on after that commit (group_commit).
        event_id = _event_writer.submit(event)
    else:
        [event_id] = _insert_once([event]) if fast else [_insert_plain(event)]
        if event_id is not None and event.state == WebhookEvent.State.RECEIVED:
            stored = [(event_id, event)]
            transaction.on_commit(lambda: _enqueue_by_lane(stored))
    if event_id is None:
        return WebhookEvent.objects.get(gateway=gateway, body_sha256=event.body_sha256), False
    event.pk = event_id
    event._state.adding = False
    return event, True


def _store_inbound(event: WebhookEvent, parsed: list[ParsedInbound]) -> list[int]:
    parsed = [inbound_made_safe(m) for m in parsed]
    # Each message belongs to the comune of the number it was written to (one lookup per
    # number in the event, usually one).
    comune_of = {
        number: municipality_route_phone_number_id(number)
        for number in {m.phone_number_id for m in parsed}
    }
    # Insert-or-ignore on the unique provider id: a message delivered in two events is one row.
    InboundMessage.objects.bulk_create(
        [
            InboundMessage(
                provider_id=m.provider_id,
                event=event,
                sender=m.sender[:100],
                sender_user_id=m.sender_user_id[:100],
                profile_name=m.profile_name[:200],
                sent_at=m.sent_at,
                kind=m.kind,
                text=m.text,
                media_id=m.media_id,
                media_mime_type=m.media_mime_type[:100],
                media_filename=m.media_filename[:255],
                reply_to_provider_id=m.reply_to_provider_id,
                extra=m.extra,
                comune_id=comune_of[m.phone_number_id],
            )
            for m in parsed
        ],
        ignore_conflicts=True,
    )
    return list(
        InboundMessage.objects.filter(provider_id__in=[m.provider_id for m in parsed])
        .order_by("sent_at", "pk")
        .values_list("pk", flat=True)
    )


def _count_inbound_in_rate(messages: Sequence[ParsedInbound]) -> None:
    """Each message received takes its slot of its number's rate (ratelimit.take_inbound_slots):
    the number the comune's replies leave from, so the bucket is the one its sends use. Redis
    down loses only this count (the sends themselves wait for it), never the message."""
    for phone_number_id, count in Counter(m.phone_number_id for m in messages).items():
        sender = sending_number_for(municipality_route_phone_number_id(phone_number_id))
        try:
            ratelimit.take_inbound_slots(
                count, number=sender.phone_number_id if sender is not None else ""
            )
        except RedisError:
            logger.warning("inbound messages not counted in the rate: Redis unavailable")


def speaks_only_of_erased_recipients(parsed: ParsedEvent, *, erased: Iterable[str]) -> bool:
    """Statuses, and only about outbox rows whose recipient was erased (GDPR art. 17: the
    subscribers' erasure leaves those rows with no `to`). Such a late callback ("read" a day
    after) must not bring the number back in the raw body; what it changed is applied.
    `erased`: the provider ids found with no recipient (StatusesApplied.erased)."""
    if parsed.messages or not parsed.statuses:
        return False
    return {status.provider_id for status in parsed.statuses} <= set(erased)


def webhook_event_process(*, event_id: int) -> list[int]:
    """Parse a stored event, store its messages once, move the outbound messages its statuses
    speak of, then run the inbound pipeline for each new message in order. Running it again
    does nothing new. Returns the ids of the event's inbound messages."""
    unmatched: list[str] = []
    received: Sequence[ParsedInbound] = ()
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.state == WebhookEvent.State.REJECTED:
            return []
        if event.state == WebhookEvent.State.PROCESSED:
            message_ids = list(
                event.messages.order_by("sent_at", "pk").values_list("pk", flat=True)
            )
        else:
            event.attempts += 1
            try:
                parsed = get_adapter(event.gateway).parse_webhook(
                    body=bytes(event.body), content_type=event.content_type
                )
            except WebhookFormatError as exc:
                event.state = WebhookEvent.State.FAILED
                event.error = str(exc)
                event.save(update_fields=["state", "error", "attempts"])
                logger.warning("webhook event %s cannot be parsed: %s", event_id, exc)
                return []
            if parsed.foreign_phone_number_ids and not (parsed.messages or parsed.statuses):
                # Another business's number (Meta posts every number of the app here): no
                # ticket, no reply from ours. Kept, logged, visible in the admin.
                event.state = WebhookEvent.State.IGNORED
                event.error = "phone_number_id not ours: " + ", ".join(
                    parsed.foreign_phone_number_ids
                )
                event.processed_at = timezone.now()
                event.save(update_fields=["state", "error", "processed_at", "attempts"])
                logger.warning(
                    "webhook event %s is for phone number id %s, not ours: not processed",
                    event_id,
                    ", ".join(parsed.foreign_phone_number_ids),
                )
                return []
            message_ids = _store_inbound(event, parsed.messages) if parsed.messages else []
            received = parsed.messages
            # Meta's media URL lives five minutes: fetch right after commit, not after the pipeline.
            for message in InboundMessage.objects.filter(pk__in=message_ids, media_file="").exclude(
                media_id=""
            ):
                inbound_media_download_later(message=message)
            applied = outbound_statuses_apply(statuses=parsed.statuses)
            unmatched = sorted(applied.unmatched)
            for update in parsed.templates:
                if not template_update_apply(update):
                    logger.info("template update for an unknown template: %r", update)
            event.state = WebhookEvent.State.PROCESSED
            # A part addressed to another number, left aside (the rest was processed).
            event.error = "; ".join(
                f"phone_number_id not ours: {pid}" for pid in parsed.foreign_phone_number_ids
            )
            event.processed_at = timezone.now()
            fields = ["state", "error", "processed_at", "attempts"]
            if speaks_only_of_erased_recipients(parsed, erased=applied.erased):
                event.body = b""
                fields.append("body")
            event.save(update_fields=fields)
    # After our PendingStatus rows are committed (see outbound_statuses_apply_pending).
    outbound_statuses_apply_pending(provider_ids=unmatched)
    _count_inbound_in_rate(received)
    for message_id in message_ids:
        inbound_message_run_pipeline(message_id=message_id)
    return message_ids


def webhook_event_record_failure(*, event_id: int, error: str) -> None:
    """The event's processing failed on something no retry will cure by itself (a bug, data
    the database refuses): shown in the admin as "errore di elaborazione" with the error, left
    out of the sweep, and processed again by the admin's action once fixed."""
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.state != WebhookEvent.State.RECEIVED:
            return
        event.state = WebhookEvent.State.FAILED
        event.error = error[:2000]
        event.attempts += 1
        event.save(update_fields=["state", "error", "attempts"])
    logger.error("webhook event %s failed: %s", event_id, error)


def webhook_event_reprocess(*, event_id: int) -> WebhookEvent:
    """Process an event again (admin): messages already stored are not stored twice and a
    message already through the pipeline is not run again."""
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().get(pk=event_id)
        event.state = WebhookEvent.State.RECEIVED
        event.error = ""
        event.save(update_fields=["state", "error"])
        transaction.on_commit(lambda: _enqueue_events([event_id]))
    return event


def inbound_sweep(
    *, received_before: dt.datetime, not_before: dt.datetime, limit: int = 5000
) -> dict:
    """Events and messages a lost task left unprocessed (between `not_before` and
    `received_before`, so a poison message is not retried forever) are enqueued again, the
    oldest first and at most `limit` of each per sweep, so a long backlog is not enqueued
    again whole every minute."""
    from ..tasks import inbound_message_process

    events = list(
        WebhookEvent.objects.filter(
            state=WebhookEvent.State.RECEIVED,
            received_at__lt=received_before,
            received_at__gte=not_before,
        )
        .order_by("received_at")
        .values_list("pk", "gateway", "body")[:limit]
    )
    from ..tasks import webhook_event_process as process_task
    from ..tasks import webhook_status_events_process

    # Straight to Celery: the sweep runs in a worker, where the webhook's cheap hand-off buys
    # nothing, and a broker still down fails this sweep, which the next one repeats. Status
    # events (a storm that fell behind) go in groups to the statuses' queue, never one task
    # each onto the citizens'.
    statuses = []
    for event_id, gateway, body in events:
        if event_queue.lane_of(gateway, bytes(body)) == event_queue.STATUS_LANE:
            statuses.append(event_id)
        else:
            process_task.apply_async((event_id,), retry_policy=ENQUEUE_RETRY_POLICY)
    for start in range(0, len(statuses), STATUS_SWEEP_GROUP):
        webhook_status_events_process.apply_async(
            (statuses[start : start + STATUS_SWEEP_GROUP],), retry_policy=ENQUEUE_RETRY_POLICY
        )
    messages = list(
        InboundMessage.objects.filter(
            state=InboundState.RECEIVED,
            received_at__lt=received_before,
            received_at__gte=not_before,
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    for message_id in messages:
        inbound_message_process.delay(message_id)
    return {"events": len(events), "messages": len(messages)}
