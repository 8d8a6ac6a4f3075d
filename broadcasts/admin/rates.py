"""Meta's rate card, by date: the campaign preview's and the console's cost estimates."""

from django.contrib import admin

from urp_portal.municipality.admin_scope import ComuneHistoryOnly

from ..models import RateCard


@admin.register(RateCard)
class RateCardAdmin(ComuneHistoryOnly, admin.ModelAdmin):
    # The deployment's one rate card, which every comune's administrators may edit: its history
    # shows each comune its own changes only.
    list_display = [
        "valid_from",
        "currency",
        "marketing",
        "utility",
        "authentication",
        "utility_free_in_window",
        "source",
    ]
