"""The one door for a ticket's state: lock, check, save the changed fields, write the history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from urp_portal.accounts.principals import actor_account, actor_label
from urp_portal.audit.services import audit_record
from urp_portal.audit.states import AuditAction
from urp_portal.municipality.errors import UserError

from ..models import Ticket, TicketEvent
from ..selectors import user_is_urp
from ..states import TicketEventKind, TicketState, can_transition


class TicketNotAllowed(UserError):
    default_message = gettext_lazy("Non è permesso su questa richiesta.")
    code = "ticket_not_allowed"
    # The API answers it as a refusal, not as invalid input.
    http_status = 403


def ticket_lock(*, ticket: Ticket | int) -> Ticket:
    """The ticket's row, locked until the end of the caller's transaction."""
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    return Ticket.objects.select_for_update().select_related("subscriber").get(pk=pk)


def event_write(
    *,
    ticket: Ticket,
    kind: str,
    actor: Any = None,
    at: dt.datetime | None = None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor_account(actor),
        actor_label=actor_label(actor),
        at=at or timezone.now(),
        from_state=from_state,
        to_state=to_state,
        reason=reason,
    )


def ticket_move(
    *,
    ticket: Ticket,
    to_state: str,
    actor: Any = None,
    reason: str = "",
    at: dt.datetime | None = None,
    fields: dict[str, Any] | None = None,
) -> Ticket:
    """Move a locked ticket to `to_state`, with `fields` saved alongside; refuse a move the
    state machine does not allow."""
    at = at or timezone.now()
    from_state = ticket.state
    if not can_transition(from_state, to_state):
        raise UserError(
            _("Una richiesta «%(from)s» non può passare a «%(to)s».")
            % {"from": TicketState(from_state).label, "to": TicketState(to_state).label},
            code="invalid_transition",
        )
    changed = ["state"]
    ticket.state = to_state
    if to_state == TicketState.RESOLVED:
        ticket.resolved_at = at
        changed.append("resolved_at")
    if to_state == TicketState.CLOSED:
        ticket.closed_at = at
        changed.append("closed_at")
    for name, value in (fields or {}).items():
        setattr(ticket, name, value)
        changed.append(name)
    ticket.save(update_fields=changed)
    event_write(
        ticket=ticket,
        kind=TicketEventKind.STATE,
        actor=actor,
        at=at,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
    )
    if actor is not None:
        # A person's decision (the product's own moves are in the ticket's events only).
        audit_record(
            actor=actor,
            action=AuditAction.STATE_CHANGED,
            target=ticket,
            details={"from": from_state, "to": to_state},
        )
    return ticket


def require_urp(user: Any) -> None:
    if not user_is_urp(user):
        raise TicketNotAllowed(_("Solo gli operatori dell'URP possono farlo."))


def require_not_finished(ticket: Ticket) -> None:
    if ticket.state in TicketState.finished():
        raise UserError(
            _("La richiesta %(number)s è già chiusa.") % {"number": ticket.number},
            code="ticket_finished",
        )
