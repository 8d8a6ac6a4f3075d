"""Warning the operators before a ticket's answer deadline is missed."""

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

from ..models import Ticket, TicketEvent
from ..states import TicketEventKind, TicketState

# Warn a day ahead: deadlines fall at the end of a working day, so the operators read the
# warning on the morning of that day at the latest.
WARN_AHEAD = dt.timedelta(hours=24)
BATCH = 200


def _operator_emails() -> list[str]:
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=GROUP_NAMES[Role.OPERATOR])
        .exclude(email="")
    )
    # The staff of the comune whose tickets these are (the task runs in its scope).
    return sorted(set(staff_of_current_comune(users).values_list("email", flat=True)))


def tickets_warn_deadlines(*, now: dt.datetime | None = None) -> int:
    """Mark and email the pending tickets whose deadline is near or past; each ticket once.
    Returns how many were warned. Safe to run on several schedulers at once."""
    now = now or timezone.now()
    with transaction.atomic():
        tickets = list(
            Ticket.objects.select_for_update(skip_locked=True)
            .filter(
                state__in=TicketState.pending(),
                deadline_warned_at__isnull=True,
                due_at__lte=now + WARN_AHEAD,
            )
            .order_by("due_at")[:BATCH]
        )
        if not tickets:
            return 0
        ids = [t.pk for t in tickets]
        Ticket.objects.filter(pk__in=ids).update(deadline_warned_at=now)
        TicketEvent.objects.bulk_create(
            TicketEvent(
                ticket_id=pk,
                kind=TicketEventKind.DEADLINE_WARNING,
                at=now,
                reason=_("Avviso di scadenza inviato agli operatori."),
            )
            for pk in ids
        )
        assignees = dict(
            Ticket.objects.filter(pk__in=ids)
            .exclude(assignee__email="")
            .exclude(assignee__isnull=True)
            .values_list("pk", "assignee__email")
        )
        everyone = _operator_emails()
        mails = []
        for ticket in tickets:
            recipients = [assignees[ticket.pk]] if ticket.pk in assignees else everyone
            if not recipients:
                continue
            late = ticket.due_at < now
            subject = (
                _("Richiesta %(number)s in ritardo")
                if late
                else _("Richiesta %(number)s in scadenza")
            ) % {"number": ticket.number}
            local_due = timezone.localtime(ticket.due_at)
            body = _(
                "La richiesta %(number)s deve avere risposta entro il %(due)s.\n"
                "Aprila nella console dell'URP."
            ) % {"number": ticket.number, "due": f"{local_due:%d/%m/%Y %H:%M}"}
            mails.append((subject, body, settings.DEFAULT_FROM_EMAIL, recipients))
        if mails:
            transaction.on_commit(lambda: send_mass_mail(mails))
    return len(tickets)
