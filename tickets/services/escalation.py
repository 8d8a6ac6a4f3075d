"""The term kept: a ticket whose deadline passed is escalated, first to its assignee (or the
operators, when nobody has it), then from the next working day to the URP's head as well, again
each working day while it stays late. The warning before the deadline (deadlines.py) stays."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from urp_portal.accounts.roles import GROUP_NAMES, Role
from urp_portal.accounts.selectors import staff_of_current_comune
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.scope import current_comune, owned_by
from urp_portal.municipality.selectors import municipality_calendar

from ..models import Ticket
from ..states import TicketEventKind, TicketState
from .core import event_write

BATCH = 200


def _emails_of(role: Role) -> list[str]:
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=GROUP_NAMES[role])
        .exclude(email="")
    )
    # The staff of the comune whose tickets these are (the task runs in its scope).
    return sorted(set(staff_of_current_comune(users).values_list("email", flat=True)))


def urp_head_recipients(municipality: Municipality) -> list[str]:
    """The URP's head: the address in the configuration, else the administrators."""
    if municipality.urp_head_email:
        return [municipality.urp_head_email]
    return _emails_of(Role.ADMINISTRATOR)


def tickets_escalate_late(*, now: dt.datetime | None = None) -> int:
    """Escalate the late tickets not yet escalated today (working days only). Returns how many.
    Safe to run on several schedulers at once (skip-locked rows) and as often as one likes."""
    now = now or timezone.now()
    # The scope's comune (the task runs once per comune served), else the active one.
    municipality = current_comune() or Municipality.objects.filter(is_active=True).first()
    if municipality is None:
        return 0
    calendar = municipality_calendar(municipality)
    today = timezone.localdate(now)
    if not calendar.is_working_day(today):
        return 0
    start_of_today = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    with transaction.atomic():
        tickets = list(
            Ticket.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("assignee")
            .filter(state__in=TicketState.pending(), due_at__lt=now)
            # The active comune's only: another comune's late tickets are never reported to
            # this one's staff (per comune, with its own calendar, in the tenancy's next phase).
            .filter(owned_by(municipality))
            .exclude(escalated_at__gte=start_of_today)
            .order_by("due_at")[:BATCH]
        )
        if not tickets:
            return 0
        operators = _emails_of(Role.OPERATOR)
        head = urp_head_recipients(municipality)
        mails = []
        for ticket in tickets:
            ticket.escalations += 1
            ticket.escalated_at = now
            ticket.save(update_fields=["escalations", "escalated_at"])
            assignee = [ticket.assignee.email] if ticket.assignee and ticket.assignee.email else []
            recipients = assignee or operators
            if ticket.escalations > 1:
                recipients = sorted(set(recipients) | set(head))
            late_days = _working_days_between(calendar, ticket.due_at, now)
            event_write(
                ticket=ticket,
                kind=TicketEventKind.ESCALATION,
                at=now,
                reason=(
                    _("Scadenza superata: sollecito all'operatore.")
                    if ticket.escalations == 1
                    else _("In ritardo da %(days)d giorni lavorativi: sollecito al responsabile.")
                    % {"days": late_days}
                ),
            )
            if not recipients:
                continue
            local_due = timezone.localtime(ticket.due_at)
            subject = _("Richiesta %(number)s in ritardo (sollecito %(count)d)") % {
                "number": ticket.number,
                "count": ticket.escalations,
            }
            body = _(
                "La richiesta %(number)s doveva avere risposta entro il %(due)s ed è in ritardo "
                "da %(days)d giorni lavorativi.\nAprila nella console dell'URP."
            ) % {"number": ticket.number, "due": f"{local_due:%d/%m/%Y}", "days": late_days}
            mails.append((subject, body, settings.DEFAULT_FROM_EMAIL, recipients))
        if mails:
            transaction.on_commit(lambda: send_mass_mail(mails))
    return len(tickets)


def _working_days_between(calendar, due_at: dt.datetime, now: dt.datetime) -> int:
    """Working days from the deadline's day (excluded) to today (included)."""
    day = timezone.localdate(due_at)
    today = timezone.localdate(now)
    count = 0
    while day < today:
        day += dt.timedelta(days=1)
        count += calendar.is_working_day(day)
    return count
