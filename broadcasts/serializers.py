"""The broadcasts' API shapes: templates, campaigns and their progress, emergency alerts."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Campaign, MessageTemplate
from .selectors import campaign_counts, message_template_get
from .states import CampaignState, TemplateApproval, TemplateCategory

# The largest id a 64-bit database column holds (a larger number would overflow in the query).
ROW_ID_MAX = 2**63 - 1
TEMPLATE_REF_SCHEMA = {
    "oneOf": [
        {
            "type": "integer",
            "minimum": 1,
            "maximum": ROW_ID_MAX,
            "description": "L'id del modello.",
        },
        {
            "type": "string",
            "minLength": 1,
            "maxLength": 512,
            "pattern": "^[a-z0-9_]+$",
            "description": "Il nome del modello (in italiano se esiste in più lingue).",
        },
    ]
}


class StrictCharField(serializers.CharField):
    """A string, and only a string (DRF's CharField takes 12 or true as "12", "True")."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(TEMPLATE_REF_SCHEMA)
class TemplateRefField(serializers.Field):
    """A message template named by its id (an integer) or by its name (a string): a system that
    knows the template by the name registered with WhatsApp need not look its id up first."""

    default_error_messages = {
        "invalid": _("Indica il modello con il suo id (numero) o il suo nome (testo)."),
        "does_not_exist": _("Nessun modello «{value}»."),
    }

    def to_internal_value(self, data) -> MessageTemplate:
        if isinstance(data, bool) or not isinstance(data, (int, str)) or data == "":
            self.fail("invalid")
        if isinstance(data, int) and not 0 < data <= ROW_ID_MAX:
            self.fail("does_not_exist", value=data)
        if isinstance(data, str) and "\x00" in data:
            # No template's name holds a NUL (PostgreSQL refuses one in a query's text).
            self.fail("does_not_exist", value=data.replace("\x00", ""))
        template = message_template_get(ref=data)
        if template is None:
            self.fail("does_not_exist", value=data)
        return template

    def to_representation(self, value: MessageTemplate) -> int:
        return value.pk


class MessageTemplateSerializer(serializers.ModelSerializer):
    name = serializers.RegexField(r"^[a-z0-9_]+$", max_length=512)
    language = serializers.RegexField(r"^[a-z]{2,3}(_[A-Z]{2})?$", max_length=10, default="it")
    category = serializers.ChoiceField(
        choices=TemplateCategory.choices, default=TemplateCategory.UTILITY
    )
    body = StrictCharField(max_length=1024)
    approval_status = serializers.ChoiceField(
        choices=TemplateApproval.choices,
        default=TemplateApproval.DRAFT,
        help_text=_(
            "Solo un amministratore può indicare un modello già approvato fuori dal prodotto; "
            "per gli altri è «draft»."
        ),
    )
    parameter_count = serializers.IntegerField(read_only=True)
    # Extensions of the contract: what Meta's review needs beyond the body (optional).
    examples = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=20
    )
    footer = serializers.CharField(max_length=60, required=False, allow_blank=True)
    quick_replies = serializers.ListField(
        child=serializers.CharField(max_length=25), required=False, max_length=10
    )
    # The category Meta moved it from ("" when never moved).
    previous_category = serializers.CharField(read_only=True)

    class Meta:
        model = MessageTemplate
        fields = [
            "id",
            "name",
            "language",
            "category",
            "body",
            "approval_status",
            "parameter_count",
            "rejection_reason",
            "examples",
            "footer",
            "quick_replies",
            "provider_id",
            "previous_category",
            "quality",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "parameter_count",
            "rejection_reason",
            "provider_id",
            "previous_category",
            "quality",
            "created_at",
        ]
        # The pair's uniqueness is the service's and the database's to check.
        validators: list = []


class CampaignCountsSerializer(serializers.Serializer):
    recipients = serializers.IntegerField(min_value=0)
    queued = serializers.IntegerField(min_value=0)
    sent = serializers.IntegerField(min_value=0)
    delivered = serializers.IntegerField(min_value=0)
    read = serializers.IntegerField(min_value=0)
    failed = serializers.IntegerField(min_value=0)


class CampaignSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(choices=CampaignState.choices)
    template: serializers.PrimaryKeyRelatedField[MessageTemplate] = (
        serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    )
    parameters = serializers.ListField(child=serializers.CharField(allow_blank=True))
    counts = serializers.SerializerMethodField(
        help_text=_("Avanzamento dell'invio, dai messaggi in uscita (un conteggio raggruppato).")
    )

    class Meta:
        model = Campaign
        fields = [
            "id",
            "title",
            "state",
            "template",
            "parameters",
            "is_emergency",
            "scheduled_at",
            "started_at",
            "finished_at",
            "counts",
        ]
        read_only_fields = fields

    @extend_schema_field(CampaignCountsSerializer)
    def get_counts(self, campaign: Campaign) -> dict[str, int]:
        return campaign_counts(campaign=campaign).as_dict()


class CampaignCreateInputSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200)
    template = TemplateRefField()
    parameters = serializers.ListField(
        child=StrictCharField(max_length=1024, allow_blank=True), required=False, max_length=20
    )


class CampaignScheduleInputSerializer(serializers.Serializer):
    at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text=_("Orario ISO 8601 con fuso; se manca, il prossimo appuntamento libero."),
    )


class EmptyInputSerializer(serializers.Serializer):
    """Nothing to send: `{}`."""


class AlertInputSerializer(serializers.Serializer):
    template = TemplateRefField()
    parameters = serializers.ListField(
        child=StrictCharField(max_length=1024, allow_blank=True), required=False, max_length=20
    )
    title = StrictCharField(required=False, max_length=200)


class AlertSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(choices=CampaignState.choices)

    class Meta:
        model = Campaign
        fields = ["id", "state", "title", "started_at"]
        read_only_fields = fields
