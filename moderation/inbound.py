"""This app's steps of the inbound pipeline (DESIGN.md)."""

from subscribers.services import subscriber_for_context
from subscribers.states import SubscriberStatus
from tickets.models import Message
from urp_portal.gateway.models import InboundMessage
from urp_portal.gateway.pipeline import PipelineContext, Step
from urp_portal.gateway.states import MessageKind

from .services import blocked_message_keep, message_screen, moderation_note_text
from .services.flood import inbound_flood_control


def drop_if_blocked(message: InboundMessage, context: PipelineContext) -> Step:
    """A blocked citizen's message is stored (it already is) and kept under their case as
    evidence, but opens no ticket and gets no reply. A block past its end date lapses here, at
    the first message after it, if the periodic run has not ended it yet."""
    subscriber = subscriber_for_context(message=message, context=context)
    if subscriber.status != SubscriberStatus.BLOCKED:
        return Step.CONTINUE
    if blocked_message_keep(message=message, subscriber=subscriber, now=context.now):
        return Step.HANDLED
    subscriber.refresh_from_db(fields=["status"])
    return Step.CONTINUE


def flood_control(message: InboundMessage, context: PipelineContext) -> Step:
    """Too many messages too fast, or nothing but links: kept, flagged "invio massivo", one
    notice, a block that lapses by itself (services/flood.py)."""
    subscriber = subscriber_for_context(message=message, context=context)
    if inbound_flood_control(message=message, subscriber=subscriber, now=context.now):
        return Step.HANDLED
    return Step.CONTINUE


def screen(message: InboundMessage, context: PipelineContext) -> Step:
    """Flag, never drop: a flagged message still opens or joins its ticket, with the reasons
    shown to the operators, and waits in the moderation queue."""
    subscriber = subscriber_for_context(message=message, context=context)
    _flag, hits = message_screen(
        message=message, subscriber=subscriber, municipality=context.municipality, now=context.now
    )
    context.flags.extend(hits)
    return Step.CONTINUE


def screen_edits(message: InboundMessage, context: PipelineContext) -> Step:
    """A citizen's edit is screened as a new message would be (an insult added afterwards is
    not let through by editing a polite message): the edit joins the case, and the bubble it
    changes (tickets applies it next) carries the badge, so a later deletion keeps it."""
    if message.kind != MessageKind.EDIT:
        return Step.CONTINUE
    subscriber = subscriber_for_context(message=message, context=context)
    flag, hits = message_screen(
        message=message, subscriber=subscriber, municipality=context.municipality, now=context.now
    )
    if flag is not None:
        original = str((message.extra or {}).get("original_id") or "")
        Message.objects.filter(inbound__provider_id=original).update(
            moderation_note=moderation_note_text(flag.reasons)
        )
        context.flags.extend(hits)
    return Step.CONTINUE
