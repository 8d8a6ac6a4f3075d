"""Who handles a ticket and what it is about: assigning it to an operator, setting its category."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Ticket
from ..states import TicketEventKind, TicketState
from .core import (
    event_write,
    require_not_finished,
    require_urp,
    ticket_lock,
    ticket_move,
)


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee: Any, actor: Any) -> Ticket:
    """Give the ticket to an operator (oneself or a colleague); a new ticket becomes open."""
    require_urp(actor)
    if assignee is not None:
        require_urp(assignee)
    ticket = ticket_lock(ticket=ticket)
    require_not_finished(ticket)
    now = timezone.now()
    previous = ticket.assignee
    if ticket.assignee_id == getattr(assignee, "pk", None):
        return ticket
    ticket.assignee = assignee
    if assignee is None:
        reason = _("Tolta a %(user)s.") % {"user": previous}
    else:
        reason = _("Assegnata a %(user)s.") % {"user": assignee.get_full_name() or assignee}
    event_write(ticket=ticket, kind=TicketEventKind.ASSIGNED, actor=actor, at=now, reason=reason)
    if ticket.state == TicketState.NEW and assignee is not None:
        return ticket_move(
            ticket=ticket,
            to_state=TicketState.OPEN,
            actor=actor,
            at=now,
            fields={"assignee": assignee},
            reason=reason,
        )
    ticket.save(update_fields=["assignee"])
    return ticket


@transaction.atomic
def ticket_set_category(
    *, ticket: Ticket, actor: Any, category: str, service: Any = None
) -> Ticket:
    require_urp(actor)
    ticket = ticket_lock(ticket=ticket)
    changed = []
    if ticket.category != category:
        ticket.category = category
        changed.append("category")
    if ticket.service_id != getattr(service, "pk", None):
        ticket.service = service
        changed.append("service")
    if changed:
        ticket.save(update_fields=changed)
        event_write(
            ticket=ticket,
            kind=TicketEventKind.CATEGORY,
            actor=actor,
            reason=_("Categoria: %(category)s; servizio: %(service)s.")
            % {
                "category": ticket.get_category_display() or "—",
                "service": service or "—",
            },
        )
    return ticket
