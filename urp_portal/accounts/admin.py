from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from urp_portal.core.admin import user_errors_as_validation
from urp_portal.municipality.admin_scope import ComuneHistoryOnly, OtherComunesRowsNotFound

from . import user_admin  # noqa: F401  (registers Django's user admin, scoped per comune)
from .models import ApiToken
from .security_admin import OfTheComunesAccounts  # also registers django-axes' pages, scoped
from .services import api_token_create, api_token_revoke, municipal_service_slug_resolve


class ApiTokenCreateForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name", "role", "service_slug"]

    def clean_service_slug(self) -> str:
        slug = self.cleaned_data.get("service_slug", "")
        if not slug:
            return slug
        with user_errors_as_validation():
            return municipal_service_slug_resolve(slug=slug)


@admin.register(ApiToken)
class ApiTokenAdmin(OtherComunesRowsNotFound, admin.ModelAdmin):
    list_display = [
        "name",
        "role",
        "service_slug",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["role", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "service_slug"]
    actions = ["revoke"]
    fields = ["name", "role", "service_slug"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at", "revoked_at"]

    def get_fields(self, request, obj=None):
        return self.fields if obj is None else [*self.fields, *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        # A token's role and service are what its holder was given: change them by issuing a
        # new token and revoking this one.
        return [] if obj is None else [*self.fields, *self.readonly_fields]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Revoked, never deleted: the record of who could call the API stays.
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        # ApiTokenCreateForm and the model's constraint checked the rules api_token_create keeps.
        token, key = api_token_create(
            name=obj.name, role=obj.role, service_slug=obj.service_slug, actor=request.user
        )
        obj.pk = token.pk
        obj.key_hash = token.key_hash
        obj.prefix = token.prefix
        obj.created_by = token.created_by
        obj.created_at = token.created_at
        # Shown once by response_add, straight in the page: never kept in a message cookie.
        request._urp_new_api_key = key

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def response_add(self, request, obj, post_url_continue=None):
        key = getattr(request, "_urp_new_api_key", None)
        if key is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "token": obj,
            "key": key,
            "title": _("Token API creato"),
        }
        response = TemplateResponse(request, "admin/accounts/apitoken/created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Revoca i token selezionati"), permissions=["change"])
    def revoke(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d token revocato.", "%(count)d token revocati.", count)
            % {"count": count},
            messages.SUCCESS,
        )


# django-otp's own device admin shows each device's secret key and its QR code: anyone who can
# open it could copy a colleague's second factor. Here an administrator sees who enrolled and
# removes a lost phone's device (its owner then enrols again at the next sign-in), nothing more.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class SecondFactorDeviceAdmin(OfTheComunesAccounts, admin.ModelAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    fields = readonly_fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_select_related = ["user"]

    def has_add_permission(self, request) -> bool:
        # A device is enrolled by its owner, from the owner's phone.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ComuneGroupAdmin(ComuneHistoryOnly, GroupAdmin):
    """The roles are the deployment's, read by every comune's administrators: a role's history
    shows each comune only the changes made while working in it."""


admin.site.unregister(Group)
admin.site.register(Group, ComuneGroupAdmin)
