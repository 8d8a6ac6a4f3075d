"""This app's steps of the inbound pipeline (DESIGN.md)."""

import datetime as dt

from django.utils import timezone

from urp_portal.gateway.models import InboundMessage, OutboundMessage
from urp_portal.gateway.pipeline import PipelineContext, Step
from urp_portal.gateway.services import outbound_message_create
from urp_portal.gateway.states import MessageKind
from urp_portal.municipality.selectors import municipality_channels_text, render_text
from urp_portal.municipality.states import ChannelMode

from .services import (
    ticket_receive,
    ticket_send_first_contact_reply,
    ticket_send_out_of_hours_reply,
)
from .services.acknowledgement import ticket_send_acknowledgement
from .services.message_updates import (
    citizen_welcome_on_request,
    message_apply_citizen_update,
    ticket_open_exists,
)
from .services.redirects import ticket_handle_elsewhere
from .services.survey import (
    survey_pending_for,
    survey_record_answer,
    survey_record_comment,
    survey_reply_from_button,
    survey_reply_from_text,
)
from .states import SurveyState

PURPOSE_BROADCAST_ONLY = "broadcast_only"
PURPOSE_MEDIA_NOT_ACCEPTED = "media_not_accepted"
# Message kinds (MessageKind, as the adapters name them; #19 adds more update types to the same
# values) that are a gesture, not a request: a 👍 or a sticker gets no answer on a number that
# does not take it, and opens nothing.
GESTURES = {MessageKind.REACTION, MessageKind.STICKER}
# Kinds whose text is the citizen's own words: a typed text, and the title of a button tapped.
WORDS = {MessageKind.TEXT, MessageKind.BUTTON, MessageKind.INTERACTIVE}
# Kinds whose `text` is a caption the citizen wrote under a file.
CAPTIONED = {MessageKind.IMAGE, MessageKind.VIDEO, MessageKind.DOCUMENT}


def _start_of_local_day(now: dt.datetime) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(now), dt.time.min))


def _redirected_today(sender: str, now: dt.datetime) -> bool:
    return OutboundMessage.objects.filter(
        to=sender, purpose=PURPOSE_BROADCAST_ONLY, created_at__gte=_start_of_local_day(now)
    ).exists()


# Changes to a bubble already in the chat, never a bubble (nor a ticket) of their own.
BUBBLE_UPDATES = {MessageKind.REACTION, MessageKind.EDIT, MessageKind.REVOKE}
# Worth showing in a conversation under way, not worth opening one.
ONLY_IN_AN_OPEN_TICKET = {MessageKind.STICKER, MessageKind.CALL_PERMISSION}
# WhatsApp's notices about the citizen (subscribers.inbound.whatsapp_notices records them).
NOTICES = {MessageKind.SYSTEM, MessageKind.PREFERENCE}


def whatsapp_updates(message: InboundMessage, context: PipelineContext) -> Step:
    """The updates WhatsApp sends beside messages: reactions, edits and deletions change the
    bubble they point at; the first opening of the chat gets the comune's welcome; a sticker
    or a call-permission answer joins a conversation under way but opens none. Nothing here
    makes an empty ticket."""
    kind = message.kind
    if kind in BUBBLE_UPDATES:
        message_apply_citizen_update(update=message)
        return Step.HANDLED
    if kind in NOTICES:
        return Step.HANDLED
    if kind == MessageKind.WELCOME_REQUEST:
        citizen_welcome_on_request(number=message.sender, municipality=context.municipality)
        return Step.HANDLED
    if kind in ONLY_IN_AN_OPEN_TICKET:
        from subscribers.services import subscriber_for_context

        subscriber = subscriber_for_context(message=message, context=context)
        return Step.CONTINUE if ticket_open_exists(subscriber=subscriber) else Step.HANDLED
    return Step.CONTINUE


def accepted_here(message: InboundMessage, context: PipelineContext) -> Step:
    """What this number does not take.

    - A broadcast-only number (San Giuliano) takes nothing: the redirect to the other channels
      goes at most once a (Rome) day per citizen; reactions and stickers get none.
    - A text-only desk (Ancona) takes words: a photo, video or document gets the "text only"
      answer, and its caption, when there is one, goes on as the citizen's request; a voice
      note, a location, a contact or an unknown type gets the same answer and opens nothing
      (a place's name is not a question); reactions and stickers get no answer.
    No ticket is opened for what is not taken."""
    municipality = context.municipality
    if municipality.mode == ChannelMode.BROADCAST_ONLY:
        text = municipality.broadcast_only_text
        if (
            text
            and message.kind not in GESTURES
            and not _redirected_today(message.sender, context.now)
        ):
            outbound_message_create(
                to=message.sender,
                purpose=PURPOSE_BROADCAST_ONLY,
                text=render_text(text, canali=municipality_channels_text(municipality)),
            )
        return Step.HANDLED
    if municipality.mode != ChannelMode.TWO_WAY_TEXT or message.kind in WORDS:
        return Step.CONTINUE
    if message.kind in GESTURES:
        return Step.HANDLED
    if municipality.media_not_accepted_text:
        outbound_message_create(
            to=message.sender,
            purpose=PURPOSE_MEDIA_NOT_ACCEPTED,
            text=render_text(
                municipality.media_not_accepted_text,
                canali=municipality_channels_text(municipality),
            ),
        )
    if message.kind in CAPTIONED and message.text.strip():
        return Step.CONTINUE
    return Step.HANDLED


def survey_answer(message: InboundMessage, context: PipelineContext) -> Step:
    """The satisfaction buttons (or a typed choice), then the optional comment: taken here,
    they open no ticket."""
    reply_id = str(
        (message.extra or {}).get("reply_id") or (message.extra or {}).get("payload") or ""
    )
    if message.kind in (MessageKind.INTERACTIVE, MessageKind.BUTTON) and reply_id:
        reply = survey_reply_from_button(reply_id)
        if reply is None:
            return Step.CONTINUE
        survey_record_answer(
            reply=reply, message=message, municipality=context.municipality, now=context.now
        )
        return Step.HANDLED
    if message.kind != MessageKind.TEXT or not message.text.strip():
        return Step.CONTINUE
    subscriber = context.found.get("subscriber")
    if subscriber is None:
        from subscribers.services import subscriber_for_context

        subscriber = subscriber_for_context(message=message, context=context)
    survey = survey_pending_for(subscriber=subscriber, now=context.now)
    if survey is None or survey.ticket.subscriber_id != subscriber.pk:
        return Step.CONTINUE
    if subscriber.tickets.exclude(pk=survey.ticket_id).filter(pk__gt=survey.ticket_id).exists():
        # A newer conversation began since: its messages are requests, not comments.
        return Step.CONTINUE
    if survey.state == SurveyState.SENT:
        typed = survey_reply_from_text(survey=survey, text=message.text)
        if typed is None:
            return Step.CONTINUE
        survey_record_answer(
            reply=typed, message=message, municipality=context.municipality, now=context.now
        )
        return Step.HANDLED
    survey_record_comment(survey=survey, message=message, now=context.now)
    return Step.HANDLED


def to_ticket(message: InboundMessage, context: PipelineContext) -> Step:
    """Open a ticket or join the citizen's open one, keeping the message and its media."""
    subscriber = context.found.get("subscriber")
    if subscriber is None:
        from subscribers.services import subscriber_touch_from_inbound

        subscriber = subscriber_touch_from_inbound(message=message)
        context.found["subscriber"] = subscriber
    ticket, created = ticket_receive(
        message=message, subscriber=subscriber, municipality=context.municipality, now=context.now
    )
    context.found["ticket"] = ticket
    context.found["ticket_created"] = created
    return Step.CONTINUE


def belongs_elsewhere(message: InboundMessage, context: PipelineContext) -> Step:
    """Reports and access-to-records requests, by the administrator's rules: redirected at once
    (the ticket closes; nothing else is sent) or suggested to the operator."""
    ticket = context.found.get("ticket")
    if ticket is None:
        return Step.CONTINUE
    redirected = ticket_handle_elsewhere(
        ticket=ticket,
        message=message,
        municipality=context.municipality,
        opened_by_message=bool(context.found.get("ticket_created")),
        now=context.now,
    )
    return Step.HANDLED if redirected else Step.CONTINUE


def auto_replies(message: InboundMessage, context: PipelineContext) -> Step:
    """The first-contact text, the acknowledgement with the term, and the out-of-hours answer
    (once per closed period)."""
    ticket = context.found.get("ticket")
    if ticket is None:
        return Step.CONTINUE
    if context.found.get("ticket_created"):
        ticket_send_first_contact_reply(
            ticket=ticket, municipality=context.municipality, now=context.now
        )
        ticket_send_acknowledgement(
            ticket=ticket, municipality=context.municipality, now=context.now
        )
    ticket_send_out_of_hours_reply(
        ticket=ticket, municipality=context.municipality, now=context.now
    )
    return Step.CONTINUE
