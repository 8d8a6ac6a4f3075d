"""`GET /api/v1/stats/`: the figures the comune's offices publish. The composition root gathers
them because they span every app; each app gives its section (tickets: counts per period and
deadlines met; subscribers: by status; reach: how many a broadcast reaches)."""

from django.db.models import Count
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from subscribers.models import Subscriber
from subscribers.serializers import SubscriberCountsSerializer
from subscribers.states import SubscriberStatus
from tickets.dashboard import PeriodCounts, ticket_counts_per_period
from urp_portal.accounts.permissions import HasRole
from urp_portal.accounts.roles import Role


class TicketPeriodSerializer(serializers.Serializer):
    since = serializers.DateTimeField(help_text="Inizio del periodo (ora di Roma).")
    opened = serializers.IntegerField(min_value=0, help_text="Richieste aperte nel periodo.")
    resolved = serializers.IntegerField(min_value=0, help_text="Richieste risolte nel periodo.")
    answered = serializers.IntegerField(
        min_value=0, help_text="Aperte nel periodo e con una prima risposta."
    )
    answered_within_deadline = serializers.IntegerField(
        min_value=0, help_text="Aperte nel periodo e con la prima risposta entro la scadenza."
    )
    within_deadline_pct = serializers.IntegerField(
        allow_null=True,
        min_value=0,
        max_value=100,
        help_text=(
            "Scadenze rispettate: tra le aperte nel periodo con una risposta o già scadute, la "
            "percentuale con risposta in tempo; null se nessuna."
        ),
    )
    median_first_response_seconds = serializers.IntegerField(
        allow_null=True, min_value=0, help_text="Mediana del tempo di prima risposta, in secondi."
    )


class TicketStatsSerializer(serializers.Serializer):
    today = TicketPeriodSerializer()
    week = TicketPeriodSerializer(help_text="Da lunedì.")
    month = TicketPeriodSerializer(help_text="Dal primo del mese.")


class ReachSerializer(serializers.Serializer):
    broadcast_list = serializers.IntegerField(
        min_value=0,
        help_text="Cittadini iscritti alla lista broadcast: quanti ne raggiunge un invio.",
    )


class StatsSerializer(serializers.Serializer):
    tickets = TicketStatsSerializer()
    subscribers = SubscriberCountsSerializer()
    reach = ReachSerializer()


def subscriber_counts() -> dict:
    """Citizens per status in one grouped query; every status present, zeros included."""
    rows = Subscriber.objects.order_by().values_list("status").annotate(n=Count("id"))
    counted = dict(rows)
    by_status = {state: counted.get(state, 0) for state in SubscriberStatus.values}
    return {"total": sum(by_status.values()), "by_status": by_status}


def _period(counts: PeriodCounts) -> dict:
    median = counts.median_first_response
    return {
        "since": counts.start,
        "opened": counts.opened,
        "resolved": counts.resolved,
        "answered": counts.answered,
        "answered_within_deadline": counts.answered_within_deadline,
        "within_deadline_pct": counts.within_deadline_pct,
        "median_first_response_seconds": None if median is None else int(median.total_seconds()),
    }


_PERIOD_EXAMPLE = {
    "opened": 14,
    "resolved": 11,
    "answered": 12,
    "answered_within_deadline": 12,
    "within_deadline_pct": 100,
    "median_first_response_seconds": 2520,
}


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
                    "tickets": {
                        "today": {**_PERIOD_EXAMPLE, "since": "2025-03-05T00:00:00+01:00"},
                        "week": {
                            **_PERIOD_EXAMPLE,
                            "since": "2025-03-03T00:00:00+01:00",
                            "opened": 48,
                            "within_deadline_pct": 96,
                        },
                        "month": {
                            **_PERIOD_EXAMPLE,
                            "since": "2025-03-01T00:00:00+01:00",
                            "opened": 52,
                            "within_deadline_pct": 96,
                        },
                    },
                    "subscribers": {
                        "total": 1250,
                        "by_status": {
                            "contact": 400,
                            "subscribed": 780,
                            "unsubscribed": 40,
                            "blocked": 2,
                            "anonymised": 28,
                        },
                    },
                    "reach": {"broadcast_list": 780},
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        periods = ticket_counts_per_period(now=timezone.now())
        subscribers = subscriber_counts()
        body = {
            "tickets": {name: _period(counts) for name, counts in periods.items()},
            "subscribers": subscribers,
            "reach": {"broadcast_list": subscribers["by_status"][SubscriberStatus.SUBSCRIBED]},
        }
        return Response(StatsSerializer(body).data)
