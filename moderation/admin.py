from django.contrib import admin

from .models import PolicyCategory


@admin.register(PolicyCategory)
class PolicyCategoryAdmin(admin.ModelAdmin):
    list_display = ["label", "code", "may_be_reported", "position"]
    list_editable = ["position"]
    search_fields = ["label", "policy_text"]
