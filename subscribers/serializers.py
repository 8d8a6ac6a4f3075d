from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from urp_portal.api.queries import QuerySerializer

from .models import Subscriber
from .states import SubscriberStatus

E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"


class SubscriberLookupQuerySerializer(serializers.Serializer):
    number = serializers.RegexField(
        E164_PATTERN,
        max_length=16,
        help_text=_(
            "Il numero in formato E.164, es. +393331234567 (nell'URL il «+» si scrive %2B)."
        ),
        error_messages={
            "invalid": _(
                # Formatted with the value as parameter: the percent sign is doubled.
                "Numero non valido: serve il formato E.164, es. +393331234567 (nell'URL il «+» "
                "si scrive %%2B)."
            ),
        },
    )


class SubscriberSerializer(serializers.ModelSerializer):
    class Meta:
        model = Subscriber
        fields = [
            "id",
            "number",
            "status",
            "profile_name",
            "first_name",
            "last_name",
            "first_contact_at",
            "last_inbound_at",
            "subscribed_at",
            "unsubscribed_at",
        ]
        read_only_fields = fields


class SubscriberLookupSerializer(serializers.Serializer):
    """A lookup answers like a list (DESIGN.md: `results`, `next`), with one citizen or none."""

    results = SubscriberSerializer(many=True)
    next = serializers.URLField(allow_null=True)


class SubscriberCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(min_value=0)
    by_status = serializers.DictField(
        child=serializers.IntegerField(min_value=0),
        help_text=_("Quanti cittadini per stato: %(states)s.")
        % {"states": ", ".join(SubscriberStatus.values)},
    )


class SubscriberExportQuerySerializer(QuerySerializer):
    reason = serializers.CharField(
        required=False,
        max_length=500,
        help_text=_(
            "Perché: ad esempio il protocollo della richiesta del cittadino. Resta nel registro "
            "anche dopo la cancellazione: niente nomi o numeri."
        ),
    )


class SubscriberExportSerializer(serializers.Serializer):
    """The GDPR export (art. 15): the sections below, plus one per app that holds more about the
    citizen (e.g. their tickets), under its own title."""

    generated_at = serializers.DateTimeField()
    subscriber = serializers.DictField()
    consent = serializers.ListField(child=serializers.DictField())
    received_messages = serializers.ListField(child=serializers.DictField())
    sent_messages = serializers.ListField(child=serializers.DictField())
