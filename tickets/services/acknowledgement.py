"""The term said: the first acknowledgement of a request tells the citizen by when they will
have an answer (Assemini: "comunque non oltre i due giorni lavorativi")."""

from __future__ import annotations

import datetime as dt

from urp_portal.municipality.models import Municipality
from urp_portal.municipality.selectors import municipality_calendar, render_text

from ..models import Message, Ticket
from ..states import MessageOrigin
from .conversation import ticket_send_automatic

PURPOSE_ACKNOWLEDGEMENT = "acknowledgement"


def ticket_send_acknowledgement(
    *, ticket: Ticket, municipality: Municipality, now: dt.datetime
) -> Message | None:
    """Once per ticket, when the comune writes an acknowledgement: "le risponderemo entro
    {scadenza}", the ticket's own deadline in words. Call in the pipeline's transaction."""
    if not municipality.acknowledgement_text or not ticket.subscriber.number:
        return None
    if (
        Message.objects.filter(ticket=ticket, origin=MessageOrigin.AUTOMATIC)
        .filter(outbound__purpose=PURPOSE_ACKNOWLEDGEMENT)
        .exists()
    ):
        return None
    calendar = municipality_calendar(municipality)
    text = render_text(
        municipality.acknowledgement_text,
        scadenza=calendar.describe_day(ticket.due_at),
        giorni=municipality.answer_deadline_working_days,
    )
    return ticket_send_automatic(ticket=ticket, text=text, purpose=PURPOSE_ACKNOWLEDGEMENT, now=now)
