"""Meta's rate card, by date: the campaign preview's and the console's cost estimates."""

from django.contrib import admin
from django.http import HttpRequest

from urp_portal.municipality.admin_scope import ComuneHistoryOnly
from urp_portal.municipality.scope import serves_other_comuni

from ..models import RateCard


@admin.register(RateCard)
class RateCardAdmin(ComuneHistoryOnly, admin.ModelAdmin):
    # The deployment's one rate card (Meta prices by the citizen's country, not by comune). With
    # one comune its administrators keep it; where several are served it is the provider's
    # (superusers): one comune's change would reprice every other's estimates. The comuni read
    # it, and its history shows each comune its own changes only.
    list_display = [
        "valid_from",
        "currency",
        "marketing",
        "utility",
        "authentication",
        "utility_free_in_window",
        "source",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may_write(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may_write(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may_write(request) and super().has_delete_permission(request, obj)

    @staticmethod
    def _may_write(request: HttpRequest) -> bool:
        return request.user.is_superuser or not serves_other_comuni()
