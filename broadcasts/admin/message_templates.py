"""Message templates with a live preview, submitted to Meta for review and synced back."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from urp_portal.core.admin import user_errors, user_errors_as_validation
from urp_portal.municipality.admin_scope import OtherComunesRowsNotFound
from urp_portal.municipality.errors import UserError

from .. import services
from ..models import MessageTemplate
from ..states import PROVIDER_TEMPLATE_STATUSES, TemplateApproval

PREVIEW_JS = "broadcasts/preview.js"
PREVIEW_CSS = "broadcasts/preview.css"


class LinesField(forms.CharField):
    """A list of short texts, one per line (a JSON list in the model)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [line.strip() for line in str(text).splitlines() if line.strip()]


class MessageTemplateForm(forms.ModelForm):
    examples = LinesField(
        label=_("Valori di esempio"),
        required=False,
        help_text=_("Uno per riga, nell'ordine dei parametri: Meta li chiede per la revisione."),
    )
    quick_replies = LinesField(
        label=_("Risposte rapide"),
        required=False,
        help_text=_("Un pulsante per riga (al massimo 10, 25 caratteri ciascuno)."),
    )

    class Meta:
        model = MessageTemplate
        fields = [
            "name",
            "language",
            "category",
            "body",
            "examples",
            "footer",
            "quick_replies",
            "header_image",
            "provider_id",
        ]
        widgets = {"body": forms.Textarea(attrs={"rows": 8, "data-wa-body": "1"})}
        help_texts = {
            "provider_id": _(
                "Lo assegna il fornitore all'invio in revisione (con Twilio è il Content SID, "
                "HX...). Per un modello creato fuori dal prodotto, indicarlo qui."
            )
        }

    def clean_quick_replies(self):
        replies = self.cleaned_data["quick_replies"]
        if len(replies) > 10 or any(len(reply) > 25 for reply in replies):
            raise ValidationError(gettext("Al massimo 10 risposte rapide di 25 caratteri."))
        return replies

    def clean_body(self):
        body = self.cleaned_data["body"]
        with user_errors_as_validation():
            services.templates.template_body_validate(body)
        return body

    def clean(self):
        cleaned = super().clean() or {}
        # An edit Meta would refuse (too soon, another category) is refused here, before
        # anything is saved.
        if self.instance.pk and set(self.changed_data) & CONTENT_FIELDS:
            with user_errors_as_validation():
                services.template_edit_check(
                    template=self.instance, category=cleaned.get("category", "")
                )
        return cleaned


# What the provider reviews: a change to any of these sends the template back for review.
CONTENT_FIELDS = {"body", "examples", "footer", "quick_replies", "header_image", "category"}


@admin.register(MessageTemplate)
class MessageTemplateAdmin(OtherComunesRowsNotFound, admin.ModelAdmin):
    form = MessageTemplateForm
    change_form_template = "admin/broadcasts/messagetemplate/change_form.html"
    list_display = ["name", "language", "category", "approval_status", "quality", "synced_at"]
    list_filter = ["approval_status", "category", "language"]
    search_fields = ["name", "body"]
    readonly_fields = [
        "approval_status",
        "rejection_reason",
        "previous_category",
        "quality",
        "provider_said",
        "submitted_at",
        "submitted_text",
        "status_changed_at",
        "status_changed_by",
        "synced_at",
    ]
    actions = ["submit_for_review", "mark_approved", "mark_rejected", "sync_statuses"]

    class Media:
        js = [PREVIEW_JS]
        css = {"all": [PREVIEW_CSS]}

    @admin.display(description=_("stato presso il fornitore"))
    def provider_said(self, obj) -> str:
        # Meta's word, in ours first: while a change waits here as a draft, Meta may still hold
        # the approved version.
        ours = PROVIDER_TEMPLATE_STATUSES.get(obj.provider_status)
        if ours is None:
            return obj.provider_status or "-"
        return f"{TemplateApproval(ours).label} ({obj.provider_status})"

    @admin.display(description=_("testo inviato in revisione"))
    def submitted_text(self, obj) -> str:
        # What the provider's verdict is about, which may differ from the text being written.
        return (obj.submitted_content or {}).get("body", "") or "-"

    def save_model(self, request, obj, form, change):
        edited = change and bool(CONTENT_FIELDS & set(form.changed_data))
        if edited:
            services.message_template_text_changed(template=obj)
        super().save_model(request, obj, form, change)
        if edited and obj.provider_id:
            # The provider already holds it: the change goes to review at once, as an edit of
            # that template. Refused, it stays a draft here, ready for "Invia in revisione".
            with user_errors(request, about=str(obj)) as attempt:
                services.message_template_submit(template_id=obj.pk, actor=request.user)
            if not attempt.failed:
                self.message_user(
                    request,
                    gettext(
                        "Modifica inviata in revisione: il modello torna usabile se approvata."
                    ),
                )

    def _set_status(self, request, queryset, status: str) -> None:
        done = 0
        for template in queryset:
            with user_errors(request, about=str(template)) as attempt:
                services.message_template_set_status(
                    template_id=template.pk, status=status, actor=request.user
                )
            done += not attempt.failed
        if done:
            self.message_user(
                request,
                gettext("%(n)d modelli ora «%(status)s».")
                % {"n": done, "status": TemplateApproval(status).label},
            )

    @admin.action(description=_("Invia in revisione al fornitore"))
    def submit_for_review(self, request, queryset):
        done = 0
        for template in queryset:
            try:
                services.message_template_submit(template_id=template.pk, actor=request.user)
                done += 1
            except UserError as error:
                self.message_user(request, f"{template}: {error.message}", messages.ERROR)
        if done:
            self.message_user(
                request,
                gettext("%(n)d modelli inviati in revisione: lo stato si aggiorna da solo.")
                % {"n": done},
            )

    @admin.action(description=_("Segna come approvati"), permissions=["approve"])
    def mark_approved(self, request, queryset):
        self._set_status(request, queryset, TemplateApproval.APPROVED)

    @admin.action(description=_("Segna come rifiutati"), permissions=["approve"])
    def mark_rejected(self, request, queryset):
        self._set_status(request, queryset, TemplateApproval.REJECTED)

    @admin.action(description=_("Aggiorna gli stati dal gateway"))
    def sync_statuses(self, request, queryset):
        changed = services.template_sync_statuses()
        if changed is None:
            self.message_user(
                request,
                gettext("Il gateway configurato non fornisce lo stato dei modelli."),
                messages.WARNING,
            )
        else:
            self.message_user(request, gettext("Stati aggiornati: %(n)d.") % {"n": changed})

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm("broadcasts.approve_messagetemplate")


# --- campaigns ------------------------------------------------------------------------------------
