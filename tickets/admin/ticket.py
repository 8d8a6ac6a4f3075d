"""The inbox: the ticket changelist, new and overdue first, and the conversation page."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from urp_portal.core.admin import user_errors
from urp_portal.gateway.states import MessageKind
from urp_portal.municipality.admin_scope import OtherComunesRowsNotFound

from .. import services
from ..forms import urp_users
from ..live import console_cursor
from ..models import Ticket
from ..selectors import ticket_list_for, ticket_list_search, user_is_urp
from ..states import TicketCategory, TicketState
from .changelist import ROW_RELATIONS, InboxChangeList, InboxPaginator
from .conversation import ConversationView
from .inbox_order import inbox_ordering
from .live import LiveView, NextTicketView


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
        # The URP's people, read from the users' table: listing "whoever has a ticket" would be a
        # DISTINCT over the whole inbox on every page.
        colleagues = [
            (str(user.pk), user.get_full_name() or user.get_username())
            for user in urp_users().exclude(pk=request.user.pk)
        ]
        return [
            ("me", gettext_lazy("assegnate a me")),
            ("none", gettext_lazy("non assegnate")),
            *colleagues,
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(assignee=request.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value and value.isdigit():
            return queryset.filter(assignee_id=int(value))
        return queryset


@admin.register(Ticket)
class TicketAdmin(OtherComunesRowsNotFound, admin.ModelAdmin):
    list_display = [
        "number_link",
        "citizen",
        "state_badge",
        "preview",
        "service_and_category",
        "assignee_name",
        "due_badge",
        "last_message",
    ]
    list_display_links = None
    list_filter = [
        "state",
        DeadlineFilter,
        "service",
        "category",
        AssigneeFilter,
    ]
    # What the search looks at (get_search_results does the looking).
    search_fields = [
        "subscriber__first_name",
        "subscriber__last_name",
        "subscriber__profile_name",
        "subscriber__number",
        "messages__text",
    ]
    search_help_text = gettext_lazy(
        "Numero della richiesta (#123), nome, telefono o parole del testo; "
        "con * alla fine anche l'inizio di una parola (carrab*)."
    )
    # Prefetched for the page's rows instead (get_queryset): no join under the inbox's sort.
    list_select_related = False
    list_per_page = 50
    show_full_result_count = False
    # Counting every filter's choices over a hundred thousand tickets costs more than the page.
    show_facets = admin.ShowFacets.NEVER
    actions = ["assign_to_me", "resolve_selected"]
    change_list_template = "admin/tickets/ticket/change_list.html"

    class Media:
        css = {"all": ["tickets/console.css"]}

    # --- scope and order ------------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[Ticket]:
        # Read for the page's rows only, after the sort: joined in the sorting query they would
        # be carried through a sort of the whole inbox (InboxChangeList).
        return ticket_list_for(user=request.user).prefetch_related(*ROW_RELATIONS)

    def get_changelist(self, request, **kwargs):
        return InboxChangeList

    paginator = InboxPaginator

    # What the column headers show as the sort: the deadline, the order's real second key (the
    # first, the group, is no column); the queryset's order comes from get_ordering.
    ordering = ["due_at"]

    def get_ordering(self, request):
        # Late first, then new, then the rest at work, then done (changelist.py).
        return inbox_ordering(timezone.now())

    def get_search_results(self, request, queryset, search_term):
        # Numbers, names and texts as the API searches them (selectors.ticket_list_search); each
        # ticket once, never a join with its messages that would need a DISTINCT.
        return ticket_list_search(tickets=queryset, term=search_term), False

    # --- columns --------------------------------------------------------------------------------
    # Each column is drawn for every row of a page of up to 200: what does not change from row to
    # row (a URL's prefix, a state's label) is worked out once per page (InboxChangeList).
    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj: Ticket) -> SafeString:
        # Django's own markup, without rendering a widget template for each row.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(_("Select this object for an action - {}"), obj.number),
        )

    def _conversation_url(self, obj: Ticket) -> str:
        url = getattr(obj, "conversation_url", None)
        return url or reverse("admin:tickets_ticket_conversation", args=[obj.pk])

    @admin.display(description=gettext_lazy("n."), ordering="pk")
    def number_link(self, obj: Ticket) -> str:
        return format_html(
            '<a class="ticket-number" href="{}">{}</a>', self._conversation_url(obj), obj.number
        )

    @admin.display(description=gettext_lazy("cittadino"), ordering="subscriber__last_name")
    def citizen(self, obj: Ticket) -> str:
        link = format_html('<a href="{}">{}</a>', self._conversation_url(obj), str(obj.subscriber))
        if not obj.unread_count:
            return link
        return format_html(
            '{} <span class="badge unread" title="{}">{}</span>',
            link,
            _("messaggi del cittadino che nessuno ha ancora letto"),
            ngettext("%(n)d non letto", "%(n)d non letti", obj.unread_count)
            % {"n": obj.unread_count},
        )

    @admin.display(description=gettext_lazy("stato"), ordering="state")
    def state_badge(self, obj: Ticket) -> str:
        return format_html(
            # The enum's label: get_state_display() hashes every lazy label for each row.
            '<span class="badge state-{}">{}</span>',
            obj.state,
            TicketState(obj.state).label,
        )

    @admin.display(description=gettext_lazy("messaggio"))
    def preview(self, obj: Ticket) -> str:
        text = getattr(obj, "first_text", "")
        if text:
            return format_html('<span class="preview" title="{}">{}</span>', text, text)
        kind = getattr(obj, "first_kind", "")
        if kind and kind != MessageKind.TEXT:
            label = dict(MessageKind.choices).get(kind, kind)
            return format_html('<span class="kind">{}</span>', capfirst(label))
        return "—"

    @admin.display(description=gettext_lazy("scadenza"), ordering="due_at")
    def due_badge(self, obj: Ticket) -> str:
        now = timezone.now()
        local = timezone.localtime(obj.due_at)
        label = f"{local:%d/%m %H:%M}"
        if obj.state not in TicketState.pending():
            return format_html('<span class="due">{}</span>', label)
        if obj.due_at < now:
            return format_html(
                '<span class="badge late">{}</span> <span class="due">{}</span>',
                _("in ritardo"),
                label,
            )
        if local.date() == timezone.localdate(now):
            return format_html(
                '<span class="badge today">{}</span> <span class="due">{}</span>', _("oggi"), label
            )
        return format_html('<span class="due">{}</span>', label)

    @admin.display(description=gettext_lazy("servizio"), ordering="service__name")
    def service_and_category(self, obj: Ticket) -> str:
        # One column for both: a laptop's inbox has no room for two mostly empty ones.
        service = obj.service.name if obj.service else "—"
        if not obj.category:
            return service
        return format_html(
            '{}<br><small class="category">{}</small>',
            service,
            TicketCategory(obj.category).label,
        )

    @admin.display(description=gettext_lazy("operatore"), ordering="assignee__first_name")
    def assignee_name(self, obj: Ticket) -> str:
        if obj.assignee is None:
            return "—"
        return obj.assignee.get_full_name() or obj.assignee.get_username()

    @admin.display(description=gettext_lazy("ultimo messaggio"), ordering="last_message_at")
    def last_message(self, obj: Ticket) -> str:
        return f"{timezone.localtime(obj.last_message_at):%d/%m %H:%M}"

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
            path(
                "<int:ticket_id>/conversation/next/",
                self.admin_site.admin_view(NextTicketView(self)),
                name="tickets_ticket_next",
            ),
            path("live/", self.admin_site.admin_view(LiveView(self)), name="tickets_ticket_live"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None) -> HttpResponse:
        # The conversation page is the ticket's page; it checks what the user may see. Another
        # comune's ticket is a 404 already here, as on every other admin page of a comune's
        # object (get_object, OtherComunesRowsNotFound), not a redirect to a 404.
        self.get_object(request, unquote(object_id))
        return redirect("admin:tickets_ticket_conversation", ticket_id=int(object_id))

    def changelist_view(self, request, extra_context=None):
        now = timezone.now()
        _start, end = _day_bounds(now)
        pending = ticket_list_for(user=request.user).filter(state__in=TicketState.pending())
        # One read of the pending tickets' deadline index for the three badges.
        counts = pending.aggregate(
            late=Count("due_at", filter=Q(due_at__lt=now)),
            today=Count("due_at", filter=Q(due_at__gte=now, due_at__lt=end)),
            new=Count("due_at", filter=Q(state=TicketState.NEW)),
        )
        context = {
            "title": _("Richieste dei cittadini"),
            "inbox": counts,
            # Where the page's live updates start from (tickets/live.py).
            "live_cursor": console_cursor(),
            # The inbox needs the screen's width, a tablet's above all; the breadcrumbs lead home.
            "is_nav_sidebar_enabled": False,
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    # --- bulk actions ---------------------------------------------------------------------------
    def _bulk(self, request, queryset, call, done_message) -> None:
        done = 0
        for ticket in queryset:
            with user_errors(request, about=str(ticket.number)) as attempt:
                call(ticket)
            done += not attempt.failed
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)

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
