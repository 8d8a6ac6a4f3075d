"""The moderation queue, the cases with their history and counts, the blocks, the audit and the
evidence packages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import truncatechars
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from subscribers.models import Subscriber
from urp_portal.audit.services import audit_record
from urp_portal.audit.states import AuditAction

from .. import services
from ..forms import ActionForm, BlockForm, NoteForm
from ..models import Block, EvidencePackage, ModerationAction, ModerationCase, ScreeningFlag
from ..selectors import (
    citizen_history,
    counts_per_category_per_month,
    flag_list,
)
from ..states import REVERSALS, ActionKind, CaseState
from .confirm import confirm_page, require_moderator


class ModeratorOnly:
    """Read here with the roles' view permissions (moderators and administrators); act only
    through the confirmation pages, which check the role (403 for anyone else)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _history_link(subscriber: Subscriber) -> str:
    url = reverse("admin:moderation_citizen_history", args=[subscriber.pk])
    return format_html('<a href="{}">{}</a>', url, str(subscriber))


def _buttons(items: list[tuple[str, str]]) -> str:
    return format_html_join(
        " ", '<a class="button" href="{}">{}</a>', ((url, label) for url, label in items)
    )


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
class ScreeningFlagAdmin(ModeratorOnly, admin.ModelAdmin):
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
class ModerationCaseAdmin(ModeratorOnly, admin.ModelAdmin):
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


class BlockStateFilter(admin.SimpleListFilter):
    title = gettext_lazy("stato")
    parameter_name = "attivo"

    def lookups(self, request, model_admin):
        return [("1", gettext_lazy("in corso")), ("0", gettext_lazy("terminati"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(lifted_at__isnull=True)
        if self.value() == "0":
            return queryset.filter(lifted_at__isnull=False)
        return queryset


@admin.register(Block)
class BlockAdmin(ModeratorOnly, admin.ModelAdmin):
    """The block list."""

    list_display = ["citizen", "starts_at", "ends_at", "lifted_at", "end_reason", "unblock"]
    list_filter = [BlockStateFilter, "end_reason"]
    list_select_related = ["subscriber"]
    list_display_links = None
    list_per_page = 50
    search_fields = ["subscriber__number", "subscriber__last_name", "subscriber__profile_name"]

    @admin.display(description=gettext_lazy("cittadino"))
    def citizen(self, block: Block) -> str:
        return _history_link(block.subscriber)

    @admin.display(description="")
    def unblock(self, block: Block) -> str:
        if block.lifted_at is not None:
            return ""
        return _buttons(
            [(reverse("admin:moderation_block_unblock", args=[block.pk]), _("Sblocca"))]
        )

    def get_urls(self):
        return [
            path(
                "<int:block_id>/sblocca/",
                self.admin_site.admin_view(self.unblock_view),
                name="moderation_block_unblock",
            ),
            *super().get_urls(),
        ]

    def unblock_view(self, request, block_id: int) -> HttpResponse:
        require_moderator(request)
        block = get_object_or_404(Block.objects.select_related("subscriber"), pk=block_id)
        form = NoteForm(request.POST if request.method == "POST" else None)

        def perform(d):
            services.subscriber_unblock(block=block, actor=request.user, note=d["note"])
            return _("Cittadino sbloccato.")

        return confirm_page(
            request,
            self,
            title=_("Sblocca %(name)s") % {"name": block.subscriber},
            question=_("I messaggi del cittadino torneranno ad aprire richieste."),
            form=form,
            perform=perform,
            back_url=reverse("admin:moderation_block_changelist"),
        )


@admin.register(ModerationAction)
class ModerationActionAdmin(ModeratorOnly, admin.ModelAdmin):
    """The audit: every action, who, when, which rules, why."""

    list_display = ["at", "kind", "actor", "citizen", "rules", "note", "reverse_button"]
    list_filter = ["kind", "categories"]
    list_select_related = ["actor", "subscriber"]
    list_display_links = None
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("categories", "reversed_by")

    @admin.display(description=gettext_lazy("cittadino"))
    def citizen(self, action: ModerationAction) -> str:
        return _history_link(action.subscriber)

    @admin.display(description=gettext_lazy("regole"))
    def rules(self, action: ModerationAction) -> str:
        return ", ".join(category.label for category in action.categories.all())

    @admin.display(description="")
    def reverse_button(self, action: ModerationAction) -> str:
        if action.kind not in REVERSALS or hasattr(action, "reversed_by"):
            return ""
        return _buttons(
            [(reverse("admin:moderation_action_reverse", args=[action.pk]), _("Annulla"))]
        )

    def get_urls(self):
        return [
            path(
                "<int:action_id>/annulla/",
                self.admin_site.admin_view(self.reverse_view),
                name="moderation_action_reverse",
            ),
            *super().get_urls(),
        ]

    def reverse_view(self, request, action_id: int) -> HttpResponse:
        require_moderator(request)
        action = get_object_or_404(
            ModerationAction.objects.select_related("subscriber"), pk=action_id
        )
        form = NoteForm(request.POST if request.method == "POST" else None)

        def perform(d):
            undo = services.action_reverse(action=action, actor=request.user, note=d["note"])
            return str(undo.get_kind_display()).capitalize() + "."

        return confirm_page(
            request,
            self,
            title=_("Annulla: %(action)s") % {"action": action.get_kind_display()},
            question=_(
                "L'azione sarà annullata; resta registrata nella storia, con l'annullamento."
            ),
            form=form,
            perform=perform,
            back_url=reverse("admin:moderation_moderationaction_changelist"),
            details={
                _("Cittadino"): str(action.subscriber),
                _("Quando"): timezone.localtime(action.at).strftime("%d/%m/%Y %H:%M"),
            },
        )


@admin.register(EvidencePackage)
class EvidencePackageAdmin(ModeratorOnly, admin.ModelAdmin):
    list_display = ["created_at", "case", "created_by", "sha256", "size", "links"]
    list_select_related = ["case", "created_by"]
    list_display_links = None

    @admin.display(description="")
    def links(self, package: EvidencePackage) -> str:
        return _buttons(
            [
                (reverse("admin:moderation_evidence_download", args=[package.pk]), _("Scarica")),
                (reverse("admin:moderation_evidence_verify", args=[package.pk]), _("Verifica")),
            ]
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:package_id>/scarica/",
                view(self.download_view),
                name="moderation_evidence_download",
            ),
            path(
                "<int:package_id>/verifica/",
                view(self.verify_view),
                name="moderation_evidence_verify",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, package_id: int) -> FileResponse:
        require_moderator(request)
        package = get_object_or_404(EvidencePackage, pk=package_id)
        try:
            handle = package.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404() from exc
        audit_record(
            actor=request.user,
            action=AuditAction.EVIDENCE_DOWNLOADED,
            target=package,
            request=request,
            details={"case_id": package.case_id, "sha256": package.sha256},
        )
        return FileResponse(
            handle,
            as_attachment=True,
            filename=package.file.name.rsplit("/", 1)[-1],
            content_type="application/zip",
        )

    def verify_view(self, request, package_id: int) -> HttpResponse:
        require_moderator(request)
        package = get_object_or_404(EvidencePackage.objects.select_related("case"), pk=package_id)
        result = services.evidence_package_verify(package=package)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Verifica del pacchetto di prove"),
            "package": package,
            "result": result,
        }
        return TemplateResponse(request, "admin/moderation/verify.html", context)
