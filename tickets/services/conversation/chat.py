"""The chat: a citizen's message into a ticket, the URP's replies and notes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from urp_portal.gateway.models import InboundMessage
from urp_portal.gateway.services import outbound_message_create
from urp_portal.gateway.template_catalogue import template_resolve
from urp_portal.municipality.errors import UserError
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.scope import current_comune_id
from urp_portal.municipality.selectors import (
    municipality_calendar,
    municipality_channels_text,
    render_text,
)

from ...models import CannedAnswer, Message, Ticket
from ...selectors import reply_window_is_open
from ...states import (
    MessageOrigin,
    TicketEventKind,
    TicketState,
)
from ..core import (
    actor_account,
    actor_label,
    event_write,
    require_not_finished,
    require_urp,
    ticket_lock,
    ticket_move,
)
from ..inbound_text import inbound_display_text
from ..presence import reply_check_collision, ticket_count_unread
from .automatic import ticket_inform_with_first_reply


def _inbound_text(message: InboundMessage) -> str:
    return inbound_display_text(message)


def ticket_receive(
    *, message: InboundMessage, subscriber: Any, municipality: Municipality, now: dt.datetime
) -> tuple[Ticket, bool]:
    """Put a citizen's message in their open ticket, opening one if there is none. Call inside
    the pipeline's transaction; the returned ticket is locked. Running it twice for one message
    adds it once."""
    calendar = municipality_calendar(municipality)
    received = message.sent_at or now
    ticket = (
        Ticket.objects.select_for_update()
        .filter(subscriber=subscriber)
        .exclude(state__in=TicketState.finished())
        .first()
    )
    created = ticket is None
    if ticket is None:
        ticket = Ticket.objects.create(
            subscriber=subscriber,
            # The citizen's comune: the ticket and all that hangs off it are that comune's.
            comune_id=subscriber.comune_id or current_comune_id(),
            state=TicketState.NEW,
            opened_at=received,
            due_at=calendar.add_working_days(received, municipality.answer_deadline_working_days),
            last_inbound_at=received,
            last_message_at=received,
            opened_out_of_hours=not calendar.is_open(now),
        )
        event_write(
            ticket=ticket,
            kind=TicketEventKind.STATE,
            at=received,
            to_state=TicketState.NEW,
            reason=_("Aperta da un messaggio del cittadino."),
        )
    else:
        fields: dict[str, Any] = {}
        if ticket.last_inbound_at is None or received > ticket.last_inbound_at:
            fields["last_inbound_at"] = received
        if received > ticket.last_message_at:
            fields["last_message_at"] = received
        if ticket.state == TicketState.WAITING_CITIZEN:
            ticket_move(
                ticket=ticket,
                to_state=TicketState.OPEN,
                reason=_("Il cittadino ha risposto."),
                at=received,
                fields=fields,
            )
        elif fields:
            for name, value in fields.items():
                setattr(ticket, name, value)
            ticket.save(update_fields=list(fields))
    _message, added = Message.objects.get_or_create(
        inbound=message,
        defaults={
            "ticket": ticket,
            "origin": MessageOrigin.CITIZEN,
            "kind": message.kind,
            "text": _inbound_text(message),
            "at": received,
        },
    )
    if added:
        ticket_count_unread(ticket=ticket)
    return ticket, created


def _citizen_name(ticket: Ticket) -> str:
    subscriber = ticket.subscriber
    return subscriber.first_name or subscriber.profile_name or ""


def canned_answer_render(
    *, answer: CannedAnswer, ticket: Ticket, municipality: Municipality | None
) -> str:
    values: dict[str, object] = {"nome": _citizen_name(ticket), "numero": ticket.number}
    if municipality is not None:
        values["comune"] = municipality.name
        values["canali"] = municipality_channels_text(municipality)
        values["orari"] = municipality_calendar(municipality).describe_hours()
    text = render_text(answer.text, **values)
    # "Buongiorno {nome}," with no known name reads better as "Buongiorno,".
    return text.replace(" ,", ",").replace("  ", " ")


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    actor: Any,
    text: str = "",
    template_name: str = "",
    template_parameters: Sequence[str] = (),
    wait_for_citizen: bool = False,
    unseen_after: int | None = None,
) -> Message:
    """Answer the citizen: free text inside the 24-hour window, an approved template outside it
    (DESIGN.md). The message goes to the outbox and shows in the chat with its delivery ticks.
    With `unseen_after` (the last message on the console's screen), a reply written while a
    colleague answered or the citizen wrote is refused with ReplyCollision."""
    require_urp(actor)
    ticket = ticket_lock(ticket=ticket)
    require_not_finished(ticket)
    now = timezone.now()
    if unseen_after is not None:
        reply_check_collision(ticket=ticket, after_message=unseen_after, now=now)
    text = text.strip()
    if text and template_name:
        raise UserError(_("Scrivi un testo oppure scegli un modello, non entrambi."))
    if not text and not template_name:
        raise UserError(_("Scrivi la risposta o scegli un modello approvato."))
    if not ticket.subscriber.number:
        raise UserError(
            _("I dati di questo cittadino sono stati cancellati: non si può scrivergli.")
        )
    if text and not reply_window_is_open(ticket=ticket, now=now):
        raise UserError(
            _(
                "Sono passate più di 24 ore dall'ultimo messaggio del cittadino: WhatsApp accetta "
                "solo un modello approvato."
            ),
            code="window_closed",
        )
    template = None
    if template_name:
        # Only an approved template, with every parameter filled as WhatsApp accepts it.
        template = template_resolve(
            name=template_name, language="", parameters=list(template_parameters)
        )
    ticket_inform_with_first_reply(ticket=ticket, now=now)
    outbound = outbound_message_create(
        to=ticket.subscriber.number,
        purpose="reply",
        text=text,
        template_name=template_name,
        template_language=template.language if template else "it",
        template_parameters=list(template_parameters),
        template_category=template.category if template else "",
        template_provider_id=template.provider_id if template else "",
        # A template with an image header goes with its image (sent once per file: uploads
        # are reused by the adapter).
        media_file=template.header_image if template else "",
    )
    message = Message.objects.create(
        ticket=ticket,
        origin=MessageOrigin.OPERATOR,
        text=text or (template.text if template else ""),
        template_name=template_name,
        outbound=outbound,
        author=actor_account(actor),
        author_label=actor_label(actor),
        at=now,
    )
    fields: dict[str, Any] = {"last_message_at": now}
    if ticket.first_response_at is None:
        fields["first_response_at"] = now
    # One of the comune's systems (an API token) answers without taking the ticket: it has no
    # account to be the assignee.
    if ticket.assignee_id is None and actor_account(actor) is not None:
        fields["assignee"] = actor
        event_write(
            ticket=ticket,
            kind=TicketEventKind.ASSIGNED,
            actor=actor,
            at=now,
            reason=_("Presa in carico con la prima risposta."),
        )
    target: str
    if wait_for_citizen:
        target = TicketState.WAITING_CITIZEN
    elif ticket.state in (TicketState.NEW, TicketState.ANSWERED_BY_SERVICE):
        target = TicketState.OPEN
    else:
        target = ticket.state
    if target != ticket.state:
        ticket_move(
            ticket=ticket,
            to_state=target,
            actor=actor,
            at=now,
            fields=fields,
            reason=_("Risposta al cittadino."),
        )
    else:
        for name, value in fields.items():
            setattr(ticket, name, value)
        ticket.save(update_fields=list(fields))
    return message


def ticket_reply_canned(
    *, ticket: Ticket, actor: Any, answer: CannedAnswer, municipality: Municipality | None
) -> Message:
    text = canned_answer_render(answer=answer, ticket=ticket, municipality=municipality)
    return ticket_reply(ticket=ticket, actor=actor, text=text)


@transaction.atomic
def ticket_add_note(*, ticket: Ticket, actor: Any, text: str) -> Message:
    """A note for colleagues and the services: stored in the chat, never sent."""
    text = text.strip()
    if not text:
        raise UserError(_("La nota è vuota."))
    ticket = ticket_lock(ticket=ticket)
    return Message.objects.create(
        ticket=ticket,
        origin=MessageOrigin.NOTE,
        text=text,
        author=actor_account(actor),
        author_label=actor_label(actor),
        at=timezone.now(),
    )
