"""What a citizen does in WhatsApp to a message already in the chat: reacts to it (or takes
the reaction back), edits it, deletes it. None of these is a message of its own: each changes
the bubble it points at, and never opens a ticket."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from urp_portal.gateway.models import InboundMessage
from urp_portal.gateway.services import outbound_message_create
from urp_portal.gateway.states import MessageKind
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.selectors import municipality_channels_text, render_text

from ..models import Message, Ticket
from ..states import TicketState

PURPOSE_WELCOME_REQUEST = "welcome_request"


def _bubble_of(provider_id: str) -> Message | None:
    """The chat bubble of one of the citizen's messages or of ours, by WhatsApp's id; locked."""
    if not provider_id:
        return None
    return (
        Message.objects.select_for_update(of=("self",))
        .filter(Q(inbound__provider_id=provider_id) | Q(outbound__provider_id=provider_id))
        .select_related("inbound")
        .first()
    )


def message_apply_citizen_update(*, update: InboundMessage) -> Message | None:
    """Apply a reaction, an edit or a deletion to the bubble it points at (None when that
    message is not in any chat: a keyword, a message from before). Idempotent: applying the
    same update again changes nothing more."""
    extra = update.extra or {}
    if update.kind == MessageKind.REACTION:
        bubble = _bubble_of(str(extra.get("reacted_to") or ""))
        if bubble is not None and bubble.reaction != update.text:
            bubble.reaction = update.text[:32]
            bubble.save(update_fields=["reaction"])
        return bubble
    bubble = _bubble_of(str(extra.get("original_id") or ""))
    if bubble is None or bubble.inbound is None:
        # Only the citizen's own messages can be edited or deleted by the citizen.
        return None
    if update.kind == MessageKind.EDIT:
        if bubble.revoked_at is None and (
            bubble.edited_at is None or update.sent_at >= bubble.edited_at
        ):
            bubble.text = update.text
            bubble.edited_at = update.sent_at
            bubble.save(update_fields=["text", "edited_at"])
        return bubble
    if update.kind == MessageKind.REVOKE and bubble.revoked_at is None:
        bubble.revoked_at = update.sent_at
        fields = ["revoked_at"]
        if not bubble.moderation_note:
            # Gone for the operators too; kept only where moderation flagged it (evidence).
            bubble.text = ""
            fields.append("text")
            _forget_revoked_words(original=bubble.inbound)
        bubble.save(update_fields=fields)
    return bubble


def _forget_revoked_words(*, original: InboundMessage) -> None:
    """The deleted message's words and file, and those of its edits, are not kept."""
    edits = InboundMessage.objects.filter(
        kind=MessageKind.EDIT, extra__original_id=original.provider_id
    )
    edits.update(text="")
    original.text = ""
    fields = ["text"]
    if original.media_file:
        stored = original.media_file
        name = str(stored.name)
        transaction.on_commit(lambda: stored.storage.delete(name))
        original.media_file = ""
        fields.append("media_file")
    original.save(update_fields=fields)


def ticket_open_exists(*, subscriber) -> bool:
    return (
        Ticket.objects.filter(subscriber=subscriber)
        .exclude(state__in=TicketState.finished())
        .exists()
    )


def citizen_welcome_on_request(*, number: str, municipality: Municipality) -> None:
    """WhatsApp's `request_welcome` (the citizen opened the chat for the first time): the
    comune's first-contact text, or a short welcome, and no ticket."""
    text = render_text(
        municipality.first_contact_text, canali=municipality_channels_text(municipality)
    ) or _(
        "%(comune)s: benvenuto nel servizio WhatsApp. Scriva pure la sua richiesta: le "
        "risponderemo negli orari d'ufficio."
    ) % {"comune": municipality.name}
    outbound_message_create(to=number, purpose=PURPOSE_WELCOME_REQUEST, text=text)
