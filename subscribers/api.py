from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from urp_portal.accounts.permissions import HasRole
from urp_portal.accounts.principals import principal_of
from urp_portal.accounts.roles import Role

from .models import Subscriber
from .serializers import (
    SubscriberExportQuerySerializer,
    SubscriberExportSerializer,
    SubscriberLookupQuerySerializer,
    SubscriberLookupSerializer,
    SubscriberSerializer,
)
from .services import subscriber_export
from .states import ConsentChannel


class SubscriberLookupApi(APIView):
    """One citizen by WhatsApp number. Never a list of numbers: without `number` the answer is
    400, so the API cannot be used to copy the broadcast list."""

    permission_classes = [HasRole(Role.OPERATOR, Role.COMMUNICATIONS)]

    @extend_schema(
        operation_id="subscribers_lookup",
        summary="Cerca un cittadino per numero / look a citizen up by number",
        parameters=[SubscriberLookupQuerySerializer],
        responses=SubscriberLookupSerializer,
        examples=[
            OpenApiExample(
                "trovato",
                value={
                    "results": [
                        {
                            "id": 42,
                            "number": "+393331234567",
                            "status": "subscribed",
                            "profile_name": "Maria",
                            "first_name": "Maria",
                            "last_name": "Rossi",
                            "first_contact_at": "2025-03-03T09:12:00Z",
                            "last_inbound_at": "2025-03-04T10:00:00Z",
                            "subscribed_at": "2025-03-03T09:13:00Z",
                            "unsubscribed_at": None,
                        }
                    ],
                    "next": None,
                },
                response_only=True,
            ),
            OpenApiExample("non trovato", value={"results": [], "next": None}, response_only=True),
        ],
    )
    def get(self, request):
        query = SubscriberLookupQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        # `number` is unique: at most one row, and anonymised citizens have none.
        found = Subscriber.objects.filter(number=query.validated_data["number"])
        return Response({"results": SubscriberSerializer(found, many=True).data, "next": None})


class SubscriberExportApi(APIView):
    """Everything held about one citizen (GDPR art. 15), as the admin's export gives it, and
    audited the same way: who (the token's name or the user), when, why (`reason`)."""

    # Exporting personal data is the administrators' alone, as in the admin.
    permission_classes = [HasRole(Role.ADMINISTRATOR)]

    @extend_schema(
        operation_id="subscribers_export",
        summary="Esporta i dati di un cittadino / GDPR export",
        parameters=[SubscriberExportQuerySerializer],
        responses=SubscriberExportSerializer,
        examples=[
            OpenApiExample(
                "esportazione",
                value={
                    "generated_at": "2025-03-04T10:00:00+00:00",
                    "subscriber": {
                        "number": "+393331234567",
                        "whatsapp_user_id": "",
                        "profile_name": "Maria",
                        "first_name": "Maria",
                        "last_name": "Rossi",
                        "birth_date": None,
                        "status": "iscritto",
                        "first_contact_at": "2025-03-03T09:12:00+00:00",
                        "last_inbound_at": "2025-03-04T09:00:00+00:00",
                        "subscribed_at": "2025-03-03T09:13:00+00:00",
                        "unsubscribed_at": None,
                        "anonymised_at": None,
                    },
                    "consent": [
                        {
                            "event": "iscrizione alla lista broadcast",
                            "at": "2025-03-03T09:13:00+00:00",
                            "channel": "messaggio WhatsApp",
                            "privacy_notice_version": 1,
                            "message_text": "Iscrivimi",
                        }
                    ],
                    "received_messages": [
                        {
                            "at": "2025-03-03T09:12:00+00:00",
                            "kind": "testo",
                            "text": "Iscrivimi",
                            "attachment": "",
                        }
                    ],
                    "sent_messages": [],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, subscriber_id: int):
        query = SubscriberExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        subscriber = get_object_or_404(Subscriber, pk=subscriber_id)
        principal = principal_of(request)
        data = subscriber_export(
            subscriber=subscriber,
            reason=query.validated_data.get("reason") or _("Richiesta tramite API."),
            channel=ConsentChannel.ADMIN,
            actor=str(request.user) if principal.token is not None else "",
            user=principal.user,  # type: ignore[arg-type]
        )
        return Response(data)
