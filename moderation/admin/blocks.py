"""The block list and the unblock action."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from urp_portal.municipality.admin_scope import OtherComunesRowsNotFound

from .. import services
from ..forms import NoteForm
from ..models import Block
from .base import ModeratorOnly, _buttons, _history_link
from .confirm import confirm_page, require_moderator


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
class BlockAdmin(OtherComunesRowsNotFound, ModeratorOnly, admin.ModelAdmin):
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
