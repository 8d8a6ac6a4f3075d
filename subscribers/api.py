from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from urp_portal.accounts.permissions import HasRole
from urp_portal.accounts.roles import Role

from .models import Subscriber
from .serializers import (
    SubscriberLookupQuerySerializer,
    SubscriberLookupSerializer,
    SubscriberSerializer,
)


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
