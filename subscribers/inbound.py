"""This app's steps of the inbound pipeline (DESIGN.md)."""

from urp_portal.gateway.models import InboundMessage
from urp_portal.gateway.pipeline import PipelineContext, Step, pipeline_steps
from urp_portal.gateway.states import MessageKind
from urp_portal.municipality.selectors import municipality_keyword_kind
from urp_portal.municipality.states import FirstContactNotice, KeywordKind

from .services import (
    subscriber_for_context,
    subscriber_identity_advance,
    subscriber_identity_change,
    subscriber_inform_at_first_contact,
    subscriber_marketing_preference,
    subscriber_subscribe,
    subscriber_unsubscribe,
)
from .states import IdentityStep, SubscriberStatus


def whatsapp_notices(message: InboundMessage, context: PipelineContext) -> Step:
    """WhatsApp's notices about the citizen, never a conversation: a new number or user id
    moves the citizen's row; a marketing stop or resume goes to the consent ledger."""
    if message.kind == MessageKind.SYSTEM:
        subscriber = subscriber_identity_change(message=message)
        if subscriber is not None:
            context.found["subscriber"] = subscriber
        return Step.HANDLED
    if message.kind == MessageKind.PREFERENCE:
        subscriber = subscriber_for_context(message=message, context=context)
        context.found["subscriber"] = subscriber_marketing_preference(
            subscriber=subscriber, message=message
        )
        return Step.HANDLED
    return Step.CONTINUE


def keywords(message: InboundMessage, context: PipelineContext) -> Step:
    """The comune's subscribe and unsubscribe words: answered here, nothing goes further."""
    subscriber = subscriber_for_context(message=message, context=context)
    kind = municipality_keyword_kind(context.municipality, message.text) if message.text else None
    if kind is None:
        return Step.CONTINUE
    if kind == KeywordKind.SUBSCRIBE:
        subscriber = subscriber_subscribe(
            subscriber=subscriber, municipality=context.municipality, message=message
        )
    else:
        subscriber = subscriber_unsubscribe(
            subscriber=subscriber, municipality=context.municipality, message=message
        )
    context.found["subscriber"] = subscriber
    return Step.HANDLED


def first_contact_notice(message: InboundMessage, context: PipelineContext) -> Step:
    """The privacy notice to whoever writes for the first time, before anything is asked or
    answered, where the comune sends it so (GDPR art. 13). Never stops the message."""
    if context.municipality.first_contact_notice != FirstContactNotice.AT_FIRST_MESSAGE:
        return Step.CONTINUE
    subscriber = subscriber_for_context(message=message, context=context)
    if subscriber.status in (SubscriberStatus.BLOCKED, SubscriberStatus.ANONYMISED):
        return Step.CONTINUE
    subscriber_inform_at_first_contact(
        subscriber=subscriber,
        municipality=context.municipality,
        when=FirstContactNotice.AT_FIRST_MESSAGE,
        now=context.now,
    )
    return Step.CONTINUE


def identity(message: InboundMessage, context: PipelineContext) -> Step:
    """When the comune asks who writes (Assemini), nothing goes on to a ticket until name,
    surname and date of birth are known; then the held first message goes on in its place."""
    if not context.municipality.identity_required:
        return Step.CONTINUE
    subscriber = subscriber_for_context(message=message, context=context)
    if subscriber.identity_step == IdentityStep.COMPLETE:
        return Step.CONTINUE
    if subscriber.status in (SubscriberStatus.BLOCKED, SubscriberStatus.ANONYMISED):
        return Step.CONTINUE
    advance = subscriber_identity_advance(
        subscriber=subscriber, municipality=context.municipality, message=message, now=context.now
    )
    context.found["subscriber"] = advance.subscriber
    if advance.completed and advance.held_message_id:
        _resume_held_message(message_id=advance.held_message_id, context=context)
    return Step.HANDLED


def _resume_held_message(*, message_id: int, context: PipelineContext) -> None:
    """Run the steps after this one for the citizen's held first message, in this transaction:
    it becomes the ticket exactly as if identity had been known when it arrived. Its
    `handled_by` then names the step that took it."""
    held = InboundMessage.objects.select_for_update().filter(pk=message_id).first()
    if held is None:
        return
    steps = pipeline_steps()
    names = [name for name, _step in steps]
    this_step = f"{identity.__module__}.{identity.__name__}"
    remaining = steps[names.index(this_step) + 1 :] if this_step in names else []
    held_context = type(context)(municipality=context.municipality, now=context.now)
    held_context.found["subscriber"] = context.found["subscriber"]
    # Later steps may want to know (e.g. not to send the first-contact text again).
    held_context.found["resumed_after_identity"] = True
    handled_by = ""
    for name, step in remaining:
        if step(held, held_context) is Step.HANDLED:
            handled_by = name
            break
    held.handled_by = handled_by
    held.save(update_fields=["handled_by"])
