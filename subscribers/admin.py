import json

import phonenumbers
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from urp_portal.municipality.admin_scope import OtherComunesRowsNotFound
from urp_portal.municipality.scope import current_comune, serves_other_comuni

from .models import ConsentRecord, DataSubjectRequest, PrivacyNotice, Subscriber
from .selectors import subscriber_counts
from .services import subscriber_erase, subscriber_export
from .states import ConsentChannel


class ReadOnlyAdminMixin:
    """History is looked at, never written, from the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ConsentRecordInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ConsentRecord
    fields = ("at", "kind", "notice_version", "channel", "inbound_text", "actor")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["at", "pk"]
    verbose_name_plural = gettext_lazy("storia dei consensi")


class DataSubjectRequestReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Motivo"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=DataSubjectRequest._meta.get_field("reason").help_text,
    )


@admin.register(Subscriber)
class SubscriberAdmin(OtherComunesRowsNotFound, admin.ModelAdmin):
    list_display = [
        "__str__",
        "number",
        "status",
        "identity_step",
        "subscribed_at",
        "unsubscribed_at",
        "last_inbound_at",
    ]
    list_filter = ["status", ("subscribed_at", admin.DateFieldListFilter), "identity_step"]
    # A citizen with a WhatsApp username may be known by its BSUID and username alone.
    search_fields = [
        "number",
        "first_name",
        "last_name",
        "profile_name",
        "wa_user_id",
        "wa_username",
    ]
    date_hierarchy = "subscribed_at"
    # Names and date of birth may be corrected (rectification, art. 16); the rest is history
    # written by the services.
    fields = [
        "number",
        "profile_name",
        "first_name",
        "last_name",
        "birth_date",
        "status",
        "identity_step",
        "first_contact_at",
        "last_inbound_at",
        "subscribed_at",
        "unsubscribed_at",
        "anonymised_at",
        "previous",
    ]
    readonly_fields = [
        "number",
        "profile_name",
        "status",
        "identity_step",
        "first_contact_at",
        "last_inbound_at",
        "subscribed_at",
        "unsubscribed_at",
        "anonymised_at",
        "previous",
    ]
    inlines = [ConsentRecordInline]
    change_list_template = "admin/subscribers/subscriber/change_list.html"
    change_form_template = "admin/subscribers/subscriber/change_form.html"

    def has_add_permission(self, request, obj=None) -> bool:
        # A citizen exists because they wrote to the comune's number.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Removal is erasure, which goes through its own audited page.
        return False

    def get_search_results(self, request, queryset, search_term):
        """An operator types a number as the citizen says it ("333 123 4567", "+39 333..."):
        find it in its E.164 form too."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            parsed = phonenumbers.parse(search_term, "IT")
        except phonenumbers.NumberParseException:
            return queryset, may_have_duplicates
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        return queryset | self.model.objects.filter(number=e164), may_have_duplicates

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "subscriber_counts": subscriber_counts()}
        return super().changelist_view(request, extra_context=extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "may_export": request.user.has_perm("subscribers.export_subscriber"),
            "may_erase": request.user.has_perm("subscribers.erase_subscriber"),
        }
        return super().change_view(request, object_id, form_url, extra_context=extra_context)

    def get_urls(self):
        own = [
            path(
                "<int:subscriber_id>/export/",
                self.admin_site.admin_view(self.export_view),
                name="subscribers_subscriber_export",
            ),
            path(
                "<int:subscriber_id>/erase/",
                self.admin_site.admin_view(self.erase_view),
                name="subscribers_subscriber_erase",
            ),
        ]
        return own + super().get_urls()

    def _subscriber_for(self, request: HttpRequest, subscriber_id: int, perm: str) -> Subscriber:
        if not request.user.has_perm(perm):
            raise PermissionDenied
        return get_object_or_404(Subscriber, pk=subscriber_id)

    def export_view(self, request: HttpRequest, subscriber_id: int) -> HttpResponse:
        """GET: what would be exported, and a form asking why. POST: the audited export, as a
        readable page or (format=json) a file to hand to the citizen."""
        subscriber = self._subscriber_for(request, subscriber_id, "subscribers.export_subscriber")
        form = DataSubjectRequestReasonForm(request.POST or None)
        data = None
        if request.method == "POST" and form.is_valid():
            data = subscriber_export(
                subscriber=subscriber,
                reason=form.cleaned_data["reason"],
                channel=ConsentChannel.ADMIN,
                user=request.user,  # type: ignore[arg-type]
            )
            if request.POST.get("format") == "json":
                response = HttpResponse(
                    json.dumps(data, ensure_ascii=False, indent=2),
                    content_type="application/json; charset=utf-8",
                )
                response["Content-Disposition"] = (
                    f'attachment; filename="dati-cittadino-{subscriber.pk}.json"'
                )
                return response
        context = {
            **self.admin_site.each_context(request),
            "title": _("Dati di %(who)s (art. 15 GDPR)") % {"who": subscriber},
            "subscriber": subscriber,
            "opts": self.model._meta,
            "form": form,
            "data": data,
            "sections": _export_sections(data) if data else None,
        }
        return TemplateResponse(request, "admin/subscribers/subscriber/export.html", context)

    def erase_view(self, request: HttpRequest, subscriber_id: int) -> HttpResponse:
        subscriber = self._subscriber_for(request, subscriber_id, "subscribers.erase_subscriber")
        form = DataSubjectRequestReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            result = subscriber_erase(
                subscriber=subscriber,
                reason=form.cleaned_data["reason"],
                channel=ConsentChannel.ADMIN,
                actor=request.user.get_username(),
                user=request.user,
            )
            if result.erased:
                self.message_user(
                    request, _("I dati personali del cittadino sono stati cancellati.")
                )
            elif result.reasons:
                self.message_user(
                    request,
                    _("La cancellazione è rinviata: %(reasons)s")
                    % {"reasons": "; ".join(result.reasons)},
                    level=messages.WARNING,
                )
            else:
                self.message_user(request, _("I dati erano già stati cancellati."))
            return HttpResponseRedirect(
                reverse("admin:subscribers_subscriber_change", args=[subscriber.pk])
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Cancellare i dati di %(who)s (art. 17 GDPR)") % {"who": subscriber},
            "subscriber": subscriber,
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/subscribers/subscriber/erase.html", context)


def _export_sections(data: dict) -> list[tuple[str, object]]:
    """The export as (title, value) pairs for the readable page; lists become tables of rows."""
    return [(key, value) for key, value in data.items() if key != "generated_at"]


@admin.register(ConsentRecord)
class ConsentRecordAdmin(OtherComunesRowsNotFound, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "kind", "notice_version", "channel", "pseudonym_short", "actor"]
    list_filter = ["kind", "channel", "at"]
    search_fields = ["pseudonym"]
    list_select_related = ["subscriber"]

    @admin.display(description=gettext_lazy("chiave pseudonima"))
    def pseudonym_short(self, record: ConsentRecord) -> str:
        return record.pseudonym[:12]


@admin.register(PrivacyNotice)
class PrivacyNoticeAdmin(OtherComunesRowsNotFound, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each comune's versions of its notice. Where several comuni are served a comune's staff
    read their own (another's is a 404, and the filter naming every comune is gone); a
    deployment of one comune keeps the list of every configuration it has had."""

    list_display = ["municipality", "version", "in_force_from"]
    list_filter = ["municipality"]
    fields = ["municipality", "version", "in_force_from", "text"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PrivacyNotice]:
        notices = super().get_queryset(request)
        if not serves_other_comuni():
            return notices
        comune = current_comune()
        # Every console request is scoped where several comuni are served: fail closed.
        return notices.filter(municipality=comune) if comune is not None else notices.none()

    def get_list_filter(self, request: HttpRequest):
        return [] if serves_other_comuni() else self.list_filter


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(OtherComunesRowsNotFound, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "kind", "outcome", "actor", "channel", "subscriber"]
    list_filter = ["kind", "outcome", "channel", "at"]
    list_select_related = ["subscriber"]
