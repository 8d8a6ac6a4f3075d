"""Every write of the simulator: what the citizen sends, what the fake Graph API accepts, and the
webhooks posted back to the product."""

from __future__ import annotations

import itertools
import mimetypes
import secrets
import uuid
from functools import partial
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .demo import SAMPLES
from .graph import SendRequest, invalid_parameter
from .models import SimulatedMedia, SimulatedMessage
from .selectors import business_number_key, own_phone_number_id
from .states import OUTBOUND_STATUS_SEQUENCE, Direction, MediaOrigin, SimulatedStatus
from .webhooks import base64_sha256, inbound_webhook_body, status_webhook_body, webhook_post


def _new_wamid() -> str:
    return f"wamid.SIM{uuid.uuid4().hex.upper()}"


def _new_media_id() -> str:
    # Sixteen digits, like Meta's media ids.
    return str(10**15 + secrets.randbelow(9 * 10**15))


def simulated_media_store(
    *, content: bytes, mime_type: str, origin: str, filename: str = ""
) -> SimulatedMedia:
    media_id = _new_media_id()
    extension = mimetypes.guess_extension(mime_type.split(";")[0].strip()) or ".bin"
    media = SimulatedMedia(
        media_id=media_id,
        mime_type=mime_type,
        sha256=base64_sha256(content),
        file_size=len(content),
        filename=filename,
        origin=origin,
    )
    # Named by its id: a caller's file name is shown, never used as a path.
    media.file.save(f"{media_id}{extension}", ContentFile(content), save=False)
    media.save()
    return media


# --- the citizen's side ---------------------------------------------------------------------------
def citizen_message_create(
    *,
    number: str,
    profile_name: str,
    text: str = "",
    sample_key: str = "",
    business_number: str = "",
) -> list[SimulatedMessage]:
    """What the citizen writes, stored (not yet posted). A photo carries the text as its caption;
    a voice note cannot, so the text follows it as a second message, as on a phone."""
    if not text.strip() and not sample_key:
        raise ValueError("a citizen's message needs a text or a sample")
    common = {
        "direction": Direction.IN,
        "number": number,
        "profile_name": profile_name,
        "business_number": business_number,
    }
    messages: list[SimulatedMessage] = []
    with transaction.atomic():
        if sample_key:
            sample = SAMPLES[sample_key]
            media = simulated_media_store(
                content=sample.read(),
                mime_type=sample.mime_type,
                origin=MediaOrigin.CITIZEN,
                filename=sample.path.name,
            )
            caption = text.strip() if sample.kind == "image" else ""
            messages.append(
                SimulatedMessage.objects.create(
                    **common,
                    kind=sample.kind,
                    body=caption,
                    media=media,
                    is_voice=sample.is_voice,
                    wamid=_new_wamid(),
                )
            )
            if caption:
                text = ""
        if text.strip():
            messages.append(
                SimulatedMessage.objects.create(
                    **common, kind="text", body=text.strip(), wamid=_new_wamid()
                )
            )
    return messages


def citizen_message_send(
    *,
    number: str,
    profile_name: str,
    text: str = "",
    sample_key: str = "",
    business_number: str = "",
) -> list[SimulatedMessage]:
    """Store what the citizen writes and post it to the product's webhook after commit."""
    from .tasks import citizen_message_post

    with transaction.atomic():
        messages = citizen_message_create(
            number=number,
            profile_name=profile_name,
            text=text,
            sample_key=sample_key,
            business_number=business_number,
        )
        for message in messages:
            transaction.on_commit(partial(citizen_message_post.delay, message.pk))
    return messages


def citizen_message_post_webhook(*, message_id: int) -> SimulatedMessage:
    """POST the citizen's message to the product's webhook, signed, once. Network trouble and
    5xx propagate (the task retries); any other refusal is recorded on the message."""
    message = SimulatedMessage.objects.select_related("media").get(
        pk=message_id, direction=Direction.IN
    )
    if message.status != SimulatedStatus.PENDING:
        return message
    response = webhook_post(inbound_webhook_body(message))
    if response.ok:
        status, error = SimulatedStatus.DELIVERED, ""
    else:
        status = SimulatedStatus.FAILED
        error = _("Il webhook del prodotto ha risposto %(code)s: %(text)s") % {
            "code": response.status_code,
            "text": response.text[:300],
        }
    _set_status(message, status=status, error=error)
    return message


def citizen_message_mark_failed(*, message_id: int, error: str) -> None:
    SimulatedMessage.objects.filter(
        pk=message_id, direction=Direction.IN, status=SimulatedStatus.PENDING
    ).update(status=SimulatedStatus.FAILED, error=error, status_changed_at=timezone.now())


def _set_status(message: SimulatedMessage, *, status: str, error: str = "") -> None:
    message.status = status
    message.error = error
    message.status_changed_at = timezone.now()
    message.save(update_fields=["status", "error", "status_changed_at"])


# --- the fake Graph API's side --------------------------------------------------------------------
def graph_message_accept(
    *, request: SendRequest, payload: dict[str, Any], phone_number_id: str = ""
) -> SimulatedMessage:
    """Keep a message the product sent from the business number `phone_number_id`, and post
    its statuses back after commit."""
    from .tasks import simulated_status_post

    media = None
    if request.media_id:
        media = SimulatedMedia.objects.filter(media_id=request.media_id).first()
        if media is None:
            raise invalid_parameter(f"Media id {request.media_id} does not exist.")
    last_in = (
        SimulatedMessage.objects.filter(
            number=request.to,
            direction=Direction.IN,
            business_number=business_number_key(phone_number_id or own_phone_number_id()),
        )
        .exclude(profile_name="")
        .order_by("-created_at", "-id")
        .values_list("profile_name", flat=True)
        .first()
    )
    with transaction.atomic():
        message = SimulatedMessage.objects.create(
            direction=Direction.OUT,
            number=request.to,
            business_number=business_number_key(phone_number_id or own_phone_number_id()),
            profile_name=last_in or "",
            kind=request.kind,
            body=request.body,
            media=media,
            media_link=request.media_link,
            wamid=_new_wamid(),
            payload=payload,
        )
        transaction.on_commit(
            lambda: simulated_status_post.apply_async(
                (message.pk, SimulatedStatus.SENT.value), countdown=_status_delay()
            )
        )
    return message


def graph_media_upload(*, content: bytes, mime_type: str, filename: str) -> SimulatedMedia:
    return simulated_media_store(
        content=content, mime_type=mime_type, origin=MediaOrigin.UPLOAD, filename=filename
    )


def _status_delay() -> float:
    from django.conf import settings

    return float(settings.SIMULATOR_STATUS_DELAY_SECONDS)


def _rank(status: str) -> int:
    order = [SimulatedStatus.PENDING, *OUTBOUND_STATUS_SEQUENCE]
    return order.index(SimulatedStatus(status)) if status in order else len(order)


def simulated_status_advance(*, message_id: int, status: str) -> str | None:
    """Post the `status` webhook of a sent message; the next status to post, or None at the end.

    A re-run that finds `status` already posted names the next one again (a duplicate status
    webhook is harmless: the product counts one event), so a worker killed between the two
    steps does not leave the message stuck before "read"."""
    message = SimulatedMessage.objects.get(pk=message_id, direction=Direction.OUT)
    following = {
        current.value: nxt.value for current, nxt in itertools.pairwise(OUTBOUND_STATUS_SEQUENCE)
    }
    if _rank(message.status) > _rank(status):
        return None
    if message.status != status:
        response = webhook_post(status_webhook_body(message, status))
        if not response.ok:
            message.error = _(
                "Il webhook del prodotto ha risposto %(code)s allo stato «%(s)s»."
            ) % {
                "code": response.status_code,
                "s": status,
            }
            message.save(update_fields=["error"])
            return None
        updated = SimulatedMessage.objects.filter(
            Q(pk=message.pk), ~Q(status__in=_later_or_equal(status))
        ).update(status=status, error="", status_changed_at=timezone.now())
        if not updated:
            return None
    return following.get(status)


def _later_or_equal(status: str) -> list[str]:
    return [s.value for s in OUTBOUND_STATUS_SEQUENCE if _rank(s) >= _rank(status)]
