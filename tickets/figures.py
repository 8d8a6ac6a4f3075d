"""The tickets' figures for the satisfaction statistics, the late ones by age and the comune's
yearly or monthly report: reads only, grouped in the database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Avg, Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from urp_portal.gateway.states import MessageKind

from .dashboard import _median_first_response
from .models import Message, SatisfactionSurvey, Ticket
from .states import MessageOrigin, SurveyScore, TicketCategory, TicketState

# The late tickets by how long past their deadline (calendar days), as the dashboard shows them.
LATE_AGES = [
    (0, 1, _("da meno di un giorno")),
    (1, 3, _("da 1-2 giorni")),
    (3, 8, _("da 3-7 giorni")),
    (8, None, _("da più di una settimana")),
]


def late_by_age(*, now: dt.datetime | None = None) -> list[dict]:
    """How many pending tickets are late, by age of the delay; one query."""
    now = now or timezone.now()
    aggregates = {}
    for index, (low, high, _label) in enumerate(LATE_AGES):
        window = Q(due_at__lte=now - dt.timedelta(days=low))
        if high is not None:
            window &= Q(due_at__gt=now - dt.timedelta(days=high))
        aggregates[f"a{index}"] = Count("pk", filter=window)
    counts = Ticket.objects.filter(state__in=TicketState.pending(), due_at__lt=now).aggregate(
        **aggregates
    )
    return [
        {"label": label, "n": counts[f"a{index}"], "since_days": low}
        for index, (low, _high, label) in enumerate(LATE_AGES)
    ]


@dataclass
class Satisfaction:
    sent: int
    answered: int
    average: float | None
    satisfied_pct: int | None

    @property
    def response_pct(self) -> int | None:
        return round(100 * self.answered / self.sent) if self.sent else None

    def as_dict(self) -> dict:
        return {
            "sent": self.sent,
            "answered": self.answered,
            "response_pct": self.response_pct,
            "average": self.average,
            "satisfied_pct": self.satisfied_pct,
        }


def _satisfaction_aggregates() -> dict:
    answered = Q(score__isnull=False)
    return {
        "sent": Count("pk"),
        "answered": Count("pk", filter=answered),
        "average": Avg("score", filter=answered),
        "satisfied": Count("pk", filter=Q(score=SurveyScore.SATISFIED)),
    }


def _satisfaction(row: dict) -> Satisfaction:
    answered = row["answered"]
    return Satisfaction(
        sent=row["sent"],
        answered=answered,
        average=round(float(row["average"]), 2) if row["average"] is not None else None,
        satisfied_pct=round(100 * row["satisfied"] / answered) if answered else None,
    )


def surveys_between(start: dt.datetime, end: dt.datetime) -> QuerySet[SatisfactionSurvey]:
    return SatisfactionSurvey.objects.filter(sent_at__gte=start, sent_at__lt=end)


def satisfaction_total(surveys: QuerySet[SatisfactionSurvey]) -> Satisfaction:
    return _satisfaction(surveys.aggregate(**_satisfaction_aggregates()))


def satisfaction_since(
    starts: dict[str, dt.datetime], *, now: dt.datetime
) -> dict[str, Satisfaction]:
    """The totals since each of `starts` (e.g. this month, this year) in one query."""
    earliest = min(starts.values())
    aggregates = {}
    for name, start in starts.items():
        for key, aggregate in _satisfaction_aggregates().items():
            aggregate.filter = Q(sent_at__gte=start) & (aggregate.filter or Q())
            aggregates[f"{name}_{key}"] = aggregate
    row = SatisfactionSurvey.objects.filter(sent_at__gte=earliest, sent_at__lte=now).aggregate(
        **aggregates
    )
    return {
        name: _satisfaction(
            {key: row[f"{name}_{key}"] for key in ("sent", "answered", "average", "satisfied")}
        )
        for name in starts
    }


def satisfaction_breakdown(surveys: QuerySet[SatisfactionSurvey]) -> dict[str, list[dict]]:
    """Satisfaction per month, service, category and operator: four grouped queries."""
    category_labels = dict(TicketCategory.choices)
    groups = {
        "month": (TruncMonth("sent_at", tzinfo=timezone.get_current_timezone()), None),
        "service": (F("ticket__service__name"), _("URP (nessun servizio)")),
        "category": (F("ticket__category"), _("non classificata")),
        "operator": (F("ticket__assignee__username"), _("nessun operatore")),
    }
    breakdown: dict[str, list[dict]] = {}
    for name, (expression, empty) in groups.items():
        rows = (
            surveys.order_by()
            .annotate(group=expression)
            .values("group")
            .annotate(**_satisfaction_aggregates())
            .order_by("group")
        )
        result = []
        for row in rows:
            key = row["group"]
            if name == "month":
                label = f"{timezone.localtime(key):%Y-%m}" if key else ""
            elif name == "category":
                label = str(category_labels.get(key, "") or empty)
            else:
                label = str(key or empty)
            result.append({"group": label, **_satisfaction(row).as_dict()})
        breakdown[name] = result
    return breakdown


@dataclass
class TicketFigures:
    opened: int
    resolved: int
    answered: int
    answered_within_term: int
    within_term_pct: int | None
    median_first_response: dt.timedelta | None
    by_category: list[dict]
    by_service: list[dict]
    by_kind: list[dict]
    redirected_elsewhere: int


def ticket_figures(*, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> TicketFigures:
    """The requests opened in [start, end): how many, by category, service and kind of first
    message, answered within the term and how fast."""
    opened = Ticket.objects.filter(opened_at__gte=start, opened_at__lt=end)
    on_time = Q(first_response_at__isnull=False, first_response_at__lte=F("due_at"))
    judged = Q(first_response_at__isnull=False) | Q(due_at__lt=now)
    counts = opened.aggregate(
        opened=Count("pk"),
        answered=Count("pk", filter=Q(first_response_at__isnull=False)),
        on_time=Count("pk", filter=on_time),
        judged=Count("pk", filter=judged),
        redirected=Count("pk", filter=Q(closing_reason="official_channel")),
    )
    resolved = Ticket.objects.filter(resolved_at__gte=start, resolved_at__lt=end).count()
    category_labels = dict(TicketCategory.choices)
    by_category = [
        {"group": str(category_labels.get(row["category"]) or _("non classificata")), "n": row["n"]}
        for row in opened.order_by().values("category").annotate(n=Count("pk")).order_by("-n")
    ]
    by_service = [
        {"group": row["service__name"] or str(_("URP (nessun servizio)")), "n": row["n"]}
        for row in opened.order_by().values("service__name").annotate(n=Count("pk")).order_by("-n")
    ]
    # The first message of each ticket: how citizens wrote (text, photo, voice note...).
    kind_labels = dict(MessageKind.choices)
    first_kind = Subquery(
        Message.objects.filter(ticket=OuterRef("pk"), origin=MessageOrigin.CITIZEN)
        .order_by("at", "pk")
        .values("kind")[:1]
    )
    by_kind = [
        {"group": f"WhatsApp · {kind_labels.get(row['kind'], row['kind'] or '—')}", "n": row["n"]}
        for row in opened.order_by()
        .annotate(kind=first_kind)
        .values("kind")
        .annotate(n=Count("pk"))
        .order_by("-n")
    ]
    return TicketFigures(
        opened=counts["opened"],
        resolved=resolved,
        answered=counts["answered"],
        answered_within_term=counts["on_time"],
        within_term_pct=round(100 * counts["on_time"] / counts["judged"])
        if counts["judged"]
        else None,
        median_first_response=_median_first_response(opened) if counts["answered"] else None,
        by_category=by_category,
        by_service=by_service,
        by_kind=by_kind,
        redirected_elsewhere=counts["redirected"],
    )
