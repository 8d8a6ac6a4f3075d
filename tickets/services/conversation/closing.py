"""A ticket's end: resolved, closed, or closed because it belongs to the comune's official
channels (with the comune's redirect sent to the citizen)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from urp_portal.municipality.models import Municipality
from urp_portal.municipality.selectors import (
    municipality_channels_text,
    render_text,
)

from ...models import Ticket
from ...states import (
    CATEGORY_OF_ELSEWHERE,
    ClosingReason,
    ElsewhereKind,
    TicketState,
)
from ..core import (
    require_not_finished,
    require_urp,
    ticket_lock,
    ticket_move,
)
from .automatic import ticket_send_automatic


@transaction.atomic
def ticket_resolve(*, ticket: Ticket, actor: Any, reason: str = "") -> Ticket:
    from ..survey import survey_send_after_resolution

    require_urp(actor)
    ticket = ticket_lock(ticket=ticket)
    ticket = ticket_move(
        ticket=ticket,
        to_state=TicketState.RESOLVED,
        actor=actor,
        reason=reason or _("Risolta."),
    )
    survey_send_after_resolution(ticket=ticket)
    return ticket


@transaction.atomic
def ticket_close(*, ticket: Ticket, actor: Any, closing_reason: str, reason: str = "") -> Ticket:
    require_urp(actor)
    ticket = ticket_lock(ticket=ticket)
    return ticket_move(
        ticket=ticket,
        to_state=TicketState.CLOSED,
        actor=actor,
        reason=reason,
        fields={"closing_reason": closing_reason},
    )


@transaction.atomic
def ticket_close_official_channel(
    *, ticket: Ticket, actor: Any, municipality: Municipality
) -> Ticket:
    """Close a request WhatsApp does not take here (Ancona's reports, Assemini's access to
    records), sending the comune's redirect to its official channels."""
    require_urp(actor)
    ticket = ticket_lock(ticket=ticket)
    require_not_finished(ticket)
    now = timezone.now()
    if municipality.official_channel_text and ticket.subscriber.number:
        text = render_text(
            municipality.official_channel_text, canali=municipality_channels_text(municipality)
        )
        ticket_send_automatic(ticket=ticket, text=text, purpose="official_channel", now=now)
    fields: dict[str, Any] = {"closing_reason": ClosingReason.OFFICIAL_CHANNEL}
    if ticket.suggested_elsewhere and not ticket.category:
        # The operator followed the rules' suggestion: the figures count it in its category.
        fields["category"] = CATEGORY_OF_ELSEWHERE[ElsewhereKind(ticket.suggested_elsewhere)]
    if ticket.first_response_at is None:
        # The redirect is the comune's answer: it counts as the first response.
        fields["first_response_at"] = now
    return ticket_move(
        ticket=ticket,
        to_state=TicketState.CLOSED,
        actor=actor,
        at=now,
        reason=_("Va presentata sui canali ufficiali del Comune."),
        fields=fields,
    )
