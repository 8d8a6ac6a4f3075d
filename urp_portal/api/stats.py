"""`GET /api/v1/stats/`: the figures the comune's offices publish. The composition root gathers
them because they span every app; each app gives its section (tickets: counts per period and
deadlines met; subscribers: by status; broadcasts: how far they reached)."""

import datetime as dt

from django.db.models import Count
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from broadcasts.selectors import broadcast_reach
from subscribers.models import Subscriber
from subscribers.serializers import SubscriberCountsSerializer
from subscribers.states import SubscriberStatus
from tickets.dashboard import PeriodCounts, period_starts, ticket_counts_per_period
from tickets.figures import satisfaction_breakdown, satisfaction_since, surveys_between
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


class ReachPeriodSerializer(serializers.Serializer):
    campaigns = serializers.IntegerField(min_value=0, help_text="Invii partiti nel periodo.")
    recipients = serializers.IntegerField(min_value=0, help_text="I loro destinatari.")
    reached = serializers.IntegerField(
        min_value=0, help_text="Destinatari raggiunti (inviato, consegnato o letto)."
    )
    read = serializers.IntegerField(min_value=0, help_text="Destinatari che l'hanno letto.")


class ReachSerializer(serializers.Serializer):
    broadcast_list = serializers.IntegerField(
        min_value=0,
        help_text="Cittadini iscritti alla lista broadcast: quanti ne raggiunge un invio.",
    )
    today = ReachPeriodSerializer()
    week = ReachPeriodSerializer()
    month = ReachPeriodSerializer()


class SatisfactionFiguresSerializer(serializers.Serializer):
    sent = serializers.IntegerField(min_value=0, help_text="Questionari inviati.")
    answered = serializers.IntegerField(min_value=0, help_text="Questionari con una risposta.")
    response_pct = serializers.IntegerField(allow_null=True, min_value=0, max_value=100)
    average = serializers.FloatField(
        allow_null=True, help_text="Media delle risposte: 1 insoddisfatto, 3 soddisfatto."
    )
    satisfied_pct = serializers.IntegerField(
        allow_null=True, min_value=0, max_value=100, help_text="Soddisfatti tra chi ha risposto."
    )


class SatisfactionGroupSerializer(SatisfactionFiguresSerializer):
    group = serializers.CharField(
        help_text="Il mese (AAAA-MM), il servizio, la categoria o l'operatore."
    )


class SatisfactionBreakdownSerializer(serializers.Serializer):
    month = SatisfactionGroupSerializer(many=True)
    service = SatisfactionGroupSerializer(many=True)
    category = SatisfactionGroupSerializer(many=True)
    operator = SatisfactionGroupSerializer(many=True)


class SatisfactionStatsSerializer(serializers.Serializer):
    month = SatisfactionFiguresSerializer(help_text="Questionari inviati dal primo del mese.")
    year = SatisfactionFiguresSerializer(help_text="Questionari inviati dal primo gennaio.")
    year_by = SatisfactionBreakdownSerializer(
        help_text="Quest'anno per mese, servizio, categoria e operatore."
    )


class StatsSerializer(serializers.Serializer):
    tickets = TicketStatsSerializer()
    subscribers = SubscriberCountsSerializer()
    reach = ReachSerializer()
    satisfaction = SatisfactionStatsSerializer()


def satisfaction_stats(*, now: dt.datetime) -> dict:
    """The satisfaction survey's answers (issue #22): this month and this year in one query;
    this year per month, service, category and operator in four more, once a survey went."""
    month = period_starts(now)["month"]
    year = month.replace(month=1)
    totals = satisfaction_since({"month": month, "year": year}, now=now)
    if totals["year"].sent:
        by = satisfaction_breakdown(surveys_between(year, now + dt.timedelta(seconds=1)))
    else:
        by = {"month": [], "service": [], "category": [], "operator": []}
    return {
        "month": totals["month"].as_dict(),
        "year": totals["year"].as_dict(),
        "year_by": by,
    }


def subscriber_counts() -> dict:
    """Citizens per status in one grouped query; every status present, zeros included."""
    rows = Subscriber.objects.order_by().values_list("status").annotate(n=Count("id"))
    counted = dict(rows)
    by_status = {state: counted.get(state, 0) for state in SubscriberStatus.values}
    return {"total": sum(by_status.values()), "by_status": by_status}


def reach_per_period(*, now: dt.datetime) -> dict[str, dict[str, int]]:
    """The broadcasts started today, this week and this month, and how far they reached: the
    broadcasts app's daily figures (one query), added up per period."""
    starts = {name: start.date() for name, start in period_starts(now).items()}
    today = timezone.localdate(now)
    days = (today - min(starts.values())).days + 1
    points = broadcast_reach(days=days, today=today)
    return {
        name: {
            field: sum(getattr(point, field) for point in points if point.day >= start)
            for field in ("campaigns", "recipients", "reached", "read")
        }
        for name, start in starts.items()
    }


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
                    "reach": {
                        "broadcast_list": 780,
                        "today": {"campaigns": 0, "recipients": 0, "reached": 0, "read": 0},
                        "week": {"campaigns": 1, "recipients": 779, "reached": 771, "read": 540},
                        "month": {
                            "campaigns": 3,
                            "recipients": 2330,
                            "reached": 2301,
                            "read": 1622,
                        },
                    },
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        now = timezone.now()
        periods = ticket_counts_per_period(now=now)
        subscribers = subscriber_counts()
        body = {
            "tickets": {name: _period(counts) for name, counts in periods.items()},
            "subscribers": subscribers,
            "reach": {
                "broadcast_list": subscribers["by_status"][SubscriberStatus.SUBSCRIBED],
                **reach_per_period(now=now),
            },
            "satisfaction": satisfaction_stats(now=now),
        }
        return Response(StatsSerializer(body).data)
