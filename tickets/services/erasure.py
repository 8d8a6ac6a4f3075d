"""A citizen's erasure (GDPR art. 17), as far as the tickets hold their words and media."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from urp_portal.gateway.models import InboundMessage

from ..models import Forward, Message, ServiceWordCount, TicketEvent
from .suggestions import citizen_name_words


def tickets_erase_personal_data(*, subscriber: Any) -> int:
    """Empty the texts and delete the media of `subscriber`'s chats; the tickets stay, so the
    statistics still add up. Call inside the erasure's transaction. Returns messages erased."""
    inbound = InboundMessage.objects.filter(ticket_message__ticket__subscriber=subscriber)
    files = [name for name in inbound.exclude(media_file="").values_list("media_file", flat=True)]
    inbound.update(text="", media_file="", media_filename="", profile_name="", extra={})
    erased = Message.objects.filter(ticket__subscriber=subscriber).update(text="")
    Forward.objects.filter(ticket__subscriber=subscriber).update(note="", answer="")
    # What operators wrote about the citizen when moving the ticket (a forward's note, why it
    # was closed) is about them too; the events themselves (who, when, from, to) stay.
    TicketEvent.objects.filter(ticket__subscriber=subscriber).exclude(reason="").update(reason="")
    # Words learnt for the service suggestions before the learner knew they were a name.
    ServiceWordCount.objects.filter(word__in=citizen_name_words(subscriber)).delete()
    if files:
        # The files go only once the erasure is committed: a rollback must not lose them.
        transaction.on_commit(lambda: _delete_files(files))
    return erased


def _delete_files(names: list[str]) -> None:
    field = InboundMessage._meta.get_field("media_file")
    storage = field.storage
    for name in names:
        storage.delete(name)
