"""Campaigns with a live preview, the buttons that move a campaign (each calling one service), and
the report with progress and chart."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from urp_portal.core.admin import user_errors, user_errors_as_validation
from urp_portal.municipality.admin_scope import OtherComunesRowsNotFound
from urp_portal.municipality.errors import UserError

from .. import selectors, services
from ..models import Campaign, CampaignEvent, MessageTemplate
from ..outlook import campaign_outlook
from ..preview import whatsapp_to_html
from ..states import CAMPAIGN_LOCKED_STATES, CampaignState, TemplateApproval, campaign_verbs
from .message_templates import PREVIEW_CSS, PREVIEW_JS
from .reports import _chart, _csv_lines


class ParametersField(forms.CharField):
    """The template's values, one per line: {{1}} on the first, {{2}} on the second..."""

    widget = forms.Textarea(attrs={"rows": 4, "data-wa-parameters": "1"})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        lines = text.replace("\r\n", "\n").split("\n")
        while lines and not lines[-1].strip():
            lines.pop()
        return [line.strip() for line in lines]


def _formfield_at_import(field, **kwargs):
    # The form class is built at import, outside any comune's scope, where the templates'
    # default manager would refuse to say whose rows (scope.py): no rows then; __init__ gives
    # each form the scope's templates, and the admin builds its form per request anyway.
    # (ForeignKey.formfield asks the default manager even when given a queryset.)
    if field.name == "template":
        return forms.ModelChoiceField(
            queryset=MessageTemplate.all_comuni.none(),
            required=False,
            label=capfirst(field.verbose_name),
            **kwargs,
        )
    return field.formfield(**kwargs)


class CampaignForm(forms.ModelForm):
    parameters = ParametersField(
        label=_("valori dei parametri"),
        required=False,
        help_text=_("Uno per riga: la prima riga è {{1}}, la seconda {{2}}, ..."),
    )

    class Meta:
        model = Campaign
        fields = ["title", "is_emergency", "template", "parameters", "text", "image"]
        widgets = {"text": forms.Textarea(attrs={"rows": 6, "data-wa-text": "1"})}
        formfield_callback = _formfield_at_import

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "template" in self.fields:
            field = self.fields["template"]
            # On the <select> itself: the admin wraps it (the "+" link), and the wrapper's attrs
            # do not reach a freshly copied form's select, so the live preview never saw it.
            select = field.widget
            if isinstance(select, RelatedFieldWidgetWrapper):
                select = select.widget
            select.attrs["data-wa-template"] = "1"
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = MessageTemplate.objects.exclude(
                approval_status=TemplateApproval.REJECTED
            )

    def clean(self):
        data = super().clean() or {}
        if not self.errors and {"template", "parameters", "text"} <= data.keys():
            with user_errors_as_validation():
                services.campaign_preview(
                    template=data["template"], parameters=data["parameters"], text=data["text"]
                )
        return data


class CampaignEventInline(admin.TabularInline):
    model = CampaignEvent
    extra = 0
    can_delete = False
    fields = ["at", "from_state", "to_state", "by", "reason"]
    readonly_fields = ["at", "from_state", "to_state", "by", "reason"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# Labels of the change page's buttons, in the order shown; which ones a campaign gets is read off
# the transition table (states.campaign_verbs).
CAMPAIGN_ACTIONS = {
    "approve": _("Approva"),
    "schedule": _("Programma"),
    "send": _("Invia ora"),
    "unschedule": _("Togli dalla programmazione"),
    "pause": _("Metti in pausa"),
    "resume": _("Riprendi"),
    "cancel": _("Annulla la campagna"),
}


@admin.register(Campaign)
class CampaignAdmin(OtherComunesRowsNotFound, admin.ModelAdmin):
    form = CampaignForm
    change_form_template = "admin/broadcasts/campaign/change_form.html"
    list_display = [
        "title",
        "is_emergency",
        "state",
        "scheduled_at",
        "started_at",
        "recipients_count",
        "approved_by",
    ]
    list_filter = ["state", "is_emergency"]
    list_select_related = ["approved_by"]
    search_fields = ["title", "text"]
    inlines = [CampaignEventInline]
    readonly_fields = [
        "state",
        "message_preview",
        "created_by",
        "approved_by",
        "approved_at",
        "scheduled_at",
        "slot",
        "started_at",
        "finished_at",
        "recipients_count",
    ]

    class Media:
        js = [PREVIEW_JS]
        css = {"all": [PREVIEW_CSS]}

    def get_readonly_fields(self, request, obj=None):
        fields: list[str] = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.state in CAMPAIGN_LOCKED_STATES:
            fields += ["title", "is_emergency", "template", "parameters", "text", "image"]
        return fields

    @admin.display(description=_("anteprima"))
    def message_preview(self, obj: Campaign):
        try:
            text = services.campaign_preview(
                template=obj.template, parameters=obj.parameters, text=obj.text
            )
        except UserError as error:
            return error.message
        return whatsapp_to_html(text)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        content = {
            "title": data["title"],
            "template": data["template"],
            "parameters": data["parameters"],
            "text": data["text"],
        }
        image = data.get("image")
        if change:
            services.campaign_edit(
                campaign_id=obj.pk,
                actor=request.user,
                image=image if image and "image" in form.changed_data else None,
                clear_image=image is False,
                is_emergency=data["is_emergency"],
                **content,
            )
        else:
            created = services.campaign_create(
                actor=request.user,
                image=image or None,
                is_emergency=data["is_emergency"],
                **content,
            )
            obj.pk = created.pk
            obj.state = created.state

    def save_related(self, request, form, formsets, change):
        # No many-to-many to save, and the events inline is read-only: the services write the
        # events. Saving the (empty) formsets only lets the admin's history describe the change.
        for formset in formsets:
            formset.save()

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_urls(self):
        urls = [
            path(
                "<int:pk>/azione/<str:name>/",
                self.admin_site.admin_view(require_POST(self.action_view)),
                name="broadcasts_campaign_action",
            ),
            path(
                "<int:pk>/report/",
                self.admin_site.admin_view(self.report_view),
                name="broadcasts_campaign_report",
            ),
            path(
                "<int:pk>/report.csv",
                self.admin_site.admin_view(self.report_csv_view),
                name="broadcasts_campaign_report_csv",
            ),
        ]
        return urls + super().get_urls()

    def _available_actions(self, request, campaign: Campaign) -> list[tuple[str, str]]:
        if not self.has_change_permission(request, campaign):
            return []
        verbs = campaign_verbs(campaign.state)
        names = [name for name in CAMPAIGN_ACTIONS if name in verbs]
        labels = dict(CAMPAIGN_ACTIONS)
        if campaign.is_emergency:
            labels["approve"] = _("Conferma e invia l'avviso di emergenza")
        return [(name, str(labels[name])) for name in names]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        campaign = self.get_object(request, object_id)
        if campaign is not None:
            extra_context["campaign_actions"] = self._available_actions(request, campaign)
            if campaign.state in (CampaignState.DRAFT, CampaignState.APPROVED):
                # Before approval: who, when under Meta's limit, how much (outlook.py).
                outlook = campaign_outlook(campaign=campaign)
                extra_context["outlook"] = outlook
                extra_context["outlook_plan"] = outlook.plan_words(now=timezone.now())
        extra_context["template_bodies"] = {
            str(pk): body for pk, body in MessageTemplate.objects.values_list("pk", "body")
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        extra_context = extra_context or {}
        extra_context["template_bodies"] = {
            str(pk): body for pk, body in MessageTemplate.objects.values_list("pk", "body")
        }
        return super().add_view(request, form_url, extra_context)

    def action_view(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        campaign = get_object_or_404(Campaign, pk=pk)
        if not self.has_change_permission(request, campaign):
            raise PermissionDenied
        actor = request.user
        with user_errors(request) as attempt:
            if name == "approve":
                services.campaign_approve(campaign_id=pk, actor=actor)
            elif name == "schedule":
                services.campaign_schedule(
                    campaign_id=pk, actor=actor, at=self._chosen_time(request.POST.get("at", ""))
                )
            elif name == "unschedule":
                services.campaign_unschedule(campaign_id=pk, actor=actor)
            elif name == "send":
                services.campaign_start(
                    campaign_id=pk, actor=actor, reason=gettext("invio immediato")
                )
            elif name == "pause":
                services.campaign_pause(campaign_id=pk, actor=actor)
            elif name == "resume":
                services.campaign_resume(campaign_id=pk, actor=actor)
            elif name == "cancel":
                services.campaign_cancel(campaign_id=pk, actor=actor)
            else:
                raise PermissionDenied
        if not attempt.failed:
            campaign.refresh_from_db()
            self.message_user(
                request,
                gettext("Campagna «%(title)s»: %(state)s.")
                % {"title": campaign.title, "state": campaign.get_state_display()},
            )
        return HttpResponseRedirect(reverse("admin:broadcasts_campaign_change", args=[pk]))

    @staticmethod
    def _chosen_time(value: str) -> dt.datetime | None:
        if not value.strip():
            return None
        parsed = parse_datetime(value.strip())
        if parsed is None:
            raise UserError(gettext("Orario non valido."), code="invalid_time")
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        return parsed

    def report_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = get_object_or_404(Campaign.objects.select_related("template"), pk=pk)
        if not self.has_view_permission(request, campaign):
            raise PermissionDenied
        counts = selectors.campaign_counts(campaign=campaign, errors=True)
        milestones = selectors.campaign_milestones(campaign=campaign, counts=counts)
        series = selectors.campaign_progress_series(campaign=campaign)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Andamento: %(title)s") % {"title": campaign.title},
            "campaign": campaign,
            "counts": counts,
            "failures": counts.failures(),
            "held_back": counts.held_back,
            "milestones": [(share, milestones[share]) for share in selectors.MILESTONES],
            "chart": _chart(series, counts.recipients),
            "reached_percent": counts.percent(counts.reached),
            "failed_percent": counts.percent(counts.failed),
            "live": campaign.state == CampaignState.SENDING,
            "preview": self.message_preview(campaign),
        }
        return TemplateResponse(request, "admin/broadcasts/campaign/report.html", context)

    def report_csv_view(self, request: HttpRequest, pk: int) -> StreamingHttpResponse:
        campaign = get_object_or_404(Campaign, pk=pk)
        if not self.has_view_permission(request, campaign):
            raise PermissionDenied
        response = StreamingHttpResponse(
            _csv_lines(selectors.campaign_delivery_rows(campaign=campaign)),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="campagna-{campaign.pk}.csv"'
        return response
