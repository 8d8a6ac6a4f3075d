"""A broadcast's batch: up to BROADCAST_BATCH_SIZE queued messages sent by one task, several at
a time.

Why several at a time: one send is a chain of round trips (its rate token in Redis, the claim's
commit, the call to Meta, the record's commit), ~20-25 ms of waiting on a busy 2-CPU machine for
~3.5 ms of CPU, so one sender makes 40-50 sends/s, and the in-flight limit keeps about two
batches at the gateway. Two senders one message after another fell just short of 80/s, and a
slot of the rate limiter that nobody asks for when it is due is lost for good: 10,000 at 80/s
took 133.9 s for 125 (benchmarks/results/broadcast_storm.txt). With BROADCAST_SEND_THREADS
senders per batch the rate limiter, not the round trips, sets the pace.

What does not change: every message goes through the same steps as `outbound_message_send`, its
claim committed before its call and its own rate token taken right before it, so the global cap
holds whatever the number of senders (the token is in Redis, shared by every thread of every
worker), and a worker killed mid-batch leaves at most one message per sender in review and the
rest queued. One recipient's failure never stops the others; a transient error that is not the
recipient's (network, 5xx, throttling) stops the batch's senders from taking more, and what is
left is tried again with backoff, after the last retry message by message through the single
send's own retries. Each sender thread has its own database connection, closed when the batch
ends, and its own HTTP session (the adapter keeps one per thread).

The plain path beside it: one sender, in the caller's thread, with BROADCAST_SEND_THREADS = 1,
on SQLite (the embedded default: its writers take turns anyway) and inside a transaction (the
senders' connections would not see its rows; tests).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from ..adapters.base import TransientSendError
from ..models import OutboundMessage, PendingStatus
from ..numbers import sending_number_for
from ..states import OutboundState
from .outbox import _number_key, _ready_to_send, _recipient_wait, _send_claimed, enqueue_send
from .outbox_statements import _claim_for_call
from .statuses import outbound_message_apply_pending

# A batch hands what it has not sent to a new task after this long (soft time limit: 60 s; a
# broadcast's slot may wait up to ratelimit.BULK_WAIT_LIMIT while citizens take the rate).
BATCH_BUDGET_SECONDS = 20.0


@dataclass(eq=False)
class _Batch:
    """The messages of one task and what became of them, shared by its senders."""

    messages: list[OutboundMessage]
    started: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)
    taken: int = 0
    # No sender takes another message: the budget is spent, or a send error holds the rest.
    stopped: bool = False
    over_budget: bool = False
    sent: list[str] = field(default_factory=list)
    # Put back in the queue by a transient error: tried again with what nobody took.
    held: list[int] = field(default_factory=list)
    error: BaseException | None = None

    def take(self) -> OutboundMessage | None:
        with self.lock:
            if self.stopped or self.taken >= len(self.messages):
                return None
            if time.monotonic() - self.started > BATCH_BUDGET_SECONDS:
                # Citizens took the rate for long: the rest goes on in a new task, before this
                # one nears its time limit (which would stop it between a claim and its send).
                self.stopped = self.over_budget = True
                return None
            self.taken += 1
            return self.messages[self.taken - 1]

    def untaken(self) -> list[int]:
        with self.lock:
            return [message.pk for message in self.messages[self.taken :]]

    def hold(self, message_id: int) -> None:
        with self.lock:
            self.stopped = True
            self.held.append(message_id)

    def stop(self) -> None:
        with self.lock:
            self.stopped = True

    def record_sent(self, provider_id: str) -> None:
        with self.lock:
            self.sent.append(provider_id)

    def fail(self, error: BaseException) -> None:
        with self.lock:
            self.stopped = True
            if self.error is None:
                self.error = error


def outbound_messages_send_batch(*, message_ids: Sequence[int], attempt: int = 0) -> None:
    """Send a batch of queued messages (a broadcast's) in one task, highest priority first, with
    up to BROADCAST_SEND_THREADS sends in flight (the module's docstring says how and why)."""
    messages = list(OutboundMessage.objects.filter(pk__in=message_ids).order_by("-priority", "pk"))
    batch = _Batch(messages)
    senders = batch_senders(len(messages))
    if senders == 1:
        _send_each(batch)
    else:
        _send_in_threads(batch, senders)
    if batch.held:
        _retry_later([*batch.held, *batch.untaken()], attempt=attempt)
    elif batch.over_budget:
        _hand_on(batch.untaken(), attempt=attempt)
    if batch.sent:
        early = PendingStatus.objects.filter(provider_id__in=batch.sent).values_list(
            "provider_id", flat=True
        )
        for provider_id in sorted(set(early)):
            outbound_message_apply_pending(provider_id=provider_id)


def batch_senders(count: int) -> int:
    """How many sends of a batch of `count` may be in flight at once."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, min(settings.BROADCAST_SEND_THREADS, count))


def _send_in_threads(batch: _Batch, senders: int) -> None:
    threads = [
        # Each with a copy of the task's context (its log fields reach the senders' lines).
        threading.Thread(
            target=contextvars.copy_context().run,
            args=(_sender_thread, batch),
            name=f"batch-sender-{number}",
            daemon=True,
        )
        for number in range(senders)
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException:
        # The task interrupted (its soft time limit): each sender ends the send it is in, so
        # none stops between a claim and its record, and takes no other.
        batch.stop()
        for thread in threads:
            thread.join()
        raise
    if batch.error is not None:
        raise batch.error


def _sender_thread(batch: _Batch) -> None:
    try:
        # Connected before its first rate token, not between the token and the call: a first
        # send late by the connection's set-up would bunch up with the next one at Meta.
        connection.ensure_connection()
        _send_each(batch)
    # Whatever stopped this sender (a database gone) stops the batch; the task raises it and
    # is retried, and the retry sends only what is still queued.
    except BaseException as error:
        batch.fail(error)
    finally:
        connections.close_all()


def _send_each(batch: _Batch) -> None:
    while (message := batch.take()) is not None:
        _send_one(batch, message)


def _send_one(batch: _Batch, message: OutboundMessage) -> None:
    """`outbound_message_send`'s steps for one message of the batch."""
    if not _ready_to_send(message):
        return
    sender = sending_number_for(message.comune_id)
    wait = _recipient_wait(message, sender=sender)
    if wait:
        enqueue_send(message.pk, countdown=wait, paced=True, bulk=True)
        return
    claimed, checked = _claim_for_call(message, number=_number_key(sender))
    if not claimed:
        return
    try:
        provider_id = _send_claimed(message, last_attempt=False, checked=checked, sender=sender)
    except TransientSendError as error:
        if error.recipient_cooldown:
            # The recipient's pair limit: that one later, the rest now.
            enqueue_send(message.pk, countdown=error.recipient_cooldown, paced=True, bulk=True)
            return
        batch.hold(message.pk)
        return
    if provider_id:
        batch.record_sent(provider_id)


def _hand_on(message_ids: list[int], *, attempt: int) -> None:
    from ..tasks import outbound_messages_send_batch as batch_task

    if message_ids:
        batch_task.apply_async((message_ids,), {"attempt": attempt})


def _retry_later(message_ids: list[int], *, attempt: int) -> None:
    """The provider failed for reasons not the recipient's: the rest of the batch waits for a
    retry with backoff, or after the last one goes message by message."""
    from ..tasks import outbound_messages_send_batch as batch_task

    if attempt >= settings.WHATSAPP_SEND_MAX_RETRIES:
        for message_id in message_ids:
            enqueue_send(message_id, bulk=True)
        return
    countdown = get_exponential_backoff_interval(
        settings.WHATSAPP_SEND_RETRY_BACKOFF_SECONDS,
        attempt,
        settings.WHATSAPP_SEND_RETRY_BACKOFF_MAX_SECONDS,
        full_jitter=True,
    )
    # Held from the sweep until the retry: it would send them one task at a time.
    OutboundMessage.objects.filter(pk__in=message_ids, state=OutboundState.QUEUED).exclude(
        not_before__gt=timezone.now() + dt.timedelta(seconds=countdown)
    ).update(not_before=timezone.now() + dt.timedelta(seconds=countdown + 60))
    batch_task.apply_async((message_ids,), {"attempt": attempt + 1}, countdown=countdown)
