"""Meta's rate card, by date: the campaign preview's and the console's cost estimates."""

from django.contrib import admin
from django.http import HttpRequest

from urp_portal.municipality.admin_scope import ComuneHistoryOnly, may_change_what_comuni_share

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
        return may_change_what_comuni_share(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return may_change_what_comuni_share(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return may_change_what_comuni_share(request) and super().has_delete_permission(request, obj)
