"""The conversation page: the chat as bubbles, and every action an operator or a service takes on
a ticket. Reads go through selectors, writes through services; the page runs a fixed number of
queries however long the chat is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.forms import ModelChoiceField
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import linebreaksbr
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from urp_portal.audit.services import audit_record
from urp_portal.audit.states import AuditAction
from urp_portal.gateway.states import MessageKind, OutboundState
from urp_portal.municipality.errors import NoActiveMunicipality, UserError
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
from ..live import console_cursor, conversation_colleagues, conversation_signature
from ..models import CannedAnswer, Forward, Message, Ticket, TicketEvent
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
from .live import ticket_next_for

# The chat shows the latest messages; older ones are rare in a URP conversation and a fixed cap
# keeps the page's cost fixed.
CHAT_LIMIT = 300

_TICKS: dict[str, tuple[str, str]] = {
    # Plain symbols every system font has: an emoji clock shows as an empty box on many desks.
    OutboundState.QUEUED: ("◷", "queued"),
    OutboundState.SENDING: ("◷", "queued"),
    OutboundState.SENT: ("✓", "sent"),
    OutboundState.DELIVERED: ("✓✓", "delivered"),
    OutboundState.READ: ("✓✓", "read"),
    OutboundState.FAILED: ("⚠", "failed"),
    OutboundState.CANCELLED: ("✕", "failed"),
}


@dataclass
class ChatRow:
    """One bubble of the chat: the page draws up to 300 of them."""

    message: Message
    side: str  # "in", "out" or "note"
    who: str = ""
    media: str = ""  # "image", "audio", "video", "file"
    media_url: str = ""
    media_name: str = ""
    media_pending: str = ""
    ticks: str = ""
    tick_class: str = ""
    tick_title: str = ""

    @property
    def html(self) -> SafeString:
        return _bubble_html(self)


def _media_kind(message: Message) -> str:
    inbound = message.inbound
    if inbound is None or not inbound.media_file:
        return ""
    mime = inbound.media_mime_type or ""
    if message.kind in (MessageKind.IMAGE, MessageKind.STICKER) or mime.startswith("image/"):
        return "image"
    if message.kind in (MessageKind.AUDIO, MessageKind.VOICE) or mime.startswith("audio/"):
        return "audio"
    if message.kind == MessageKind.VIDEO or mime.startswith("video/"):
        return "video"
    return "file"


def _who(message: Message) -> str:
    if message.author is not None:
        name = message.author.get_full_name() or message.author.get_username()
    else:
        name = message.author_label
    origin = message.get_origin_display()
    return f"{origin} · {name}" if name else str(origin)


def chat_rows(chat: list[Message]) -> list[ChatRow]:
    rows = []
    for message in chat:
        row = ChatRow(message, "in")
        if message.origin == MessageOrigin.CITIZEN:
            row.media = _media_kind(message)
            inbound = message.inbound
            if row.media:
                row.media_url = reverse("tickets:media", args=[message.pk])
                row.media_name = (inbound.media_filename if inbound else "") or _("documento")
            elif inbound is not None and inbound.media_id and not inbound.media_file:
                row.media_pending = f"{message.get_kind_display()} · {_('in scaricamento…')}"
        elif message.outbound_id is None:
            row.side, row.who = "note", _who(message)
        else:
            row.side, row.who = "out", _who(message)
            outbound = message.outbound
            assert outbound is not None
            row.ticks, row.tick_class = _TICKS.get(outbound.state, ("", ""))
            row.tick_title = outbound.get_state_display()
            if outbound.error_code:
                row.tick_title += f" ({outbound.error_code} {outbound.error_message})"
        rows.append(row)
    return rows


def _bubble_html(row: ChatRow) -> SafeString:
    """The bubble's markup, built here rather than in the template: format_html draws 300
    bubbles in a few milliseconds where the template language took a hundred."""
    message = row.message
    at = timezone.localtime(message.at)
    parts: list[SafeString] = []
    if row.who:
        parts.append(format_html('<div class="who">{}</div>', row.who))
    if row.media == "image":
        parts.append(
            format_html(
                '<a href="{0}" target="_blank" rel="noopener"><img src="{0}" alt="{1}" '
                'loading="lazy"></a>',
                row.media_url,
                _("foto del cittadino"),
            )
        )
    elif row.media in ("audio", "video"):
        parts.append(
            format_html(
                '<{0} controls preload="metadata" src="{1}"></{0}>', row.media, row.media_url
            )
        )
    elif row.media == "file":
        parts.append(
            format_html(
                '<a class="file" href="{}">{} {}</a>', row.media_url, _("Allegato:"), row.media_name
            )
        )
    elif row.media_pending:
        parts.append(format_html('<p class="pending-media">{}</p>', row.media_pending))
    if message.moderation_note:
        parts.append(
            format_html(
                '<div class="moderation-flag"><span class="badge today" title="{}">⚑ {}</span> '
                "<small>{}</small></div>",
                message.moderation_note,
                _("segnalato"),
                linebreaksbr(message.moderation_note, autoescape=True),
            )
        )
    if message.template_name:
        parts.append(
            format_html('<div class="template">{} «{}»</div>', _("modello"), message.template_name)
        )
    if message.text:
        parts.append(
            format_html('<p class="text">{}</p>', linebreaksbr(message.text, autoescape=True))
        )
    ticks = (
        format_html(
            ' <span class="ticks {}" title="{}">{}</span>',
            row.tick_class,
            row.tick_title,
            row.ticks,
        )
        if row.ticks
        else ""
    )
    return format_html(
        '<article class="bubble {} origin-{}" id="m{}">{}'
        '<footer><time datetime="{}">{}</time>{}</footer></article>',
        row.side,
        message.origin,
        str(message.pk),
        mark_safe("".join(parts)),  # noqa: S308 (each part escaped by format_html above)
        at.isoformat(),
        # "23 nov 14:05", without the date filter (a format string parsed per call).
        f"{at.day} {MONTHS_3[at.month]} {at:%H:%M}",
        ticks,
    )


class ConversationView:
    """Bound to the TicketAdmin; `__call__` is the admin view."""

    template = "admin/tickets/ticket/conversation.html"

    def __init__(self, model_admin: Any) -> None:
        self.model_admin = model_admin

    def __call__(self, request: HttpRequest, ticket_id: int) -> HttpResponse:
        if not self.model_admin.has_view_permission(request):
            raise Http404()
        ticket = ticket_get_for(user=request.user, ticket_id=ticket_id)
        if ticket is None:
            raise Http404(_("Richiesta non trovata."))
        try:
            municipality = municipality_get_active()
        except NoActiveMunicipality:
            municipality = None
        forms: dict[str, Any] = {}
        if request.method == "POST":
            response = self._post(request, ticket, municipality, forms)
            if response is not None:
                return response
        elif request.GET.get("live") != "1":
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
        action = request.POST.get("op", "")
        user = request.user
        window_open = reply_window_is_open(ticket=ticket)
        form: Any
        try:
            if action == "reply":
                form = ReplyForm(request.POST, window_open=window_open)
                forms["reply"] = form
                if not form.is_valid():
                    return None
                data = form.cleaned_data
                text = data.get("text", "")
                if not text and data.get("canned_answer"):
                    text = services.canned_answer_render(
                        answer=data["canned_answer"], ticket=ticket, municipality=municipality
                    )
                seen = data.get("seen_message")
                try:
                    services.ticket_reply(
                        ticket=ticket,
                        author=user,
                        text=text,
                        template_name=data.get("template", ""),
                        template_parameters=form.parameters(),
                        wait_for_citizen=data["wait_for_citizen"],
                        unseen_after=seen,
                    )
                except services.ReplyCollision as collision:
                    # The page comes back with the reply as written, what arrived in the chat,
                    # and the question: the same form posted again with send_anyway sends it.
                    forms["collision"] = collision
                    return None
                done = _("Risposta in coda di invio.")
            elif action == "note":
                form = NoteForm(request.POST)
                forms["note"] = form
                if not form.is_valid():
                    return None
                services.ticket_add_note(ticket=ticket, author=user, text=form.cleaned_data["note"])
                done = _("Nota aggiunta.")
            elif action == "assign_me":
                services.ticket_assign(ticket=ticket, assignee=user, actor=user)
                done = _("La richiesta è assegnata a te.")
            elif action == "assign":
                form = AssignForm(request.POST)
                forms["assign"] = form
                if not form.is_valid():
                    return None
                services.ticket_assign(
                    ticket=ticket, assignee=form.cleaned_data["assignee"], actor=user
                )
                done = _("Assegnazione aggiornata.")
            elif action == "forward":
                form = ForwardForm(request.POST)
                forms["forward"] = form
                if not form.is_valid():
                    return None
                forward = services.ticket_forward(
                    ticket=ticket,
                    service=form.cleaned_data["service"],
                    note=form.cleaned_data["note"],
                    actor=user,
                    site_url=request.build_absolute_uri("/"),
                )
                done = _("Inoltrata a %(service)s.") % {"service": forward.service}
            elif action == "category":
                form = CategoryForm(request.POST)
                forms["category"] = form
                if not form.is_valid():
                    return None
                services.ticket_set_category(
                    ticket=ticket,
                    actor=user,
                    category=form.cleaned_data["category"],
                    service=form.cleaned_data["service"],
                )
                done = _("Categoria aggiornata.")
            elif action == "resolve":
                services.ticket_resolve(ticket=ticket, actor=user)
                messages.success(request, _("Richiesta risolta."))
                # Fewer clicks: straight on to the next conversation to work on.
                following = ticket_next_for(user=user, after=ticket.pk)
                if following is None:
                    return redirect("admin:tickets_ticket_changelist")
                return redirect("admin:tickets_ticket_conversation", ticket_id=following)
            elif action == "official_channel":
                if municipality is None:
                    raise NoActiveMunicipality()
                services.ticket_close_official_channel(
                    ticket=ticket, actor=user, municipality=municipality
                )
                done = _("Chiusa: il cittadino è stato indirizzato ai canali ufficiali.")
            elif action == "service_answer":
                own_forward = forward_for_user(user=user, ticket=ticket)
                if own_forward is None or municipality is None:
                    raise services.TicketNotAllowed()
                form = ServiceAnswerForm(
                    request.POST, may_send_directly=municipality.services_may_reply_directly
                )
                forms["service_answer"] = form
                if not form.is_valid():
                    return None
                services.forward_answer(
                    forward=own_forward,
                    author=user,
                    text=form.cleaned_data["answer"],
                    municipality=municipality,
                    send_to_citizen=form.cleaned_data.get("send_to_citizen", False),
                )
                done = _("Risposta inviata all'URP.")
            else:
                messages.error(request, _("Azione sconosciuta."))
                return None
        except UserError as error:
            messages.error(request, str(error.message))
            return None
        messages.success(request, done)
        return redirect(request.path)

    # --- page -----------------------------------------------------------------------------------
    def _render(self, request, ticket: Ticket, municipality, forms) -> HttpResponse:
        user = request.user
        is_urp = user_is_urp(user)
        now = timezone.now()
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
        context: dict[str, Any] = {
            **self.model_admin.admin_site.each_context(request),
            "opts": Ticket._meta,
            "title": _("Richiesta %(number)s") % {"number": ticket.number},
            "is_nav_sidebar_enabled": False,
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
            # The live updates (tickets/live.py): where they start, and who else is here.
            "live_cursor": console_cursor(),
            "colleagues": conversation_colleagues(ticket=ticket, user=user, now=now),
            "signature": conversation_signature(ticket=ticket),
            "last_message": last_message,
            "collision": forms.get("collision"),
        }
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
