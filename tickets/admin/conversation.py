"""The conversation page: the chat as bubbles, and every action an operator or a service takes on
a ticket. Reads go through selectors, writes through services; the page runs a fixed number of
queries however long the chat is."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.forms import ModelChoiceField
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from urp_portal.audit.services import audit_record
from urp_portal.audit.states import AuditAction
from urp_portal.core.admin import user_errors
from urp_portal.municipality.errors import NoActiveMunicipality
from urp_portal.municipality.selectors import municipality_get_active

from .. import services
from ..forms import (
    AssignForm,
    CategoryForm,
    ForwardForm,
    NoteForm,
    ReplyForm,
    ServiceAnswerForm,
)
from ..live import console_cursor, conversation_signature
from ..live_presence import conversation_colleagues
from ..models import CannedAnswer, Forward, Ticket, TicketEvent
from ..selectors import (
    forward_for_user,
    reply_window_closes_at,
    reply_window_is_open,
    ticket_get_for,
    ticket_is_late,
    ticket_messages_visible,
    user_is_urp,
)
from ..states import MessageOrigin

# The chat's rows and bubbles lived here before they had a module of their own.
from .chat import _TICKS as _TICKS
from .chat import ChatRow as ChatRow
from .chat import _bubble_html as _bubble_html
from .chat import _media_kind as _media_kind
from .chat import _who as _who
from .chat import chat_rows
from .conversation_actions import CONVERSATION_ACTIONS, Posted
from .live import ticket_next_for

# The chat shows the latest messages; older ones are rare in a URP conversation and a fixed cap
# keeps the page's cost fixed.
CHAT_LIMIT = 300


class ConversationView:
    """Bound to the TicketAdmin; `__call__` is the admin view."""

    template = "admin/tickets/ticket/conversation.html"
    live_template = "admin/tickets/ticket/conversation_live.html"

    def __init__(self, model_admin: Any) -> None:
        self.model_admin = model_admin

    def __call__(self, request: HttpRequest, ticket_id: int) -> HttpResponse:
        if not self.model_admin.has_view_permission(request):
            raise Http404()
        ticket = ticket_get_for(user=request.user, ticket_id=ticket_id)
        if ticket is None:
            raise Http404(_("Richiesta non trovata."))
        if request.method == "GET" and request.GET.get("live") == "1":
            # The page's own live refresh: its live parts alone (conversation_live.html).
            return TemplateResponse(
                request, self.live_template, self._live_parts(request, ticket, timezone.now())
            )
        try:
            municipality = municipality_get_active()
        except NoActiveMunicipality:
            municipality = None
        forms: dict[str, Any] = {}
        if request.method == "POST":
            response = self._post(request, ticket, municipality, forms)
            if response is not None:
                return response
        else:
            # Who read a citizen's conversation (the actions are traced by the services); the
            # page's own live refreshes are the same reading, not a new one.
            audit_record(
                actor=request.user,
                action=AuditAction.CONVERSATION_VIEWED,
                target=ticket,
                request=request,
            )
        return self._render(request, ticket, municipality, forms)

    # --- actions --------------------------------------------------------------------------------
    def _post(self, request, ticket: Ticket, municipality, forms) -> HttpResponse | None:
        name = request.POST.get("op", "")
        action = CONVERSATION_ACTIONS.get(name)
        if action is None:
            messages.error(request, _("Azione sconosciuta."))
            return None
        posted = Posted(request=request, ticket=ticket, municipality=municipality)
        with user_errors(request) as attempt:
            form = None
            if action.form is not None:
                form = forms[name] = action.form(posted)
                if not form.is_valid():
                    return None
            try:
                done = action.perform(posted, form)
            except services.ReplyCollision as collision:
                # The page comes back with the reply as written, what arrived in the chat, and
                # the question: the same form posted again with the newer mark sends it.
                forms["collision"] = collision
                return None
        if attempt.failed:
            return None
        messages.success(request, done)
        if name == "resolve":
            # Fewer clicks: straight on to the next conversation to work on.
            following = ticket_next_for(user=request.user, after=ticket.pk)
            if following is None:
                return redirect("admin:tickets_ticket_changelist")
            return redirect("admin:tickets_ticket_conversation", ticket_id=following)
        return redirect(request.path)

    # --- page -----------------------------------------------------------------------------------
    def _live_parts(self, request, ticket: Ticket, now) -> dict[str, Any]:
        """What the live parts show (head, chat, forwards, history: the templates under
        live_parts/), drawn on the page and alone for its live refresh. The live refresh runs
        each time the conversation changes, for every console that has it open: the page around
        the parts (the admin's frame, the forms, the canned answers, the suggested services)
        was two thirds of its cost and is never swapped (tickets/live.js, swapConversation)."""
        user = request.user
        is_urp = user_is_urp(user)
        chat = list(
            ticket_messages_visible(ticket=ticket)
            .select_related("inbound", "outbound", "author")
            .order_by("-at", "-pk")[:CHAT_LIMIT]
        )
        chat.reverse()
        citizen_ids = [m.pk for m in chat if m.origin == MessageOrigin.CITIZEN]
        if citizen_ids and (is_urp or forward_for_user(user=user, ticket=ticket) is not None):
            services.ticket_mark_seen(ticket=ticket, seen_up_to=max(citizen_ids))
        last_message = max((m.pk for m in chat), default=0)
        events = list(
            TicketEvent.objects.filter(ticket=ticket).select_related("actor").order_by("at", "pk")
        )
        forwards = list(
            Forward.objects.filter(ticket=ticket)
            .select_related("service", "by", "answered_by")
            .order_by("at")
        )
        window_open = reply_window_is_open(ticket=ticket, now=now)
        return {
            "title": _("Richiesta %(number)s") % {"number": ticket.number},
            "ticket": ticket,
            "rows": chat_rows(chat),
            "events": events,
            "forwards": forwards,
            "is_urp": is_urp,
            "is_late": ticket_is_late(ticket, now),
            "due_today": timezone.localdate(ticket.due_at) == timezone.localdate(now),
            "window_open": window_open,
            "window_closes_at": reply_window_closes_at(ticket=ticket),
            "finished": ticket.state in ("resolved", "closed"),
            # The delivery ticks' signature, which the live poll compares.
            "signature": conversation_signature(ticket=ticket),
            "last_message": last_message,
        }

    def _render(self, request, ticket: Ticket, municipality, forms) -> HttpResponse:
        user = request.user
        now = timezone.now()
        context: dict[str, Any] = {
            **self.model_admin.admin_site.each_context(request),
            "opts": Ticket._meta,
            "is_nav_sidebar_enabled": False,
            **self._live_parts(request, ticket, now),
            # The live updates (tickets/live.py): where they start, and who else is here.
            "live_cursor": console_cursor(),
            "colleagues": conversation_colleagues(ticket=ticket, user=user, now=now),
            "collision": forms.get("collision"),
        }
        is_urp, window_open = context["is_urp"], context["window_open"]
        last_message, forwards = context["last_message"], context["forwards"]
        citizen_text = " ".join(row.message.text for row in context["rows"] if row.side == "in")
        if is_urp:
            answers = list(CannedAnswer.objects.filter(is_active=True))
            context["canned_texts"] = {
                str(a.pk): services.canned_answer_render(
                    answer=a, ticket=ticket, municipality=municipality
                )
                for a in answers
            }
            reply = forms.get("reply") or ReplyForm(
                window_open=window_open, seen_message=last_message
            )
            if forms.get("collision") is not None:
                # Posted again as it is, the reply goes: the operator has now seen the news (and
                # is asked again only if something newer still arrives).
                reply = ReplyForm(
                    {**request.POST.dict(), "seen_message": forms["collision"].latest_message},
                    window_open=window_open,
                )
                reply.is_valid()
            canned = reply.fields["canned_answer"]
            assert isinstance(canned, ModelChoiceField)
            # The answers are already loaded for their texts: no second query for the select.
            canned.queryset = CannedAnswer.objects.none()
            canned.choices = [
                ("", canned.empty_label),
                *((a.pk, a.title) for a in answers),
            ]
            suggestions = services.service_suggestions(text=citizen_text)
            forward_initial = {"service": suggestions[0].service.pk} if suggestions else {}
            context.update(
                reply_form=reply,
                note_form=forms.get("note") or NoteForm(),
                assign_form=forms.get("assign")
                or AssignForm(initial={"assignee": ticket.assignee_id}),
                forward_form=forms.get("forward") or ForwardForm(initial=forward_initial),
                category_form=forms.get("category")
                or CategoryForm(
                    initial={"category": ticket.category, "service": ticket.service_id}
                ),
                suggestions=suggestions,
                # A service's answer, ready to be sent on to the citizen (edited first).
                service_answers=[f for f in forwards if f.answer],
            )
        else:
            own_forward = forward_for_user(user=user, ticket=ticket)
            context.update(
                own_forward=own_forward,
                note_form=forms.get("note") or NoteForm(),
                service_answer_form=forms.get("service_answer")
                or ServiceAnswerForm(
                    may_send_directly=bool(
                        municipality and municipality.services_may_reply_directly
                    )
                ),
            )
        return TemplateResponse(request, self.template, context)
