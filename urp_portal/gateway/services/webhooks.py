"""Webhook events: stored raw first, processed by a task after commit, once."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from ..adapters import get_adapter
from ..adapters.base import ParsedInbound, WebhookFormatError
from ..media import inbound_media_download_later
from ..models import InboundMessage, WebhookEvent
from ..pipeline import inbound_message_run_pipeline
from ..states import InboundState
from .statuses import outbound_message_apply_pending, outbound_message_apply_status

logger = logging.getLogger(__name__)


# One quick reconnect (a pooled connection the broker closed), no more: Celery's default policy
# waits 0.6 s per webhook while the broker is down, which would hold every web worker.
ENQUEUE_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1}


def _enqueue_event(event_id: int) -> None:
    """Hand a stored event to the workers. With the broker down the event is already safe in
    the database: the webhook still answers 200 (an error would only make Meta deliver it
    again, to the same dead broker) and `inbound_sweep` enqueues it once the broker is back."""
    from ..tasks import webhook_event_process as process_task

    try:
        process_task.apply_async((event_id,), retry_policy=ENQUEUE_RETRY_POLICY)
    except BrokerError as exc:
        logger.warning(
            "webhook event %s stored but not enqueued (broker unreachable: %s); "
            "the gateway sweep will pick it up",
            event_id,
            exc,
        )


def webhook_event_store(
    *, gateway: str, body: bytes, content_type: str, rejected_because: str = ""
) -> tuple[WebhookEvent, bool]:
    """Store a webhook body exactly as it came, once: (event, created). A body that is not the
    gateway's format is kept as `rejected` for inspection; any other is processed after commit.
    Two deliveries of the same body race on the unique constraint, not on a read, so even
    concurrent ones make one event."""
    digest = hashlib.sha256(body).hexdigest()
    state = WebhookEvent.State.REJECTED if rejected_because else WebhookEvent.State.RECEIVED
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                gateway=gateway,
                body_sha256=digest,
                body=body,
                content_type=content_type[:100],
                state=state,
                error=rejected_because,
            )
            if state == WebhookEvent.State.RECEIVED:
                transaction.on_commit(lambda: _enqueue_event(event.pk))
    except IntegrityError:
        return WebhookEvent.objects.get(gateway=gateway, body_sha256=digest), False
    return event, True


def _store_inbound(event: WebhookEvent, parsed: list[ParsedInbound]) -> list[int]:
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


def webhook_event_process(*, event_id: int) -> list[int]:
    """Parse a stored event, store its messages once, move the outbound messages its statuses
    speak of, then run the inbound pipeline for each new message in order. Running it again
    does nothing new. Returns the ids of the event's inbound messages."""
    unmatched: list[str] = []
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
            message_ids = _store_inbound(event, parsed.messages) if parsed.messages else []
            # Meta's media URL lives five minutes: fetch right after commit, not after the pipeline.
            for message in InboundMessage.objects.filter(pk__in=message_ids, media_file="").exclude(
                media_id=""
            ):
                inbound_media_download_later(message=message)
            for status in parsed.statuses:
                if not outbound_message_apply_status(status=status):
                    unmatched.append(status.provider_id)
            event.state = WebhookEvent.State.PROCESSED
            event.error = ""
            event.processed_at = timezone.now()
            event.save(update_fields=["state", "error", "processed_at", "attempts"])
    # After our PendingStatus rows are committed (see outbound_message_apply_pending).
    for provider_id in unmatched:
        outbound_message_apply_pending(provider_id=provider_id)
    for message_id in message_ids:
        inbound_message_run_pipeline(message_id=message_id)
    return message_ids


def webhook_event_reprocess(*, event_id: int) -> WebhookEvent:
    """Process an event again (admin): messages already stored are not stored twice and a
    message already through the pipeline is not run again."""
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().get(pk=event_id)
        event.state = WebhookEvent.State.RECEIVED
        event.error = ""
        event.save(update_fields=["state", "error"])
        transaction.on_commit(lambda: _enqueue_event(event_id))
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
        .values_list("pk", flat=True)[:limit]
    )
    for event_id in events:
        _enqueue_event(event_id)
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
