"""The audit: every moderation action, who, when, which rules, why, and its reversal."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from urp_portal.municipality.admin_scope import OtherComunesRowsNotFound

from .. import services
from ..forms import NoteForm
from ..models import ModerationAction
from ..states import REVERSALS
from .base import ModeratorOnly, _buttons, _history_link
from .confirm import confirm_page, require_moderator


@admin.register(ModerationAction)
class ModerationActionAdmin(OtherComunesRowsNotFound, ModeratorOnly, admin.ModelAdmin):
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
