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
