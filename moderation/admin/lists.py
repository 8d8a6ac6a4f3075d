"""What administrators and moderators edit: the policy, the lexicon, the allowed domains and the
warning text. Every change to the screening lists reaches every process (services)."""

from django.contrib import admin

from .. import services
from ..models import AllowedDomain, LexiconEntry, ModerationSettings, PolicyCategory


@admin.register(PolicyCategory)
class PolicyCategoryAdmin(admin.ModelAdmin):
    list_display = ["label", "code", "may_be_reported", "position"]
    list_editable = ["position"]
    search_fields = ["label", "policy_text"]


@admin.register(LexiconEntry)
class LexiconEntryAdmin(admin.ModelAdmin):
    list_display = ["word", "kind", "is_active", "note"]
    list_filter = ["kind", "is_active"]
    list_editable = ["is_active"]
    search_fields = ["word", "note"]

    def save_model(self, request, obj, form, change):
        services.lexicon_entry_save(entry=obj)

    def delete_model(self, request, obj):
        services.lexicon_entries_delete(entries=[obj])

    def delete_queryset(self, request, queryset):
        services.lexicon_entries_delete(entries=queryset)


@admin.register(AllowedDomain)
class AllowedDomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "is_active", "note"]
    list_filter = ["is_active"]
    list_editable = ["is_active"]
    search_fields = ["domain", "note"]

    def save_model(self, request, obj, form, change):
        services.allowed_domain_save(domain=obj)

    def delete_model(self, request, obj):
        services.allowed_domains_delete(domains=[obj])

    def delete_queryset(self, request, queryset):
        services.allowed_domains_delete(domains=queryset)


@admin.register(ModerationSettings)
class ModerationSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "warning_text"]
    fields = ["warning_text"]

    def has_add_permission(self, request):
        # The one row is created by a migration (and on first use).
        return False

    def has_delete_permission(self, request, obj=None):
        return False
