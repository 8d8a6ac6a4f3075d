"""How the tests talk to the product as a citizen.

`receive` is the one door: today it stores an InboundMessage and runs the real inbound pipeline
on it; once the gateway's webhook lands it can post a signed webhook and let a worker run, without
any test changing. `outbox` is what the product said back (the OutboundMessage rows)."""

import datetime as dt
import itertools

from django.utils import timezone

from urp_portal.gateway.models import InboundMessage, OutboundMessage
from urp_portal.gateway.pipeline import inbound_message_run_pipeline
from urp_portal.gateway.states import MessageKind

_ids = itertools.count(1)


def receive(
    sender: str,
    text: str = "",
    *,
    kind: str = MessageKind.TEXT,
    profile_name: str = "",
    sent_at: dt.datetime | None = None,
    **extra,
) -> InboundMessage:
    """The citizen `sender` writes `text`; returns the stored message after the pipeline ran."""
    message = InboundMessage.objects.create(
        provider_id=f"wamid.test.{next(_ids)}.{timezone.now().timestamp()}",
        sender=sender,
        profile_name=profile_name,
        sent_at=sent_at or timezone.now(),
        kind=kind,
        text=text,
        **extra,
    )
    inbound_message_run_pipeline(message_id=message.pk)
    message.refresh_from_db()
    return message


def outbox(to: str | None = None) -> list[OutboundMessage]:
    """What we sent (or queued), oldest first; only to `to` if given."""
    messages = OutboundMessage.objects.order_by("created_at", "pk")
    if to is not None:
        messages = messages.filter(to=to)
    return list(messages)


def texts(to: str | None = None) -> list[str]:
    return [message.text for message in outbox(to)]
