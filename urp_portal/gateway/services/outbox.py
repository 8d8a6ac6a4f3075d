"""The outbox: messages are written in the caller's transaction and sent by a task after commit.

Sending never repeats a message that may have left: a row is moved to `sending` and committed
*before* the provider is called, so a worker killed during the call leaves the row in `sending`,
and whoever finds it there (the task delivered again, or the sweep) marks it for review instead
of sending it again. Only errors that prove nothing was sent put it back in the queue.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from urp_portal.municipality.scope import current_comune_id

from .. import lanes, ratelimit
from ..adapters import get_adapter
from ..adapters.base import (
    AmbiguousSendError,
    Outgoing,
    PermanentSendError,
    SendError,
    TransientSendError,
)
from ..models import OutboundMessage, PendingStatus
from ..numbers import SendingNumber, sending_number_for
from ..selectors import inbound_last_sent_at
from ..states import OutboundState
from .outbox_statements import RECORD_SENT_ATTEMPTS as RECORD_SENT_ATTEMPTS  # moved: old name kept
from .outbox_statements import _claim_for_call, _record_sent
from .outbox_statements import _send_statements as _send_statements  # moved: old name kept
from .send_checks import outbound_message_cancel_claimed, outbound_message_veto
from .statuses import outbound_message_apply_pending

logger = logging.getLogger(__name__)

# Emergency alerts and the like skip the per-recipient pace.
# Free text only within this long of the citizen's last message (WhatsApp's customer window).
SERVICE_WINDOW = dt.timedelta(hours=24)
WINDOW_CLOSED_CODE = "131047"
# A pace wait shorter than this is slept in the task; a longer one is rescheduled.
MAX_INLINE_WAIT = 1.0
# Cloud API: an interactive reply-buttons message has one to three buttons, titles of at most 20
# characters (developers.facebook.com/documentation/business-messaging/whatsapp/messages/
# interactive-reply-buttons-messages).
MAX_REPLY_BUTTONS = 3


def outbound_message_create(
    *,
    to: str,
    purpose: str,
    text: str = "",
    template_name: str = "",
    template_language: str = "it",
    template_parameters: Sequence[str] = (),
    template_category: str = "",
    template_provider_id: str = "",
    media_url: str = "",
    media_file: str = "",
    priority: int = 5,
    buttons: Sequence[dict[str, str]] = (),
    comune_id: int | None = None,
) -> OutboundMessage:
    """Put a message in the outbox, in the caller's transaction; it is sent after commit.
    `buttons` ([{"id", "title"}], at most three) make it an interactive reply-buttons message.
    It leaves from the number of `comune_id`, by default the comune of the running scope
    (municipality/scope.py); none: the deployment's own number."""
    if len(buttons) > MAX_REPLY_BUTTONS:
        raise ValueError(f"WhatsApp takes at most {MAX_REPLY_BUTTONS} reply buttons")
    if comune_id is None:
        comune_id = current_comune_id()
    last_inbound = inbound_last_sent_at(sender=to, comune_id=comune_id)
    now = timezone.now()
    # A template to a citizen outside their window counts against Meta's messaging limit
    # (reach.py), from now: the send follows at once.
    outside_window = last_inbound is None or last_inbound + SERVICE_WINDOW < now
    message = OutboundMessage.objects.create(
        reach_counted_at=now if template_name and outside_window else None,
        template_category=template_category,
        template_provider_id=template_provider_id,
        # Read now: a reply to "Cancellami" must still go out after the erasure that follows
        # it in the same transaction has scrubbed the citizen's inbound messages.
        window_closes_at=(
            last_inbound + SERVICE_WINDOW if last_inbound and not template_name else None
        ),
        to=to,
        purpose=purpose,
        text=text,
        template_name=template_name,
        template_language=template_language,
        template_parameters=list(template_parameters),
        media_url=media_url,
        media_file=media_file,
        priority=priority,
        buttons=[{"id": b["id"], "title": b["title"][:20]} for b in buttons],
        comune_id=comune_id,
    )
    # robust: with the broker down the row waits for the sweep, and the callbacks after this
    # one (another message, the rest of the pipeline's) still run.
    bulk = lanes.is_bulk(priority)
    transaction.on_commit(lambda: enqueue_send(message.pk, bulk=bulk), robust=True)
    return message


def enqueue_send(
    message_id: int, *, countdown: float = 0, paced: bool = False, bulk: bool = False
) -> None:
    """The send task of one message: a broadcast's (`bulk`) on the broadcasts' queue, any
    other on the citizens' (CELERY_TASK_ROUTES)."""
    from ..tasks import outbound_message_send, outbound_message_send_bulk

    send_task = outbound_message_send_bulk if bulk else outbound_message_send
    send_task.apply_async((message_id,), {"paced": paced}, countdown=countdown or None)


def _lock(message_id: int) -> OutboundMessage:
    return OutboundMessage.objects.select_for_update().get(pk=message_id)


def _mark_for_review(message_id: int, *, reason: str, code: str = "in_flight") -> None:
    with transaction.atomic():
        message = _lock(message_id)
        if message.state != OutboundState.SENDING or message.needs_review:
            return
        message.needs_review = True
        message.error_code = code[:20]
        message.error_message = reason
        message.save(update_fields=["needs_review", "error_code", "error_message"])
    logger.warning("outbound %s marked for review: %s", message_id, reason)


def _fail(message_id: int, *, error: SendError) -> None:
    with transaction.atomic():
        message = _lock(message_id)
        if message.state not in (OutboundState.QUEUED, OutboundState.SENDING):
            return
        message.state = OutboundState.FAILED
        message.failed_at = timezone.now()
        message.error_code = error.code[:20]
        message.error_message = error.message
        message.save(update_fields=["state", "failed_at", "error_code", "error_message"])
    logger.info("outbound %s failed [%s] %s", message_id, error.code, error.message)


def _window_closed(message: OutboundMessage, now: dt.datetime) -> bool:
    if message.template_name:
        return False
    last = inbound_last_sent_at(sender=message.to, comune_id=message.comune_id)
    closes_at = last + SERVICE_WINDOW if last else None
    if message.window_closes_at and (closes_at is None or message.window_closes_at > closes_at):
        closes_at = message.window_closes_at
    return closes_at is None or now > closes_at


def outbound_message_send(
    *, message_id: int, paced: bool = False, last_attempt: bool = False
) -> float:
    """Send one queued message. Returns 0 when done (sent, failed, or nothing to do), or the
    seconds after which to call again because the recipient's pace says wait (its slot is then
    reserved: call again with paced=True). Raises TransientSendError after putting the row back
    in the queue, for the task to retry with backoff."""
    message = OutboundMessage.objects.filter(pk=message_id).first()
    if message is None or not _ready_to_send(message):
        return 0
    sender = sending_number_for(message.comune_id)
    if not paced:
        wait = _recipient_wait(message, sender=sender)
        if wait:
            return wait
    claimed, checked = _claim_for_call(message, number=_number_key(sender))
    if not claimed:
        return 0
    provider_id = _send_claimed(message, last_attempt=last_attempt, checked=checked, sender=sender)
    # A status that came before the provider id was stored waits as a PendingStatus; looked for
    # only now, after our commit (see outbound_message_apply_pending), and applied only if any.
    if provider_id and PendingStatus.objects.filter(provider_id=provider_id).exists():
        outbound_message_apply_pending(provider_id=provider_id)
    return 0


def _ready_to_send(message: OutboundMessage) -> bool:
    """The checks before a send: a row found `sending` goes to review, one no longer queued is
    left alone, free text past the 24-hour window fails."""
    if message.state == OutboundState.SENDING:
        # A task delivered again after its worker died mid-send: it may have left. Never resend.
        _mark_for_review(
            message.pk,
            reason=_(
                "Invio interrotto: il messaggio potrebbe essere partito. Verificare prima di "
                "inviarlo di nuovo."
            ),
        )
        return False
    if message.state != OutboundState.QUEUED:
        return False
    if _window_closed(message, timezone.now()):
        _fail(
            message.pk,
            error=PermanentSendError(
                code=WINDOW_CLOSED_CODE,
                message=_(
                    "Finestra di 24 ore chiusa: il cittadino non scrive da più di 24 ore. "
                    "Usare un modello approvato."
                ),
            ),
        )
        return False
    return True


def _number_key(sender: SendingNumber | None) -> str:
    """The rate limiter's buckets are per business number, as Meta counts them ("": the
    deployment's own number, the single comune's buckets as before)."""
    return sender.phone_number_id if sender is not None else ""


def _recipient_wait(message: OutboundMessage, *, sender: SendingNumber | None = None) -> float:
    """Keep to the recipient's pace: a short wait is slept here; a longer one is returned (the
    message deferred, its slot reserved) for the caller to send it later with paced=True."""
    if message.priority >= lanes.ALERT_PRIORITY:
        return 0
    wait = ratelimit.reserve_recipient_slot(message.to, number=_number_key(sender))
    if wait > MAX_INLINE_WAIT:
        _defer(message.pk, seconds=wait)
        return wait
    time.sleep(wait)
    return 0


def _send_claimed(
    message: OutboundMessage,
    *,
    last_attempt: bool,
    checked: bool = False,
    sender: SendingNumber | None = None,
) -> str:
    """Call the provider for a claimed message and record the outcome: its provider id when it
    left, "" when it failed for good or went to review. A transient error puts the row back in
    the queue (or fails it on the last attempt) and is raised again. `checked`: the send
    checks already ran in the claim, right before this."""
    # The last moment: after every wait, right before the call (send_checks.py says why).
    reason = "" if checked else outbound_message_veto(message)
    if reason:
        outbound_message_cancel_claimed(message_id=message.pk, reason=reason)
        return ""
    try:
        provider_id = get_adapter().send(Outgoing.of(message, sender=sender))
    except TransientSendError as error:
        _requeue_or_fail(message.pk, error=error, last_attempt=last_attempt)
        if error.recipient_cooldown:
            ratelimit.push_back_recipient(
                message.to, error.recipient_cooldown, number=_number_key(sender)
            )
        raise
    except PermanentSendError as error:
        _fail(message.pk, error=error)
        return ""
    except AmbiguousSendError as error:
        _mark_for_review(message.pk, reason=error.message, code=error.code)
        return ""
    _record_sent(message.pk, provider_id=provider_id)
    return provider_id


def _defer(message_id: int, *, seconds: float) -> None:
    with transaction.atomic():
        message = _lock(message_id)
        message.not_before = timezone.now() + dt.timedelta(seconds=seconds)
        message.save(update_fields=["not_before"])


def _requeue_or_fail(message_id: int, *, error: TransientSendError, last_attempt: bool) -> None:
    if last_attempt:
        _fail(message_id, error=error)
        return
    with transaction.atomic():
        message = _lock(message_id)
        if message.state != OutboundState.SENDING:
            return
        message.state = OutboundState.QUEUED
        message.error_code = error.code[:20]
        message.error_message = error.message
        # The sweep leaves it to the task's own retry for as long as its longest countdown.
        message.not_before = timezone.now() + dt.timedelta(
            seconds=settings.WHATSAPP_SEND_RETRY_BACKOFF_MAX_SECONDS
        )
        message.save(update_fields=["state", "error_code", "error_message", "not_before"])
    logger.info("outbound %s will be retried: [%s] %s", message_id, error.code, error.message)
