"""The figures on the console's home page: how the URP is doing, today and this month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import Ticket
from .states import TicketState

DAYS_CHARTED = 14


@dataclass
class Dashboard:
    open: int
    new_today: int
    late: int
    within_deadline_pct: int | None
    median_first_response: dt.timedelta | None
    per_service: list[dict] = field(default_factory=list)
    per_day: list[dict] = field(default_factory=list)


def _median_first_response(tickets) -> dt.timedelta | None:
    answered = tickets.filter(first_response_at__isnull=False).annotate(
        waited=ExpressionWrapper(
            F("first_response_at") - F("opened_at"), output_field=DurationField()
        )
    )
    count = answered.count()
    if not count:
        return None
    # The database sorts; one row comes back whatever the month's volume.
    return answered.order_by("waited").values_list("waited", flat=True)[count // 2]


def dashboard_for(*, now: dt.datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    local = timezone.localtime(now)
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month = today.replace(day=1)
    working = Ticket.objects.exclude(state__in=TicketState.finished())
    late_q = Q(state__in=TicketState.pending(), due_at__lt=now)
    this_month = Ticket.objects.filter(opened_at__gte=month)
    # Judged: answered, or past the deadline without an answer.
    judged = this_month.filter(Q(first_response_at__isnull=False) | Q(due_at__lt=now))
    figures = judged.aggregate(
        judged=Count("pk"), on_time=Count("pk", filter=Q(first_response_at__lte=F("due_at")))
    )
    pct = round(100 * figures["on_time"] / figures["judged"]) if figures["judged"] else None
    per_service = list(
        working.values("service__name")
        .annotate(open=Count("pk"), late=Count("pk", filter=late_q))
        .order_by("-open")
    )
    widest = max((row["open"] for row in per_service), default=0) or 1
    for row in per_service:
        row["width"] = round(100 * row["open"] / widest)
    since = today - dt.timedelta(days=DAYS_CHARTED - 1)
    counted = dict(
        Ticket.objects.filter(opened_at__gte=since)
        .annotate(day=TruncDate("opened_at", tzinfo=local.tzinfo))
        .values_list("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    days = [(since + dt.timedelta(days=i)).date() for i in range(DAYS_CHARTED)]
    tallest = max(counted.values(), default=0) or 1
    per_day = [
        {"day": d, "n": counted.get(d, 0), "height": round(100 * counted.get(d, 0) / tallest)}
        for d in days
    ]
    return Dashboard(
        open=working.count(),
        new_today=Ticket.objects.filter(opened_at__gte=today).count(),
        late=Ticket.objects.filter(late_q).count(),
        within_deadline_pct=pct,
        median_first_response=_median_first_response(this_month),
        per_service=per_service,
        per_day=per_day,
    )


@dataclass
class PeriodCounts:
    start: dt.datetime
    opened: int
    resolved: int
    # Opened in the period and answered (a reply, a service's direct answer, a redirect).
    answered: int
    answered_within_deadline: int
    # Opened in the period and judged (answered, or past the deadline without an answer): the
    # share of these answered in time is the "deadlines met" figure, as on the home page.
    within_deadline_pct: int | None
    median_first_response: dt.timedelta | None


def period_starts(now: dt.datetime) -> dict[str, dt.datetime]:
    """Today, this week (from Monday) and this month, in the comune's time."""
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "today": today,
        "week": today - dt.timedelta(days=today.weekday()),
        "month": today.replace(day=1),
    }


def ticket_counts_per_period(*, now: dt.datetime | None = None) -> dict[str, PeriodCounts]:
    """Tickets opened, resolved and answered in time, today, this week and this month: the
    counts in one query, each period's median first response in two more."""
    now = now or timezone.now()
    starts = period_starts(now)
    earliest = min(starts.values())
    on_time = Q(first_response_at__isnull=False, first_response_at__lte=F("due_at"))
    judged = Q(first_response_at__isnull=False) | Q(due_at__lt=now)
    aggregates = {}
    for name, start in starts.items():
        opened = Q(opened_at__gte=start)
        aggregates[f"{name}_opened"] = Count("pk", filter=opened)
        aggregates[f"{name}_resolved"] = Count("pk", filter=Q(resolved_at__gte=start))
        aggregates[f"{name}_answered"] = Count(
            "pk", filter=opened & Q(first_response_at__isnull=False)
        )
        aggregates[f"{name}_on_time"] = Count("pk", filter=opened & on_time)
        aggregates[f"{name}_judged"] = Count("pk", filter=opened & judged)
    figures = Ticket.objects.filter(
        Q(opened_at__gte=earliest) | Q(resolved_at__gte=earliest)
    ).aggregate(**aggregates)
    periods = {}
    for name, start in starts.items():
        judged_count = figures[f"{name}_judged"]
        periods[name] = PeriodCounts(
            start=start,
            opened=figures[f"{name}_opened"],
            resolved=figures[f"{name}_resolved"],
            answered=figures[f"{name}_answered"],
            answered_within_deadline=figures[f"{name}_on_time"],
            within_deadline_pct=(
                round(100 * figures[f"{name}_on_time"] / judged_count) if judged_count else None
            ),
            median_first_response=(
                _median_first_response(Ticket.objects.filter(opened_at__gte=start))
                if figures[f"{name}_answered"]
                else None
            ),
        )
    return periods
