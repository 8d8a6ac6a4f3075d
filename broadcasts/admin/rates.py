"""Meta's rate card, by date: the campaign preview's and the console's cost estimates."""

from django.contrib import admin

from ..models import RateCard


@admin.register(RateCard)
class RateCardAdmin(admin.ModelAdmin):
    list_display = [
        "valid_from",
        "currency",
        "marketing",
        "utility",
        "authentication",
        "utility_free_in_window",
        "source",
    ]
