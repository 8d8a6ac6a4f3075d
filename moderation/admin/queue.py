"""The moderation queue: the flagged messages, with their reasons and the actions on them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import truncatechars
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from urp_portal.municipality.admin_scope import OtherComunesRowsNotFound

from .. import services
from ..forms import ActionForm, BlockForm
from ..models import ModerationCase, ScreeningFlag
from ..selectors import (
    flag_list,
)
from .actions import ModerationActionAdmin
from .base import ModeratorOnly, _buttons, _history_link
from .blocks import BlockAdmin, BlockStateFilter
from .cases import ModerationCaseAdmin, kind_label, report_confirm
from .confirm import confirm_page, require_moderator
from .evidence import EvidencePackageAdmin

# Before the split this module held the whole moderation admin: the old names stay importable.
__all__ = [
    "BlockAdmin",
    "BlockStateFilter",
    "EvidencePackageAdmin",
    "ModerationActionAdmin",
    "ModerationCaseAdmin",
    "ModeratorOnly",
    "QueueFilter",
    "ScreeningFlagAdmin",
    "_buttons",
    "_history_link",
    "kind_label",
    "report_confirm",
]


class QueueFilter(admin.SimpleListFilter):
    title = gettext_lazy("stato")
    parameter_name = "stato"

    def lookups(self, request, model_admin):
        return [
            ("pending", gettext_lazy("da esaminare")),
            ("reviewed", gettext_lazy("esaminati")),
            ("all", gettext_lazy("tutti")),
        ]

    def choices(self, changelist):
        # "Da esaminare" is what the queue opens on.
        value = self.value() or "pending"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "pending"
        if value == "pending":
            return queryset.filter(reviewed_at__isnull=True)
        if value == "reviewed":
            return queryset.filter(reviewed_at__isnull=False)
        return queryset


@admin.register(ScreeningFlag)
class ScreeningFlagAdmin(OtherComunesRowsNotFound, ModeratorOnly, admin.ModelAdmin):
    """The queue: flagged messages, newest first, their reasons and the actions."""

    list_display = ["flagged_at", "citizen", "message_text", "reasons", "rules", "actions_column"]
    list_display_links = None
    list_filter = [QueueFilter, "categories"]
    list_per_page = 50
    show_full_result_count = False
    search_fields = ["inbound__text", "case__subscriber__number"]

    def get_queryset(self, request):
        return flag_list()

    @admin.display(description=gettext_lazy("cittadino"))
    def citizen(self, flag: ScreeningFlag) -> str:
        return _history_link(flag.case.subscriber)

    @admin.display(description=gettext_lazy("messaggio"))
    def message_text(self, flag: ScreeningFlag) -> str:
        return truncatechars(flag.inbound.text, 200)

    @admin.display(description=gettext_lazy("motivi"))
    def reasons(self, flag: ScreeningFlag) -> str:
        return format_html_join(
            "", "<div>{}</div>", ((item.get("reason", ""),) for item in flag.reasons)
        )

    @admin.display(description=gettext_lazy("regole"))
    def rules(self, flag: ScreeningFlag) -> str:
        return ", ".join(category.label for category in flag.categories.all())

    @admin.display(description=gettext_lazy("azioni"))
    def actions_column(self, flag: ScreeningFlag) -> str:
        if flag.reviewed_at is not None:
            return _("esaminato il %(at)s") % {
                "at": timezone.localtime(flag.reviewed_at).strftime("%d/%m/%Y %H:%M")
            }
        return _buttons(
            [
                (reverse("admin:moderation_flag_act", args=[flag.pk, kind]), label)
                for kind, label in (
                    ("remove", _("Rimuovi")),
                    ("warn", _("Avvisa")),
                    ("block", _("Blocca")),
                    ("report", _("Segnala")),
                    ("dismiss", _("Archivia")),
                )
            ]
        )

    def get_urls(self):
        return [
            path(
                "<int:flag_id>/<str:kind>/",
                self.admin_site.admin_view(self.act_view),
                name="moderation_flag_act",
            ),
            *super().get_urls(),
        ]

    def act_view(self, request: HttpRequest, flag_id: int, kind: str) -> HttpResponse:
        require_moderator(request)
        flag = get_object_or_404(
            ScreeningFlag.objects.select_related("inbound", "case__subscriber"), pk=flag_id
        )
        user = request.user
        suggested = {"categories": list(flag.categories.all())}
        data = request.POST if request.method == "POST" else None
        details = {
            _("Cittadino"): str(flag.case.subscriber),
            _("Messaggio"): flag.inbound.text,
            _("Motivi"): flag.reason_text,
        }
        back = reverse("admin:moderation_screeningflag_changelist")
        form: Any
        if kind == "remove":
            form = ActionForm(data, initial=suggested)
            question = _("Il messaggio sarà nascosto agli operatori e alle esportazioni.")

            def perform(d):
                services.message_remove(
                    inbound=flag.inbound, actor=user, categories=d["categories"], note=d["note"]
                )
                return _("Messaggio rimosso.")

        elif kind == "warn":
            form = ActionForm(data, initial=suggested)
            question = (
                _("Il cittadino riceverà l'avviso:")
                + " "
                + services.warning_text(categories=suggested["categories"])
            )

            def perform(d):
                services.subscriber_warn(
                    inbound=flag.inbound, actor=user, categories=d["categories"], note=d["note"]
                )
                return _("Avviso in coda di invio.")

        elif kind == "block":
            form = BlockForm(data, initial=suggested)
            question = _(
                "I nuovi messaggi del cittadino saranno conservati ma non apriranno richieste "
                "e non riceveranno risposta."
            )

            def perform(d):
                services.subscriber_block(
                    inbound=flag.inbound,
                    actor=user,
                    categories=d["categories"],
                    note=d["note"],
                    ends_at=d.get("ends_at"),
                )
                return _("Cittadino bloccato.")

        elif kind == "report":
            return self._report(request, flag.case, back, details)
        elif kind == "dismiss":
            form = ActionForm(data, initial=suggested)
            question = _("Il messaggio non viola la policy: esce dalla coda.")

            def perform(d):
                services.flag_dismiss(
                    flag=flag, actor=user, categories=d["categories"], note=d["note"]
                )
                return _("Segnalazione archiviata.")

        else:
            raise Http404()
        return confirm_page(
            request,
            self,
            title=_("Conferma: %(action)s") % {"action": kind_label(kind)},
            question=question,
            form=form,
            perform=perform,
            back_url=back,
            details=details,
            danger=kind in ("remove", "block"),
        )

    def _report(self, request, case: ModerationCase, back: str, details: dict) -> HttpResponse:
        return report_confirm(self, request, case, back, details)
