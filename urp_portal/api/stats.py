"""`GET /api/v1/stats/`: the figures the comune's offices publish. The composition root gathers
them because they span every app; each app adds its section as it lands (tickets: counts per
period and deadlines met; broadcasts: reach)."""

from django.db.models import Count
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from subscribers.models import Subscriber
from subscribers.serializers import SubscriberCountsSerializer
from subscribers.states import SubscriberStatus
from urp_portal.accounts.permissions import HasRole
from urp_portal.accounts.roles import Role


class StatsSerializer(serializers.Serializer):
    subscribers = SubscriberCountsSerializer()


def subscriber_counts() -> dict:
    """Citizens per status in one grouped query; every status present, zeros included."""
    rows = Subscriber.objects.order_by().values_list("status").annotate(n=Count("id"))
    counted = dict(rows)
    by_status = {state: counted.get(state, 0) for state in SubscriberStatus.values}
    return {"total": sum(by_status.values()), "by_status": by_status}


class StatsApi(APIView):
    # Aggregates only, no personal data: every office may read them, not a service's system.
    permission_classes = [HasRole(Role.OPERATOR, Role.COMMUNICATIONS, Role.MODERATOR)]

    @extend_schema(
        operation_id="stats",
        summary="Statistiche / statistics",
        responses=StatsSerializer,
        examples=[
            OpenApiExample(
                "statistiche",
                value={
                    "subscribers": {
                        "total": 1250,
                        "by_status": {
                            "contact": 400,
                            "subscribed": 780,
                            "unsubscribed": 40,
                            "blocked": 2,
                            "anonymised": 28,
                        },
                    }
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        return Response({"subscribers": subscriber_counts()})
