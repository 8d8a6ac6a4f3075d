"""Thin tasks: take ids, call one service. Each is safe to run twice (acks_late redelivers a
task whose worker died)."""

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from . import services
from .adapters.base import TransientSendError

# A database that restarts or fails over cuts every connection: the task runs again on a fresh
# one (Celery's Django fixup closes unusable connections before each task). Every step of a send
# is locked and checked, so a re-run never sends twice.
DATABASE_ERRORS = (OperationalError, InterfaceError)
# For tasks that only touch the database: a restart takes seconds.
RETRY_ON_DATABASE_ERRORS = {
    "autoretry_for": DATABASE_ERRORS,
    "retry_backoff": 1,
    "retry_backoff_max": 30,
    "retry_jitter": True,
    "max_retries": 10,
}

# A row still `sending` this long after it started belongs to a dead worker: longer than the
# task's hard time limit (CELERY_TASK_TIME_LIMIT), so a live send is never taken for dead.
SENDING_STALE_AFTER = dt.timedelta(minutes=5)
# A queued row with no progress this long lost its task.
QUEUED_STALE_AFTER = dt.timedelta(minutes=2)
# Unprocessed webhooks and messages are picked up again between these ages. A worker handles an
# event in milliseconds, so one still unprocessed after 15 s lost its task: a worker killed
# mid-task, or a broker that was down when the webhook stored it (the webhook still answers
# 200) or restarted empty. With the sweep every minute, a broker outage delays messages by about
# a minute after it ends. An event that is only late (a backlog) is enqueued a second time,
# which costs a no-op task: processing locks the row and finds it done.
INBOUND_STALE_AFTER = dt.timedelta(seconds=15)
INBOUND_GIVE_UP_AFTER = dt.timedelta(days=1)


@shared_task(
    bind=True,
    autoretry_for=(TransientSendError, *DATABASE_ERRORS),
    retry_backoff=settings.WHATSAPP_SEND_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=settings.WHATSAPP_SEND_RETRY_BACKOFF_MAX_SECONDS,
    retry_jitter=True,
    max_retries=settings.WHATSAPP_SEND_MAX_RETRIES,
)
def outbound_message_send(self, message_id: int, paced: bool = False) -> None:
    """A message to one citizen (a reply, a notice): on the citizens' queue."""
    wait = services.outbound_message_send(
        message_id=message_id,
        paced=paced,
        last_attempt=self.request.retries >= self.max_retries,
    )
    if wait:
        # The recipient's slot is reserved for then; the new task will not ask again.
        services.outbox.enqueue_send(message_id, countdown=wait, paced=True)


@shared_task(
    bind=True,
    autoretry_for=(TransientSendError, *DATABASE_ERRORS),
    retry_backoff=settings.WHATSAPP_SEND_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=settings.WHATSAPP_SEND_RETRY_BACKOFF_MAX_SECONDS,
    retry_jitter=True,
    max_retries=settings.WHATSAPP_SEND_MAX_RETRIES,
)
def outbound_message_send_bulk(self, message_id: int, paced: bool = False) -> None:
    """One broadcast message sent alone (paced for its recipient, or retried after its batch
    gave up): the same send as outbound_message_send, on the broadcasts' queue, so it never
    stands in the citizens' queue."""
    wait = services.outbound_message_send(
        message_id=message_id,
        paced=paced,
        last_attempt=self.request.retries >= self.max_retries,
    )
    if wait:
        services.outbox.enqueue_send(message_id, countdown=wait, paced=True, bulk=True)


@shared_task(**RETRY_ON_DATABASE_ERRORS)
def outbound_messages_send_batch(message_ids: list[int], attempt: int = 0) -> None:
    """A broadcast's batch: one task and one HTTP session for up to BROADCAST_BATCH_SIZE
    messages, each claimed and recorded on its own (a re-run sends only what is still queued)."""
    services.outbound_messages_send_batch(message_ids=message_ids, attempt=attempt)


@shared_task(**RETRY_ON_DATABASE_ERRORS)
def webhook_event_process(event_id: int) -> None:
    try:
        services.webhook_event_process(event_id=event_id)
    except DATABASE_ERRORS:
        raise  # a database going away: retried (autoretry_for)
    except Exception as exc:
        # Anything else will fail the same way on every retry: recorded on the event for the
        # admin (state, error, the "process again" action), then raised for the logs.
        services.webhook_event_record_failure(
            event_id=event_id, error=f"{type(exc).__name__}: {exc}"
        )
        raise


@shared_task
def webhook_events_drain() -> None:
    """The webhooks' hand-off (gateway/event_queue.py): one processing task per queued event."""
    services.webhook_events_drain()


@shared_task(**RETRY_ON_DATABASE_ERRORS)
def webhook_status_events_process(event_ids: list[int]) -> None:
    """A group of status-only events (the embedded broker's path, and a drain's)."""
    from .services.status_events import webhook_status_events_process as process_group

    process_group(event_ids=event_ids)


@shared_task(**RETRY_ON_DATABASE_ERRORS)
def webhook_statuses_drain() -> None:
    """The status webhooks' hand-off (services/status_events.py): groups applied in bulk."""
    from .services.status_events import webhook_statuses_drain as drain

    drain()


@shared_task(**RETRY_ON_DATABASE_ERRORS)
def inbound_message_process(message_id: int) -> None:
    from .pipeline import inbound_message_run_pipeline

    inbound_message_run_pipeline(message_id=message_id)


@shared_task
def gateway_sweep_task() -> None:
    """Periodic (CELERY_BEAT_SCHEDULE): the safety net for tasks lost with a dead worker."""
    now = timezone.now()
    services.outbox_sweep(
        sending_started_before=now - SENDING_STALE_AFTER, queued_before=now - QUEUED_STALE_AFTER
    )
    services.inbound_sweep(
        received_before=now - INBOUND_STALE_AFTER, not_before=now - INBOUND_GIVE_UP_AFTER
    )


from .media_tasks import inbound_media_fetch  # noqa: E402, F401  (registers the media task)
