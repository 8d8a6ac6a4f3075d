"""Forwarding a ticket to the competent municipal service, and the service's answer."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from urp_portal.gateway.services import outbound_message_create
from urp_portal.municipality.errors import UserError
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.selectors import municipality_get_active

from ..models import Forward, Message, MunicipalService, Ticket
from ..selectors import forward_for_user, reply_window_is_open, user_is_urp, user_service_ids
from ..states import MessageOrigin, TicketEventKind, TicketState
from .conversation import ticket_reply
from .core import (
    TicketNotAllowed,
    actor_account,
    actor_label,
    event_write,
    require_not_finished,
    require_urp,
    ticket_lock,
    ticket_move,
)
from .suggestions import service_suggestion_learn, ticket_citizen_text


@transaction.atomic
def ticket_forward(
    *, ticket: Ticket, service: MunicipalService, note: str, actor: Any, site_url: str
) -> Forward:
    """Send the ticket to `service`: its staff get an email with a link and, from now on, see this
    ticket (and only the tickets forwarded to them)."""
    require_urp(actor)
    if not service.is_active:
        raise UserError(_("Il servizio %(service)s non è attivo.") % {"service": service})
    ticket = ticket_lock(ticket=ticket)
    require_not_finished(ticket)
    now = timezone.now()
    forward = Forward.objects.create(
        ticket=ticket,
        service=service,
        note=note.strip(),
        by=actor_account(actor),
        at=now,
        token=secrets.token_urlsafe(32),
    )
    reason = _("Inoltrata a %(service)s.") % {"service": service.name}
    if forward.note:
        reason = f"{reason} {forward.note}"
    Message.objects.create(
        ticket=ticket,
        origin=MessageOrigin.NOTE,
        text=reason,
        author=actor_account(actor),
        author_label=actor_label(actor),
        at=now,
    )
    ticket_move(
        ticket=ticket,
        to_state=TicketState.FORWARDED,
        actor=actor,
        at=now,
        reason=reason,
        fields={"service": service},
    )
    service_suggestion_learn(ticket=ticket, service=service)
    forward_id = forward.pk
    transaction.on_commit(lambda: _enqueue_forward_email(forward_id, site_url))
    return forward


def _enqueue_forward_email(forward_id: int, site_url: str) -> None:
    from ..tasks import forward_email_send

    forward_email_send.delay(forward_id, site_url)


def forward_link(*, forward: Forward, site_url: str) -> str:
    return site_url.rstrip("/") + reverse("tickets:forward_link", args=[forward.token])


def forward_email_send_now(*, forward_id: int, site_url: str) -> int:
    """Email the service about a forward: its address and its staff's. Returns how many got it."""
    forward = Forward.objects.select_related("service", "ticket").get(pk=forward_id)
    service = forward.service
    recipients = sorted(
        {service.email}
        | set(service.staff.exclude(email="").values_list("email", flat=True)) - {""}
    )
    if not recipients:
        return 0
    excerpt = ticket_citizen_text(ticket=forward.ticket)[:500]
    body = _(
        "L'URP ha inoltrato al servizio %(service)s la richiesta %(number)s.\n\n"
        "Nota dell'URP:\n%(note)s\n\n"
        "Messaggio del cittadino:\n%(excerpt)s\n\n"
        "Per leggerla e rispondere (serve l'accesso con le sue credenziali):\n%(link)s\n"
    ) % {
        "service": service.name,
        "number": forward.ticket.number,
        "note": forward.note or "—",
        "excerpt": excerpt or "—",
        "link": forward_link(forward=forward, site_url=site_url),
    }
    subject = _("Richiesta %(number)s inoltrata dall'URP") % {"number": forward.ticket.number}
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def user_may_answer_forward(*, user: Any, forward: Forward) -> bool:
    return user_is_urp(user) or forward.service_id in user_service_ids(user)


@transaction.atomic
def forward_answer(
    *,
    forward: Forward,
    actor: Any,
    text: str,
    municipality: Municipality,
    send_to_citizen: bool = False,
) -> Forward:
    """The service's answer comes back to the URP; where the comune allows it, the service may
    send it straight to the citizen."""
    text = text.strip()
    if not text:
        raise UserError(_("La risposta è vuota."))
    forward = Forward.objects.select_for_update().select_related("service").get(pk=forward.pk)
    if not user_may_answer_forward(user=actor, forward=forward):
        raise TicketNotAllowed()
    ticket = ticket_lock(ticket=forward.ticket_id)
    require_not_finished(ticket)
    now = timezone.now()
    forward.answer = text
    forward.answered_by = actor_account(actor)
    forward.answered_at = now
    forward.save(update_fields=["answer", "answered_by", "answered_at"])
    outbound = None
    fields: dict[str, Any] = {"last_message_at": now}
    if send_to_citizen:
        if not municipality.services_may_reply_directly:
            raise UserError(_("Il Comune non consente ai servizi di rispondere direttamente."))
        if not ticket.subscriber.number or not reply_window_is_open(ticket=ticket, now=now):
            raise UserError(
                _("Sono passate più di 24 ore dall'ultimo messaggio: risponderà l'URP."),
                code="window_closed",
            )
        from .conversation import ticket_inform_with_first_reply

        ticket_inform_with_first_reply(ticket=ticket, now=now)
        outbound = outbound_message_create(
            to=ticket.subscriber.number, purpose="service_reply", text=text
        )
        if ticket.first_response_at is None:
            fields["first_response_at"] = now
    Message.objects.create(
        ticket=ticket,
        origin=MessageOrigin.SERVICE,
        text=text,
        author=actor_account(actor),
        author_label=actor_label(actor),
        outbound=outbound,
        at=now,
    )
    reason = _("Risposta di %(service)s%(direct)s.") % {
        "service": forward.service.name,
        "direct": _(", inviata al cittadino") if outbound else "",
    }
    if ticket.state == TicketState.FORWARDED:
        ticket_move(
            ticket=ticket,
            to_state=TicketState.ANSWERED_BY_SERVICE,
            actor=actor,
            at=now,
            reason=reason,
            fields=fields,
        )
    else:
        for name, value in fields.items():
            setattr(ticket, name, value)
        ticket.save(update_fields=list(fields))
        event_write(
            ticket=ticket, kind=TicketEventKind.SERVICE_ANSWER, actor=actor, at=now, reason=reason
        )
    return forward


def ticket_respond(
    *,
    ticket: Ticket,
    actor: Any,
    text: str = "",
    template_name: str = "",
    template_parameters: Sequence[str] = (),
) -> None:
    """An answer on a ticket, routed by who gives it: the URP's goes to the citizen
    (ticket_reply); a municipal service's goes back to the URP as the answer to the ticket's
    latest forward to that service (forward_answer), which the URP then reads and sends on."""
    if user_is_urp(actor):
        ticket_reply(
            ticket=ticket,
            actor=actor,
            text=text,
            template_name=template_name,
            template_parameters=template_parameters,
        )
        return
    forward = forward_for_user(user=actor, ticket=ticket)
    if forward is None:
        raise TicketNotAllowed()
    if template_name:
        raise UserError(
            _("Un servizio comunale risponde all'URP con un testo, non con un modello."),
            code="service_answers_with_text",
        )
    forward_answer(forward=forward, actor=actor, text=text, municipality=municipality_get_active())
