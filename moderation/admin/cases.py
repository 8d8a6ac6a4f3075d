"""The cases with their history and counts, and the report to the authorities."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from subscribers.models import Subscriber
from urp_portal.municipality.admin_scope import OtherComunesRowsNotFound

from .. import services
from ..forms import ActionForm
from ..models import ModerationCase
from ..selectors import (
    citizen_history,
    counts_per_category_per_month,
)
from ..states import REVERSALS, ActionKind, CaseState
from .base import ModeratorOnly, _buttons, _history_link
from .confirm import confirm_page, require_moderator


def kind_label(kind: str) -> str:
    labels = {
        "remove": ActionKind.REMOVE.label,
        "warn": ActionKind.WARN.label,
        "block": ActionKind.BLOCK.label,
        "dismiss": ActionKind.DISMISS.label,
        "report": ActionKind.REPORT.label,
        "close": ActionKind.CLOSE_CASE.label,
    }
    return str(labels.get(kind, kind))


def report_confirm(model_admin, request, case: ModerationCase, back: str, details: dict):
    user = request.user
    suggested = sorted(
        {c for flag in case.flags.prefetch_related("categories") for c in flag.categories.all()},
        key=lambda c: c.position,
    )
    form = ActionForm(
        request.POST if request.method == "POST" else None, initial={"categories": suggested}
    )

    def perform(d):
        package = services.case_report(
            case=case, actor=user, categories=d["categories"], note=d["note"]
        )
        return _("Pacchetto di prove creato: SHA-256 %(hash)s") % {"hash": package.sha256}

    return confirm_page(
        request,
        model_admin,
        title=_("Segnalazione alle autorità: caso n. %(number)s") % {"number": case.pk},
        question=_(
            "Sarà creato un pacchetto di prove sigillato (ZIP con i messaggi, gli allegati, le "
            "azioni e un manifest con le impronte SHA-256) da depositare presso le autorità "
            "giudiziarie. L'operazione resta registrata e non si può annullare."
        ),
        form=form,
        perform=perform,
        back_url=back,
        details=details,
        danger=True,
    )


@admin.register(ModerationCase)
class ModerationCaseAdmin(OtherComunesRowsNotFound, ModeratorOnly, admin.ModelAdmin):
    list_display = ["__str__", "citizen", "state", "opened_at", "closed_at", "actions_column"]
    list_filter = ["state"]
    list_select_related = ["subscriber"]
    list_display_links = None
    list_per_page = 50

    @admin.display(description=gettext_lazy("cittadino"))
    def citizen(self, case: ModerationCase) -> str:
        return _history_link(case.subscriber)

    @admin.display(description=gettext_lazy("azioni"))
    def actions_column(self, case: ModerationCase) -> str:
        if case.state != CaseState.OPEN:
            return ""
        return _buttons(
            [
                (reverse("admin:moderation_case_report", args=[case.pk]), _("Segnala")),
                (reverse("admin:moderation_case_close", args=[case.pk]), _("Chiudi")),
            ]
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:case_id>/segnala/", view(self.report_view), name="moderation_case_report"),
            path("<int:case_id>/chiudi/", view(self.close_view), name="moderation_case_close"),
            path(
                "cittadino/<int:subscriber_id>/",
                view(self.citizen_history_view),
                name="moderation_citizen_history",
            ),
            path("conteggi/", view(self.counts_view), name="moderation_counts"),
            *super().get_urls(),
        ]

    def _details(self, case: ModerationCase) -> dict:
        return {
            _("Cittadino"): str(case.subscriber),
            _("Aperto il"): timezone.localtime(case.opened_at).strftime("%d/%m/%Y %H:%M"),
        }

    def report_view(self, request, case_id: int) -> HttpResponse:
        require_moderator(request)
        case = get_object_or_404(ModerationCase.objects.select_related("subscriber"), pk=case_id)
        back = reverse("admin:moderation_moderationcase_changelist")
        return report_confirm(self, request, case, back, self._details(case))

    def close_view(self, request, case_id: int) -> HttpResponse:
        require_moderator(request)
        case = get_object_or_404(ModerationCase.objects.select_related("subscriber"), pk=case_id)
        used = sorted(
            {c for action in case.actions.all() for c in action.categories.all()}
            | {c for flag in case.flags.all() for c in flag.categories.all()},
            key=lambda c: c.position,
        )
        form = ActionForm(
            request.POST if request.method == "POST" else None, initial={"categories": used}
        )

        def perform(d):
            services.case_close(
                case=case, actor=request.user, categories=d["categories"], note=d["note"]
            )
            return _("Caso chiuso: la conservazione a fini di prova è terminata.")

        return confirm_page(
            request,
            self,
            title=_("Chiudi il caso n. %(number)s") % {"number": case.pk},
            question=_(
                "Chiuso il caso, i messaggi del cittadino non sono più trattenuti come prova: "
                "la cancellazione e i termini di conservazione tornano ad applicarsi."
            ),
            form=form,
            perform=perform,
            back_url=reverse("admin:moderation_moderationcase_changelist"),
            details=self._details(case),
        )

    def citizen_history_view(self, request, subscriber_id: int) -> HttpResponse:
        require_moderator(request)
        subscriber = get_object_or_404(Subscriber, pk=subscriber_id)
        history = citizen_history(subscriber=subscriber)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Storia di moderazione: %(name)s") % {"name": subscriber},
            "subscriber": subscriber,
            "history": history,
            "reversible": set(REVERSALS),
            "active_block": next((b for b in history.blocks if b.is_active), None),
        }
        return TemplateResponse(request, "admin/moderation/citizen_history.html", context)

    def counts_view(self, request) -> HttpResponse:
        require_moderator(request)
        counts = counts_per_category_per_month()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Moderazione: conteggi per categoria e mese"),
            "counts": counts,
            "rows": counts.rows(),
        }
        return TemplateResponse(request, "admin/moderation/counts.html", context)
