"""Requests that belong to another channel: per the comune's setting the citizen gets the
official-channel text at once and the ticket closes (Assemini's access to records, Ancona's
reports), or the operator sees a suggestion and redirects with one click."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from urp_portal.gateway.models import InboundMessage
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.selectors import municipality_channels_text, render_text
from urp_portal.municipality.states import ElsewhereHandling

from ..elsewhere.classifier import ElsewhereClassifier, Rule, classifier_from_rules
from ..models import ElsewhereRule, Ticket
from ..states import (
    CATEGORY_OF_ELSEWHERE,
    ClosingReason,
    ElsewhereKind,
    TicketEventKind,
    TicketState,
)
from .conversation import ticket_send_automatic
from .core import event_write, ticket_move

PURPOSE_OFFICIAL_CHANNEL = "official_channel"


def elsewhere_classifier() -> ElsewhereClassifier:
    """The administrator's active rules (a few hundred rows, read per message: an edit applies
    to the next message, on every worker)."""
    rules = ElsewhereRule.objects.filter(is_active=True).values_list(
        "kind", "phrase", "is_exception"
    )
    return classifier_from_rules(Rule(kind=k, phrase=p, is_exception=e) for k, p, e in rules)


def elsewhere_handling(municipality: Municipality, kind: str) -> str:
    if kind == ElsewhereKind.REPORT:
        return municipality.reports_handling
    return municipality.records_access_handling


def ticket_handle_elsewhere(
    *,
    ticket: Ticket,
    message: InboundMessage,
    municipality: Municipality,
    opened_by_message: bool,
    now: dt.datetime,
) -> bool:
    """Read the citizen's message with the rules; redirect (True: the ticket is closed) or
    suggest. A conversation already under way is never closed by a rule: the operator decides.
    Call on the locked ticket inside the pipeline's transaction."""
    if ticket.state in TicketState.finished():
        return False
    kind = elsewhere_classifier().classify(message.text)
    if kind is None:
        return False
    handling = elsewhere_handling(municipality, kind)
    if handling == ElsewhereHandling.ACCEPTED:
        return False
    label = ElsewhereKind(kind).label
    if handling == ElsewhereHandling.REDIRECT and opened_by_message:
        text = render_text(
            municipality.official_channel_text
            or _(
                "Questa richiesta va presentata attraverso i canali ufficiali del Comune: {canali}."
            ),
            canali=municipality_channels_text(municipality),
        )
        ticket_send_automatic(ticket=ticket, text=text, purpose=PURPOSE_OFFICIAL_CHANNEL, now=now)
        event_write(
            ticket=ticket,
            kind=TicketEventKind.ELSEWHERE,
            at=now,
            reason=_("Riconosciuta come «%(kind)s»: rinvio automatico ai canali ufficiali.")
            % {"kind": label},
        )
        ticket_move(
            ticket=ticket,
            to_state=TicketState.CLOSED,
            at=now,
            reason=_("Va presentata sui canali ufficiali del Comune."),
            fields={
                "closing_reason": ClosingReason.OFFICIAL_CHANNEL,
                "category": CATEGORY_OF_ELSEWHERE[ElsewhereKind(kind)],
                "suggested_elsewhere": kind,
                # The redirect is the comune's answer: it counts as the first response.
                "first_response_at": ticket.first_response_at or now,
            },
        )
        return True
    if ticket.suggested_elsewhere != kind:
        ticket.suggested_elsewhere = kind
        ticket.save(update_fields=["suggested_elsewhere"])
        event_write(
            ticket=ticket,
            kind=TicketEventKind.ELSEWHERE,
            at=now,
            reason=_("Sembra una richiesta «%(kind)s»: suggerito il rinvio ai canali ufficiali.")
            % {"kind": label},
        )
    return False
