"""This app's steps of the inbound pipeline (DESIGN.md)."""

from urp_portal.gateway.models import InboundMessage
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
from .services.message_updates import (
    citizen_welcome_on_request,
    message_apply_citizen_update,
    ticket_open_exists,
)

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
    """What this number does not take: anything at all on a broadcast-only number (San
    Giuliano), photos, voice notes and videos on a text-only desk (Ancona). The citizen gets the
    comune's text; no ticket is opened."""
    municipality = context.municipality
    if municipality.mode == ChannelMode.BROADCAST_ONLY:
        text, purpose = municipality.broadcast_only_text, "broadcast_only"
    elif municipality.mode == ChannelMode.TWO_WAY_TEXT and message.has_media:
        text, purpose = municipality.media_not_accepted_text, "media_not_accepted"
    else:
        return Step.CONTINUE
    if text:
        outbound_message_create(
            to=message.sender,
            purpose=purpose,
            text=render_text(text, canali=municipality_channels_text(municipality)),
        )
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


def auto_replies(message: InboundMessage, context: PipelineContext) -> Step:
    """The out-of-hours answer (once per closed period) and the first-contact text."""
    ticket = context.found.get("ticket")
    if ticket is None:
        return Step.CONTINUE
    if context.found.get("ticket_created"):
        ticket_send_first_contact_reply(
            ticket=ticket, municipality=context.municipality, now=context.now
        )
    ticket_send_out_of_hours_reply(
        ticket=ticket, municipality=context.municipality, now=context.now
    )
    return Step.CONTINUE
