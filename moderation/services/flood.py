"""Flood control (issue 21, point 5): one number sent 500 messages in 2 s, and all of them went
into one ticket. A citizen who writes more than URP_FLOOD_MAX_MESSAGES messages within
URP_FLOOD_WINDOW_SECONDS, or URP_FLOOD_LINKS_MESSAGES messages in a row that hold nothing but
links, is slowed down:

- every message is still stored (a blocked citizen's messages are kept under the case);
- they get one notice, and no other automatic reply, for as long as the block lasts;
- the message that crossed the line waits in the moderation queue flagged "invio massivo";
- they are blocked for URP_FLOOD_BLOCK_MINUTES, a block that lapses by itself (the periodic
  `moderation-blocks-lapse`, or their first message after the end) if no moderator acts first.

The defaults are far beyond what a person typing reaches (30 messages in a minute; 5 bare links
in a row within an hour). Runs in the inbound pipeline's transaction, with the citizen's row
locked by subscriber_touch_from_inbound, so the messages of one number are counted one at a time
and the block is made once.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from subscribers.models import Subscriber
from subscribers.services import subscriber_status_change
from subscribers.states import SubscriberStatus, subscriber_transition_check
from urp_portal.gateway.models import InboundMessage
from urp_portal.gateway.services import outbound_message_create

from ..models import Block, PolicyCategory, ScreeningFlag
from ..states import ActionKind
from .cases import action_write, case_open_for

PURPOSE_NOTICE = "flood_notice"
FLOOD_CATEGORY = "spam_links"
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def _links_only(text: str) -> bool:
    return bool(_LINK.search(text)) and not _LINK.sub("", text).strip(" \n\t.,;:!?-")


def _flood_reason(*, message: InboundMessage, now: dt.datetime) -> str:
    """Why this message is one too many, or ""."""
    recent = InboundMessage.objects.filter(sender=message.sender)
    window = dt.timedelta(seconds=settings.URP_FLOOD_WINDOW_SECONDS)
    # By arrival, not by the phone's clock: 500 messages queued offline and sent at once are a
    # flood at the comune's end whatever their timestamps say.
    count = recent.filter(received_at__gte=now - window).count()
    if count > settings.URP_FLOOD_MAX_MESSAGES:
        return _("invio massivo: %(count)d messaggi in %(seconds)d secondi") % {
            "count": count,
            "seconds": settings.URP_FLOOD_WINDOW_SECONDS,
        }
    links = settings.URP_FLOOD_LINKS_MESSAGES
    if links and _links_only(message.text):
        last = list(
            recent.filter(received_at__gte=now - dt.timedelta(hours=1))
            .order_by("-received_at", "-pk")
            .values_list("text", flat=True)[:links]
        )
        if len(last) == links and all(_links_only(text) for text in last):
            return _("invio massivo: %(count)d messaggi di soli link di seguito") % {"count": links}
    return ""


def inbound_flood_control(
    *, message: InboundMessage, subscriber: Subscriber, now: dt.datetime
) -> bool:
    """True when this message trips the flood limits: the citizen is then blocked for a while,
    the message flagged and kept under the case, one notice sent. The caller stops the
    pipeline. False: nothing happened, the message goes on."""
    if subscriber.status in (SubscriberStatus.BLOCKED, SubscriberStatus.ANONYMISED):
        return False
    reason = _flood_reason(message=message, now=now)
    if not reason:
        return False
    # The block names the comune's spam rule; a comune whose published policy has none
    # (Assemini's) blocks no one for flooding: the messages go on to the desk.
    category = PolicyCategory.objects.filter(code=FLOOD_CATEGORY).first()
    if category is None:
        return False
    subscriber_transition_check(subscriber.status, SubscriberStatus.BLOCKED)
    case = case_open_for(subscriber=subscriber, now=now)
    block = Block.objects.create(
        subscriber=subscriber,
        case=case,
        starts_at=now,
        ends_at=now + dt.timedelta(minutes=settings.URP_FLOOD_BLOCK_MINUTES),
        previous_status=subscriber.status,
    )
    subscriber_status_change(
        subscriber=subscriber, status=SubscriberStatus.BLOCKED, actor=None, reason=ActionKind.BLOCK
    )
    flag, created = ScreeningFlag.objects.get_or_create(
        inbound=message,
        defaults={
            "case": case,
            "flagged_at": now,
            "reasons": [
                {
                    "rule": "flood",
                    "category": FLOOD_CATEGORY,
                    "reason": reason,
                    "start": 0,
                    "end": 0,
                }
            ],
        },
    )
    if created:
        flag.categories.set([category])
    case.messages.add(message)
    notice = None
    if subscriber.number:
        with translation.override(settings.LANGUAGE_CODE):
            text = _(
                "Abbiamo ricevuto molti messaggi dal suo numero in poco tempo: per %(minutes)d "
                "minuti i nuovi messaggi saranno conservati ma non riceveranno risposta. Se ha "
                "bisogno dell'URP, ci scriva poi un solo messaggio con la sua richiesta."
            ) % {"minutes": settings.URP_FLOOD_BLOCK_MINUTES}
        notice = outbound_message_create(to=subscriber.number, purpose=PURPOSE_NOTICE, text=text)
    action_write(
        case=case,
        kind=ActionKind.BLOCK,
        actor=None,
        categories=[category],
        subscriber=subscriber,
        note=reason,
        inbound=message,
        block=block,
        outbound=notice,
        at=now,
    )
    return True
