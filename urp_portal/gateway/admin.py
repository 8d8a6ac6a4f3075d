"""Read-mostly views of the gateway's rows; the two actions call services."""

import contextlib
import json
from dataclasses import asdict

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from urp_portal.accounts.roles import PROVIDER_GROUP_NAME
from urp_portal.core.admin import user_errors
from urp_portal.municipality.admin_scope import ComuneHistoryOnly, OtherComunesRowsNotFound
from urp_portal.municipality.scope import current_comune, owned_by_current

from .adapters import get_adapter
from .adapters.base import WebhookFormatError
from .models import InboundMessage, OutboundMessage, PendingStatus, WebhookEvent
from .services import outbound_message_retry, webhook_event_reprocess


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the gateway: looked at, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [f.name for f in self.model._meta.fields] + list(self.readonly_fields)


def _pre(text: str):
    return format_html('<pre style="white-space: pre-wrap; max-width: 100ch">{}</pre>', text)


def _reads_unrouted_events(user) -> bool:
    """The superusers and the provider's administrators: the events routed to no comune (a
    number not ours, a template update, a body for two comuni) are the deployment's."""
    return bool(user.is_superuser or user.groups.filter(name=PROVIDER_GROUP_NAME).exists())


@admin.register(WebhookEvent)
class WebhookEventAdmin(OtherComunesRowsNotFound, ReadOnlyAdmin):
    """Raw bodies: those of the comune the session works for (the comune the worker recorded),
    and the unrouted ones for the deployment's own people only. Unscoped (one comune): all."""

    list_display = ["received_at", "gateway", "state", "attempts", "short_error"]
    list_filter = ["state", "gateway"]
    date_hierarchy = "received_at"
    exclude = ["body"]
    readonly_fields = ["body_decoded", "parse_result"]
    actions = ["reprocess"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookEvent]:
        events = super().get_queryset(request)
        comune = current_comune()
        if comune is None:
            return events
        mine = Q(comune=comune)
        if _reads_unrouted_events(request.user):
            mine |= Q(comune__isnull=True)
        return events.filter(mine)

    @admin.display(description=_("errore"))
    def short_error(self, obj: WebhookEvent) -> str:
        return obj.error[:80]

    @admin.display(description=_("corpo"))
    def body_decoded(self, obj: WebhookEvent):
        text = bytes(obj.body).decode("utf-8", errors="replace")
        # A body too deep for json (kept as rejected) is shown as it came.
        with contextlib.suppress(ValueError, RecursionError):
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        return _pre(text)

    @admin.display(description=_("come lo legge il gateway"))
    def parse_result(self, obj: WebhookEvent):
        try:
            parsed = get_adapter(obj.gateway).parse_webhook(
                body=bytes(obj.body), content_type=obj.content_type
            )
        except WebhookFormatError as exc:
            return _pre(f"{_('Formato non riconosciuto')}: {exc}")
        return _pre(json.dumps(asdict(parsed), indent=2, default=str, ensure_ascii=False))

    @admin.action(description=_("Elabora di nuovo gli eventi selezionati"))
    def reprocess(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        for event in queryset:
            webhook_event_reprocess(event_id=event.pk)
        count = queryset.count()
        self.message_user(
            request,
            ngettext(
                "%(count)d evento rimesso in elaborazione.",
                "%(count)d eventi rimessi in elaborazione.",
                count,
            )
            % {"count": count},
        )


class OfTheComuneAdmin(OtherComunesRowsNotFound, admin.ModelAdmin):
    """The gateway's messages of the comune the session works for (accounts/request_scope.py):
    the gateway's own code reads across comuni, its console pages do not."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).filter(owned_by_current())


@admin.register(InboundMessage)
class InboundMessageAdmin(OfTheComuneAdmin, ReadOnlyAdmin):
    list_display = [
        "sent_at",
        "sender",
        "profile_name",
        "kind",
        "short_text",
        "state",
        "handled_by",
    ]
    list_filter = ["kind", "state"]
    search_fields = ["sender", "provider_id", "profile_name"]
    date_hierarchy = "sent_at"
    list_select_related = ["event"]

    @admin.display(description=_("testo"))
    def short_text(self, obj: InboundMessage) -> str:
        return obj.text[:80]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(OfTheComuneAdmin, ReadOnlyAdmin):
    list_display = [
        "created_at",
        "to",
        "purpose",
        "state",
        "needs_review",
        "attempts",
        "error_code",
        "short_error",
    ]
    # "With an error or not": a list of every code ever met had a nameless link for the empty
    # one (axe "link-name") and a DISTINCT over the whole outbox on each page.
    list_filter = ["state", "needs_review", "purpose", ("error_code", admin.EmptyFieldListFilter)]
    search_fields = ["to", "provider_id"]
    date_hierarchy = "created_at"
    actions = ["retry"]

    @admin.display(description=_("errore"))
    def short_error(self, obj: OutboundMessage) -> str:
        return obj.error_message[:80]

    @admin.action(description=_("Ritenta l'invio dei messaggi selezionati"))
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        done = 0
        for message in queryset:
            with user_errors(request, about=str(message), level=messages.WARNING) as attempt:
                outbound_message_retry(message_id=message.pk)
            done += not attempt.failed
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d messaggio rimesso in coda.",
                    "%(count)d messaggi rimessi in coda.",
                    done,
                )
                % {"count": done},
            )


@admin.register(PendingStatus)
class PendingStatusAdmin(ComuneHistoryOnly, ReadOnlyAdmin):
    list_display = ["received_at", "provider_id", "status", "error_code"]
    list_filter = ["status"]
    search_fields = ["provider_id"]
