"""What each button and form of the conversation page does: a table of action -> (the form it
posts, the one service it calls). The page validates the form, calls the service, and shows
what it says or the user's error (core.admin.user_errors)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from urp_portal.municipality.errors import NoActiveMunicipality

from .. import services
from ..forms import (
    AssignForm,
    CategoryForm,
    ForwardForm,
    NoteForm,
    ReplyForm,
    ServiceAnswerForm,
)
from ..models import Forward, Ticket
from ..selectors import forward_for_user, reply_window_is_open


@dataclass(frozen=True)
class Posted:
    """One POST to the page: who, on which ticket, under which comune's configuration."""

    request: HttpRequest
    ticket: Ticket
    municipality: Any

    @property
    def user(self) -> Any:
        return self.request.user

    def own_forward(self) -> Forward:
        """The forward of the service the user answers for (a service's staff only)."""
        forward = forward_for_user(user=self.user, ticket=self.ticket)
        if forward is None or self.municipality is None:
            raise services.TicketNotAllowed()
        return forward


@dataclass(frozen=True)
class Action:
    # The form posted with it, built for this POST; None for a button alone.
    form: Callable[[Posted], Any] | None
    # Calls the service with the valid form (or None) and says what happened.
    perform: Callable[[Posted, Any], str]


def _reply(posted: Posted, form: ReplyForm) -> str:
    data = form.cleaned_data
    text = data.get("text", "")
    if not text and data.get("canned_answer"):
        text = services.canned_answer_render(
            answer=data["canned_answer"], ticket=posted.ticket, municipality=posted.municipality
        )
    services.ticket_reply(
        ticket=posted.ticket,
        actor=posted.user,
        text=text,
        template_name=data.get("template", ""),
        template_parameters=form.parameters(),
        wait_for_citizen=data["wait_for_citizen"],
        # The last message on the writer's screen: news after it asks first (ReplyCollision).
        unseen_after=data.get("seen_message"),
    )
    return _("Risposta in coda di invio.")


def _note(posted: Posted, form: NoteForm) -> str:
    services.ticket_add_note(
        ticket=posted.ticket, actor=posted.user, text=form.cleaned_data["note"]
    )
    return _("Nota aggiunta.")


def _assign_me(posted: Posted, form: None) -> str:
    services.ticket_assign(ticket=posted.ticket, assignee=posted.user, actor=posted.user)
    return _("La richiesta è assegnata a te.")


def _assign(posted: Posted, form: AssignForm) -> str:
    services.ticket_assign(
        ticket=posted.ticket, assignee=form.cleaned_data["assignee"], actor=posted.user
    )
    return _("Assegnazione aggiornata.")


def _forward(posted: Posted, form: ForwardForm) -> str:
    forward = services.ticket_forward(
        ticket=posted.ticket,
        service=form.cleaned_data["service"],
        note=form.cleaned_data["note"],
        actor=posted.user,
        site_url=posted.request.build_absolute_uri("/"),
    )
    return _("Inoltrata a %(service)s.") % {"service": forward.service}


def _category(posted: Posted, form: CategoryForm) -> str:
    services.ticket_set_category(
        ticket=posted.ticket,
        actor=posted.user,
        category=form.cleaned_data["category"],
        service=form.cleaned_data["service"],
    )
    return _("Categoria aggiornata.")


def _resolve(posted: Posted, form: None) -> str:
    services.ticket_resolve(ticket=posted.ticket, actor=posted.user)
    return _("Richiesta risolta.")


def _official_channel(posted: Posted, form: None) -> str:
    if posted.municipality is None:
        raise NoActiveMunicipality()
    services.ticket_close_official_channel(
        ticket=posted.ticket, actor=posted.user, municipality=posted.municipality
    )
    return _("Chiusa: il cittadino è stato indirizzato ai canali ufficiali.")


def _service_answer_form(posted: Posted) -> ServiceAnswerForm:
    posted.own_forward()
    return ServiceAnswerForm(
        posted.request.POST, may_send_directly=posted.municipality.services_may_reply_directly
    )


def _service_answer(posted: Posted, form: ServiceAnswerForm) -> str:
    services.forward_answer(
        forward=posted.own_forward(),
        actor=posted.user,
        text=form.cleaned_data["answer"],
        municipality=posted.municipality,
        send_to_citizen=form.cleaned_data.get("send_to_citizen", False),
    )
    return _("Risposta inviata all'URP.")


# The `op` of the POST -> its action; a form is kept under the same name to show its errors.
CONVERSATION_ACTIONS: dict[str, Action] = {
    "reply": Action(
        lambda posted: ReplyForm(
            posted.request.POST, window_open=reply_window_is_open(ticket=posted.ticket)
        ),
        _reply,
    ),
    "note": Action(lambda posted: NoteForm(posted.request.POST), _note),
    "assign_me": Action(None, _assign_me),
    "assign": Action(lambda posted: AssignForm(posted.request.POST), _assign),
    "forward": Action(lambda posted: ForwardForm(posted.request.POST), _forward),
    "category": Action(lambda posted: CategoryForm(posted.request.POST), _category),
    "resolve": Action(None, _resolve),
    "official_channel": Action(None, _official_channel),
    "service_answer": Action(_service_answer_form, _service_answer),
}
