"""The tickets' API shapes: what outside systems read, and what they may send."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from urp_portal.api.queries import QuerySerializer
from urp_portal.gateway.states import MessageKind, OutboundState

from .models import Forward, Message, MunicipalService, Ticket
from .selectors import ticket_is_late
from .states import MessageOrigin, TicketCategory, TicketState

# A reply's or a note's text: a WhatsApp message holds up to 4096 characters.
TEXT_MAX = 4096


class MunicipalServiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = MunicipalService
        fields = ["slug", "name"]
        read_only_fields = fields


class TicketCitizenSerializer(serializers.Serializer):
    """Who wrote: enough to answer them, nothing more."""

    id = serializers.IntegerField(source="pk")
    name = serializers.SerializerMethodField()
    number = serializers.CharField(allow_null=True)

    def get_name(self, subscriber) -> str:
        full = f"{subscriber.first_name} {subscriber.last_name}".strip()
        return full or subscriber.profile_name


def _person(user, label: str) -> str | None:
    if user is not None:
        return user.get_full_name() or user.get_username()
    return label or None


class TicketMessageSerializer(serializers.ModelSerializer):
    origin = serializers.ChoiceField(choices=MessageOrigin.choices)
    kind = serializers.ChoiceField(choices=MessageKind.choices)
    author = serializers.SerializerMethodField(
        help_text=_("Chi l'ha scritto: l'operatore, o «API: <nome del token>»; null: il cittadino.")
    )
    internal = serializers.BooleanField(
        source="is_internal", help_text=_("Nota interna: mai inviata al cittadino.")
    )
    delivery = serializers.SerializerMethodField(
        help_text=_("Lo stato dell'invio per i messaggi inviati al cittadino; null per gli altri.")
    )

    class Meta:
        model = Message
        fields = [
            "id",
            "origin",
            "kind",
            "text",
            "template_name",
            "author",
            "internal",
            "delivery",
            "at",
        ]
        read_only_fields = fields

    def get_author(self, message: Message) -> str | None:
        return _person(message.author, message.author_label)

    @extend_schema_field(serializers.ChoiceField(choices=OutboundState.choices, allow_null=True))
    def get_delivery(self, message: Message) -> str | None:
        return message.outbound.state if message.outbound is not None else None


class TicketForwardSerializer(serializers.ModelSerializer):
    service: serializers.SlugRelatedField[MunicipalService] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = Forward
        fields = ["service", "note", "at", "answer", "answered_at"]
        read_only_fields = fields


class TicketSerializer(serializers.ModelSerializer):
    """A ticket in a list: its state, its deadline, whose it is."""

    state = serializers.ChoiceField(choices=TicketState.choices)
    category = serializers.ChoiceField(choices=[("", ""), *TicketCategory.choices])
    service: serializers.SlugRelatedField[MunicipalService] = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        help_text=_("Il servizio competente (slug), se assegnato."),
    )
    assignee = serializers.SerializerMethodField(help_text=_("L'operatore (nome utente)."))
    citizen = TicketCitizenSerializer(source="subscriber")
    late = serializers.SerializerMethodField(
        help_text=_("In attesa di risposta oltre la scadenza.")
    )

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "state",
            "category",
            "service",
            "assignee",
            "citizen",
            "opened_at",
            "due_at",
            "late",
            "first_response_at",
            "last_message_at",
            "resolved_at",
            "closed_at",
        ]
        read_only_fields = fields

    def get_assignee(self, ticket: Ticket) -> str | None:
        return ticket.assignee.get_username() if ticket.assignee is not None else None

    def get_late(self, ticket: Ticket) -> bool:
        now = self.context.setdefault("now", timezone.now())
        return ticket_is_late(ticket, now)


class TicketDetailSerializer(TicketSerializer):
    """A ticket with its whole chat (both ways, internal notes included) and its forwards."""

    messages = TicketMessageSerializer(many=True)
    forwards = TicketForwardSerializer(many=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "messages", "forwards"]
        read_only_fields = fields


class TicketListQuerySerializer(QuerySerializer):
    state = serializers.ChoiceField(choices=TicketState.choices, required=False)
    service = serializers.SlugField(
        required=False, max_length=50, help_text=_("Slug del servizio competente.")
    )
    q = serializers.CharField(
        required=False,
        max_length=200,
        help_text=_("Cerca nel numero della richiesta (#123), nel nome, nel telefono, nei testi."),
    )


class StrictCharField(serializers.CharField):
    """A string, and only a string: DRF's CharField would take 12 or true as "12", "True",
    which the schema (and a careful client) says are not strings."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class TicketReplyInputSerializer(serializers.Serializer):
    text = StrictCharField(
        required=False,
        max_length=TEXT_MAX,
        help_text=_("Testo libero: solo entro 24 ore dall'ultimo messaggio del cittadino."),
    )
    template = StrictCharField(
        required=False,
        max_length=200,
        help_text=_(
            "Il nome del modello approvato su WhatsApp, fuori dalla finestra di 24 ore. Non per i "
            "servizi comunali, che rispondono all'URP con un testo."
        ),
    )
    parameters = serializers.ListField(
        child=StrictCharField(max_length=1024, allow_blank=True),
        required=False,
        max_length=20,
        help_text=_("I parametri del modello, nell'ordine."),
    )

    def validate(self, attrs):
        text = attrs.get("text", "").strip()
        template = attrs.get("template", "").strip()
        if bool(text) == bool(template):
            raise serializers.ValidationError(
                _("Invia «text» oppure «template» (con «parameters»), non entrambi né nessuno."),
                code="text_or_template",
            )
        if text and attrs.get("parameters"):
            raise serializers.ValidationError(
                {"parameters": _("I parametri valgono solo con un modello.")}
            )
        return {"text": text, "template": template, "parameters": attrs.get("parameters", [])}


class _ServiceOfTheComune(serializers.SlugRelatedField):
    """A service slug, resolved among the request's comune's services (codes are unique within
    a comune only); the queryset is built per request, in its scope, never at import."""

    def get_queryset(self):
        return MunicipalService.objects.filter(is_active=True)


class TicketForwardInputSerializer(serializers.Serializer):
    service = _ServiceOfTheComune(
        slug_field="slug",
        queryset=MunicipalService.all_comuni.filter(is_active=True),
        help_text=_("Slug del servizio comunale (GET /api/v1/services/)."),
        error_messages={
            "does_not_exist": _("Nessun servizio comunale attivo ha lo slug «{value}»."),
            "invalid": _("Indica lo slug del servizio."),
        },
    )
    note = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=TEXT_MAX,
        default="",
        help_text=_("Per il servizio."),
    )


class TicketResolveInputSerializer(serializers.Serializer):
    """Nothing to send: `{}`."""


class TicketAssignInputSerializer(serializers.Serializer):
    assignee = StrictCharField(
        allow_null=True,
        max_length=150,
        help_text=_("Il nome utente di un operatore dell'URP; null per togliere l'assegnazione."),
    )
