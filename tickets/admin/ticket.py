"""The inbox: the ticket changelist, new and overdue first, and the conversation page."""

from __future__ import annotations

import datetime as dt
import re

from django.contrib import admin, messages
from django.db.models import Case, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Substr
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from urp_portal.municipality.errors import UserError

from .. import services
from ..models import Ticket
from ..selectors import message_list_visible, ticket_list_for, user_is_urp
from ..states import MessageOrigin, TicketState
from .conversation import ConversationView

_NUMBER = re.compile(r"^#?(\d{1,12})$")


def _day_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


class DeadlineFilter(admin.SimpleListFilter):
    title = gettext_lazy("scadenza")
    parameter_name = "scadenza"

    def lookups(self, request, model_admin):
        return [
            ("late", gettext_lazy("in ritardo")),
            ("today", gettext_lazy("scade oggi")),
            ("later", gettext_lazy("scade più avanti")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        pending = queryset.filter(state__in=TicketState.pending())
        _start, end = _day_bounds(now)
        if self.value() == "late":
            return pending.filter(due_at__lt=now)
        if self.value() == "today":
            return pending.filter(due_at__gte=now, due_at__lt=end)
        if self.value() == "later":
            return pending.filter(due_at__gte=end)
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = gettext_lazy("operatore")
    parameter_name = "operatore"

    def lookups(self, request, model_admin):
        return [("me", gettext_lazy("assegnate a me")), ("none", gettext_lazy("non assegnate"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assignee=request.user)
        if self.value() == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = [
        "number_link",
        "citizen",
        "state_badge",
        "preview",
        "category",
        "service",
        "assignee",
        "due_badge",
        "last_message_at",
    ]
    list_display_links = None
    list_filter = [
        "state",
        DeadlineFilter,
        "service",
        "category",
        AssigneeFilter,
        ("assignee", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = [
        "subscriber__first_name",
        "subscriber__last_name",
        "subscriber__profile_name",
        "subscriber__number",
        "messages__text",
    ]
    search_help_text = gettext_lazy("Numero della richiesta (#123), nome, telefono o testo.")
    list_select_related = ["subscriber", "service", "assignee"]
    list_per_page = 50
    show_full_result_count = False
    actions = ["assign_to_me", "resolve_selected"]
    change_list_template = "admin/tickets/ticket/change_list.html"

    class Media:
        css = {"all": ["tickets/console.css"]}

    # --- scope and order ------------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[Ticket]:
        now = timezone.now()
        first_text = (
            message_list_visible()
            .filter(ticket=OuterRef("pk"), origin=MessageOrigin.CITIZEN)
            .order_by("at", "pk")
            .values("text")[:1]
        )
        return ticket_list_for(user=request.user).annotate(
            # The inbox reads top-down: late first, then new, then the rest at work, then done.
            priority=Case(
                When(state__in=TicketState.pending(), due_at__lt=now, then=Value(0)),
                When(state=TicketState.NEW, then=Value(1)),
                When(state__in=TicketState.finished(), then=Value(3)),
                default=Value(2),
                output_field=IntegerField(),
            ),
            first_text=Substr(Subquery(first_text), 1, 140),
        )

    def get_ordering(self, request):
        return ["priority", "due_at"]

    def get_search_results(self, request, queryset, search_term):
        match = _NUMBER.match(search_term.strip())
        if match:
            return queryset.filter(pk=int(match.group(1))), False
        return super().get_search_results(request, queryset, search_term)

    # --- columns --------------------------------------------------------------------------------
    @admin.display(description=gettext_lazy("n."), ordering="pk")
    def number_link(self, obj: Ticket) -> str:
        url = reverse("admin:tickets_ticket_conversation", args=[obj.pk])
        return format_html('<a class="ticket-number" href="{}">{}</a>', url, obj.number)

    @admin.display(description=gettext_lazy("cittadino"), ordering="subscriber__last_name")
    def citizen(self, obj: Ticket) -> str:
        url = reverse("admin:tickets_ticket_conversation", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, str(obj.subscriber))

    @admin.display(description=gettext_lazy("stato"), ordering="state")
    def state_badge(self, obj: Ticket) -> str:
        return format_html(
            '<span class="badge state-{}">{}</span>', obj.state, obj.get_state_display()
        )

    @admin.display(description=gettext_lazy("messaggio"))
    def preview(self, obj: Ticket) -> str:
        return getattr(obj, "first_text", "") or "—"

    @admin.display(description=gettext_lazy("scadenza"), ordering="due_at")
    def due_badge(self, obj: Ticket) -> str:
        now = timezone.now()
        local = timezone.localtime(obj.due_at)
        label = f"{local:%d/%m %H:%M}"
        if obj.state not in TicketState.pending():
            return format_html('<span class="due">{}</span>', label)
        if obj.due_at < now:
            return format_html('<span class="badge late">{} · {}</span>', _("in ritardo"), label)
        if local.date() == timezone.localdate(now):
            return format_html('<span class="badge today">{} · {}</span>', _("oggi"), label)
        return format_html('<span class="due">{}</span>', label)

    # --- permissions: tickets come from citizens and change only through services -----------------
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not user_is_urp(request.user):
            return {}
        return actions

    # --- pages ----------------------------------------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view(ConversationView(self))
        return [
            path(
                "<int:ticket_id>/conversation/",
                view,
                name="tickets_ticket_conversation",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None) -> HttpResponse:
        # The conversation page is the ticket's page; it checks what the user may see.
        return redirect("admin:tickets_ticket_conversation", ticket_id=int(object_id))

    def changelist_view(self, request, extra_context=None):
        now = timezone.now()
        _start, end = _day_bounds(now)
        pending = ticket_list_for(user=request.user).filter(state__in=TicketState.pending())
        counts = {
            "late": pending.filter(due_at__lt=now).count(),
            "today": pending.filter(due_at__gte=now, due_at__lt=end).count(),
            "new": pending.filter(state=TicketState.NEW).count(),
        }
        context = {"title": _("Richieste dei cittadini"), "inbox": counts, **(extra_context or {})}
        return super().changelist_view(request, context)

    # --- bulk actions ---------------------------------------------------------------------------
    def _bulk(self, request, queryset, call, done_message) -> None:
        done, errors = 0, []
        for ticket in queryset:
            try:
                call(ticket)
                done += 1
            except UserError as error:
                errors.append(f"{ticket.number}: {error.message}")
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)
        for failure in errors:
            self.message_user(request, failure, messages.ERROR)

    @admin.action(description=gettext_lazy("Assegna a me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._bulk(
            request,
            queryset,
            lambda t: services.ticket_assign(ticket=t, assignee=request.user, actor=request.user),
            _("%(count)d richieste assegnate a te."),
        )

    @admin.action(description=gettext_lazy("Segna come risolte"), permissions=["change"])
    def resolve_selected(self, request, queryset):
        self._bulk(
            request,
            queryset,
            lambda t: services.ticket_resolve(ticket=t, actor=request.user),
            _("%(count)d richieste risolte."),
        )
