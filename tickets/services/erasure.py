"""A citizen's erasure (GDPR art. 17), as far as the tickets hold their words and media."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from urp_portal.gateway.models import InboundMessage

from ..models import (
    Forward,
    Message,
    SatisfactionSurvey,
    ServiceWordCount,
    Ticket,
    TicketEvent,
)
from ..states import ClosingReason, TicketState
from .core import ticket_move
from .suggestions import citizen_name_words


def tickets_erase_personal_data(*, subscriber: Any) -> int:
    """Empty the texts and delete the media of `subscriber`'s chats and close their open
    tickets as erased; the tickets stay, so the statistics still add up. Call inside the
    erasure's transaction. Returns messages erased."""
    inbound = InboundMessage.objects.filter(ticket_message__ticket__subscriber=subscriber)
    files = [name for name in inbound.exclude(media_file="").values_list("media_file", flat=True)]
    inbound.update(text="", media_file="", media_filename="", profile_name="", extra={})
    erased = Message.objects.filter(ticket__subscriber=subscriber).update(text="")
    Forward.objects.filter(ticket__subscriber=subscriber).update(note="", answer="")
    # The satisfaction comment is the citizen's words; the level stays for the statistics.
    SatisfactionSurvey.objects.filter(ticket__subscriber=subscriber).update(comment="")
    # What operators wrote about the citizen when moving the ticket (a forward's note, why it
    # was closed) is about them too; the events themselves (who, when, from, to) stay.
    TicketEvent.objects.filter(ticket__subscriber=subscriber).exclude(reason="").update(reason="")
    # Words learnt for the service suggestions before the learner knew they were a name.
    ServiceWordCount.objects.filter(word__in=citizen_name_words(subscriber)).delete()
    # After the reasons are emptied: the closing's own reason names nobody.
    tickets_close_erased(subscriber=subscriber)
    if files:
        # The files go only once the erasure is committed: a rollback must not lose them.
        transaction.on_commit(lambda: _delete_files(files))
    return erased


def tickets_close_erased(*, subscriber: Any) -> int:
    """Nobody can answer a citizen whose number is gone: their open tickets close as "erased",
    off the inbox, with no deadline running and no warning. Returns how many were closed."""
    tickets = list(
        Ticket.objects.select_for_update()
        .filter(subscriber=subscriber)
        .exclude(state__in=TicketState.finished())
    )
    for ticket in tickets:
        ticket_move(
            ticket=ticket,
            to_state=TicketState.CLOSED,
            reason=_("Dati del cittadino cancellati: non è più possibile rispondere."),
            fields={"closing_reason": ClosingReason.ERASED},
        )
    return len(tickets)


def _delete_files(names: list[str]) -> None:
    field = InboundMessage._meta.get_field("media_file")
    storage = field.storage
    for name in names:
        storage.delete(name)
