"""What administrators and moderators edit: the comune's policy, lexicon, allowed domains and
warning text. Every change to the screening lists reaches every process (services); each
comune's console shows and edits its own (the models' scoped managers), and another comune's
row is a 404 where several are served."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from urp_portal.municipality.admin_scope import OtherComunesRowsNotFound

from .. import services
from ..models import AllowedDomain, LexiconEntry, ModerationSettings, PolicyCategory


class OnceInTheComuneForm(forms.ModelForm):
    """The lists are unique per comune (models' constraints), but the row's `comune` is set by
    the service on save, after the form's own checks: so the form checks within the running
    comune's rows (the default manager's), and a duplicate is a form error, not a failed
    insert."""

    unique_in_comune: tuple[str, ...] = ()
    duplicate_message = _("Esiste già.")

    def clean(self):
        cleaned = super().clean() or {}
        values = {field: cleaned.get(field) for field in self.unique_in_comune}
        if all(value not in (None, "") for value in values.values()):
            lookup = {
                f"{field}__iexact" if isinstance(value, str) else field: (
                    value.strip() if isinstance(value, str) else value
                )
                for field, value in values.items()
            }
            others = self._meta.model._default_manager.filter(**lookup)
            if self.instance.pk is not None:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                raise forms.ValidationError(self.duplicate_message, code="duplicate")
        return cleaned


class PolicyCategoryForm(OnceInTheComuneForm):
    unique_in_comune = ("code",)
    duplicate_message = _("Il comune ha già una regola con questo codice.")


class LexiconEntryForm(OnceInTheComuneForm):
    unique_in_comune = ("word", "kind")
    duplicate_message = _("La parola è già nel lessico del comune.")


class AllowedDomainForm(OnceInTheComuneForm):
    unique_in_comune = ("domain",)
    duplicate_message = _("Il dominio è già tra quelli ammessi dal comune.")


@admin.register(PolicyCategory)
class PolicyCategoryAdmin(OtherComunesRowsNotFound, admin.ModelAdmin):
    form = PolicyCategoryForm
    list_display = ["label", "code", "may_be_reported", "position"]
    list_editable = ["position"]
    search_fields = ["label", "policy_text"]
    exclude = ["comune"]

    def save_model(self, request, obj, form, change):
        services.policy_category_save(category=obj)

    def delete_model(self, request, obj):
        services.policy_categories_delete(categories=[obj])

    def delete_queryset(self, request, queryset):
        services.policy_categories_delete(categories=queryset)


@admin.register(LexiconEntry)
class LexiconEntryAdmin(OtherComunesRowsNotFound, admin.ModelAdmin):
    form = LexiconEntryForm
    list_display = ["word", "kind", "is_active", "note"]
    list_filter = ["kind", "is_active"]
    list_editable = ["is_active"]
    search_fields = ["word", "note"]
    exclude = ["comune"]

    def save_model(self, request, obj, form, change):
        services.lexicon_entry_save(entry=obj)

    def delete_model(self, request, obj):
        services.lexicon_entries_delete(entries=[obj])

    def delete_queryset(self, request, queryset):
        services.lexicon_entries_delete(entries=queryset)


@admin.register(AllowedDomain)
class AllowedDomainAdmin(OtherComunesRowsNotFound, admin.ModelAdmin):
    form = AllowedDomainForm
    list_display = ["domain", "is_active", "note"]
    list_filter = ["is_active"]
    list_editable = ["is_active"]
    search_fields = ["domain", "note"]
    exclude = ["comune"]

    def save_model(self, request, obj, form, change):
        services.allowed_domain_save(domain=obj)

    def delete_model(self, request, obj):
        services.allowed_domains_delete(domains=[obj])

    def delete_queryset(self, request, queryset):
        services.allowed_domains_delete(domains=queryset)


@admin.register(ModerationSettings)
class ModerationSettingsAdmin(OtherComunesRowsNotFound, admin.ModelAdmin):
    list_display = ["__str__", "warning_text"]
    fields = ["warning_text"]

    def has_add_permission(self, request):
        # One row per comune, made by a migration, a preset or on first use.
        return False

    def has_delete_permission(self, request, obj=None):
        return False
