from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from .admin_scope import OtherComunesRowsNotFound, may_change_what_comuni_share
from .keywords import normalize_keyword
from .models import BroadcastSlot, Closure, Keyword, Municipality, OfficeHoursSlot
from .scope import current_comune
from .selectors import municipality_calendar
from .services import municipality_activate, validate_keywords, validate_office_slots


def _live_forms(formset):
    return [
        form
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE", False)
    ]


class OfficeSlotFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        slots = [
            (f.cleaned_data["weekday"], f.cleaned_data["opens_at"], f.cleaned_data["closes_at"])
            for f in _live_forms(self)
            if {"weekday", "opens_at", "closes_at"} <= f.cleaned_data.keys()
        ]
        validate_office_slots(slots)


class KeywordFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        live = [f for f in _live_forms(self) if {"kind", "word"} <= f.cleaned_data.keys()]
        validate_keywords((f.cleaned_data["kind"], f.cleaned_data["word"]) for f in live)
        for form in live:
            form.instance.normalized = normalize_keyword(form.cleaned_data["word"])


class OfficeSlotInline(admin.TabularInline):
    model = OfficeHoursSlot
    formset = OfficeSlotFormSet
    extra = 0


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


class KeywordInline(admin.TabularInline):
    model = Keyword
    formset = KeywordFormSet
    extra = 0


class BroadcastSlotInline(admin.TabularInline):
    model = BroadcastSlot
    extra = 0


@admin.register(Municipality)
class MunicipalityAdmin(OtherComunesRowsNotFound, admin.ModelAdmin):
    list_display = ["name", "whatsapp_number", "mode", "is_active", "office_hours"]
    list_filter = ["is_active", "mode"]
    readonly_fields = ["is_active", "office_hours"]
    inlines = [OfficeSlotInline, ClosureInline, KeywordInline, BroadcastSlotInline]
    actions = ["activate"]

    def get_queryset(self, request):
        # A console session works for one comune (accounts/request_scope.py): its
        # configuration only; another comune's is not there (unscoped, one comune: all).
        queryset = super().get_queryset(request)
        scoped = current_comune()
        return queryset.filter(pk=scoped.pk) if scoped is not None else queryset

    fieldsets = [
        (None, {"fields": ["name", "slug", "whatsapp_number", "is_active", "office_hours"]}),
        (
            _("Servizio"),
            {
                "fields": [
                    "mode",
                    "identity_required",
                    "answer_deadline_working_days",
                    "services_may_reply_directly",
                    "quiet_hours_start",
                    "quiet_hours_end",
                ]
            },
        ),
        (
            _("Avvisi e campagne: quattro occhi"),
            {"fields": ["emergency_integration_name", "campaign_four_eyes"]},
        ),
        (
            _("Calendario"),
            {
                "fields": [
                    "holiday_province",
                    "patron_saint",
                    "patron_day",
                    "patron_month",
                ]
            },
        ),
        (
            _("Altri canali"),
            {
                "fields": [
                    "channel_phone",
                    "channel_email",
                    "channel_pec",
                    "channel_app",
                    "channel_web",
                ]
            },
        ),
        (
            _("Testi inviati ai cittadini"),
            {
                "fields": [
                    "welcome_text",
                    "privacy_notice_text",
                    "privacy_notice_version",
                    "already_subscribed_text",
                    "unsubscribed_text",
                    "not_subscribed_text",
                    "first_contact_text",
                    "identity_request_text",
                    "out_of_hours_text",
                    "media_not_accepted_text",
                    "broadcast_only_text",
                    "official_channel_text",
                ]
            },
        ),
        (
            _("Doveri dell'URP"),
            {
                "fields": [
                    "first_contact_notice",
                    "first_contact_notice_text",
                    "privacy_notice_url",
                    "acknowledgement_text",
                    "urp_head_email",
                    "satisfaction_survey_enabled",
                    "satisfaction_question_text",
                    "satisfaction_thanks_text",
                    "reports_handling",
                    "records_access_handling",
                ]
            },
        ),
        (
            _("Conservazione dei dati"),
            {
                "fields": [
                    "unsubscribed_data_retention_days",
                    "message_retention_days",
                ]
            },
        ),
    ]

    # Where several comuni are served, adding or removing a comune and choosing the deployment's
    # active one are the provider's (its pages, or a superuser): a comune's administrator keeps
    # its own configuration, and could otherwise make a comune nobody serves, or hand itself the
    # rows that belong to the active comune (municipality_activate).
    def has_add_permission(self, request) -> bool:
        return may_change_what_comuni_share(request) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return may_change_what_comuni_share(request) and super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not may_change_what_comuni_share(request):
            actions.pop("activate", None)
        return actions

    @admin.display(description=_("orari"))
    def office_hours(self, obj):
        if obj.pk is None:
            return "-"
        return municipality_calendar(obj).describe_hours() or _("nessun orario: solo broadcast")

    @admin.action(description=_("Rendi attiva la configurazione selezionata"))
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Seleziona una sola configurazione."), messages.ERROR)
            return
        try:
            municipality = municipality_activate(municipality=queryset.get())
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        self.message_user(
            request, _("%(name)s è ora la configurazione attiva.") % {"name": municipality}
        )
