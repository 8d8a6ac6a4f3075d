"""The answers the product sends by itself in a ticket's chat: out of hours, at first contact,
and the privacy notice where the comune sends it with its first answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.translation import gettext as _

from urp_portal.gateway.services import outbound_message_create
from urp_portal.municipality.calendar import ComuneCalendar
from urp_portal.municipality.errors import UserError
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.selectors import (
    municipality_calendar,
    municipality_channels_text,
    municipality_get_active_or_none,
    render_text,
)

from ...models import Message, Ticket
from ...states import (
    MessageOrigin,
)


def ticket_inform_with_first_reply(*, ticket: Ticket, now: dt.datetime) -> None:
    """Where the comune sends the privacy notice with its first answer (Ancona), it goes just
    before that answer, whichever it is (automatic or an operator's)."""
    from subscribers.services import subscriber_inform_with_first_reply

    municipality = municipality_get_active_or_none()
    if municipality is not None:
        subscriber_inform_with_first_reply(
            subscriber=ticket.subscriber, municipality=municipality, now=now
        )


def ticket_send_automatic(
    *,
    ticket: Ticket,
    text: str,
    purpose: str,
    now: dt.datetime,
    buttons: Sequence[dict[str, str]] = (),
) -> Message:
    number = ticket.subscriber.number
    if not number:
        raise UserError(
            _("I dati di questo cittadino sono stati cancellati: non si può scrivergli.")
        )
    ticket_inform_with_first_reply(ticket=ticket, now=now)
    outbound = outbound_message_create(to=number, purpose=purpose, text=text, buttons=buttons)
    ticket.last_message_at = max(ticket.last_message_at, now)
    ticket.save(update_fields=["last_message_at"])
    return Message.objects.create(
        ticket=ticket, origin=MessageOrigin.AUTOMATIC, text=text, outbound=outbound, at=now
    )


def ticket_send_out_of_hours_reply(
    *,
    ticket: Ticket,
    municipality: Municipality,
    now: dt.datetime,
    calendar: ComuneCalendar | None = None,
) -> Message | None:
    """While the URP is closed, tell the citizen when it reopens: once per closed period per
    ticket. The period is named by its next opening, which every instant of it shares."""
    calendar = calendar or municipality_calendar(municipality)
    if not municipality.out_of_hours_text or calendar.is_open(now):
        return None
    opening = calendar.next_opening(now)
    if ticket.out_of_hours_replied_for == opening:
        return None
    text = render_text(
        municipality.out_of_hours_text,
        orari=calendar.describe_hours(),
        prossima_apertura=calendar.describe_opening(opening, now),
    )
    ticket.out_of_hours_replied_for = opening
    ticket.save(update_fields=["out_of_hours_replied_for"])
    return ticket_send_automatic(ticket=ticket, text=text, purpose="out_of_hours", now=now)


def ticket_send_first_contact_reply(
    *, ticket: Ticket, municipality: Municipality, now: dt.datetime
) -> Message | None:
    """The comune's first-contact text (e.g. Assemini's invitation to the broadcast list), on a
    citizen's first ticket only."""
    if not municipality.first_contact_text:
        return None
    if Ticket.objects.filter(subscriber_id=ticket.subscriber_id).exclude(pk=ticket.pk).exists():
        return None
    if (
        Message.objects.filter(ticket=ticket, origin=MessageOrigin.AUTOMATIC)
        .filter(outbound__purpose="first_contact")
        .exists()
    ):
        return None
    text = render_text(
        municipality.first_contact_text, canali=municipality_channels_text(municipality)
    )
    return ticket_send_automatic(ticket=ticket, text=text, purpose="first_contact", now=now)
