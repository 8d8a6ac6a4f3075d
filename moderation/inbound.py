"""This app's steps of the inbound pipeline (DESIGN.md)."""

from subscribers.services import subscriber_for_context
from subscribers.states import SubscriberStatus
from urp_portal.gateway.models import InboundMessage
from urp_portal.gateway.pipeline import PipelineContext, Step

from .services import blocked_message_keep, message_screen
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
