"""Reads of the broadcasts app: campaign reports and the dashboard's numbers."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Case, Count, F, Q, QuerySet, Sum, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from subscribers.models import Subscriber
from subscribers.states import SubscriberStatus
from urp_portal.gateway.models import OutboundMessage
from urp_portal.gateway.provider_errors import provider_error_explain
from urp_portal.gateway.states import OutboundState
from urp_portal.municipality.calendar import ROME
from urp_portal.municipality.scope import owned_by_current

from .models import Campaign, CampaignStateCount, Delivery, MessageTemplate
from .states import Audience, CampaignState, TemplateCategory

# The share of recipients whose arrival time the report gives.
MILESTONES = (50, 90, 100)


# --- who receives a campaign ----------------------------------------------------------------------

# The one definition of each audience (Campaign.audience): read to plan a campaign, again at each
# batch (someone may have written "Cancellami" meanwhile), and for the list's size.
_AUDIENCES: dict[str, Q] = {
    # On the list, not blocked (a block changes the status), with a number (not erased).
    Audience.ALL_SUBSCRIBED: Q(status=SubscriberStatus.SUBSCRIBED, number__isnull=False),
}


def audience_recipients(*, audience: str, marketing: bool = False) -> QuerySet[Subscriber]:
    """Who receives a campaign addressed to `audience`, now; for a marketing one, not who
    stopped marketing messages in WhatsApp."""
    recipients = Subscriber.objects.filter(_AUDIENCES[audience])
    if marketing:
        recipients = recipients.filter(marketing_stopped_at__isnull=True)
    return recipients


def campaign_is_marketing(campaign: Campaign) -> bool:
    """A campaign on a marketing template (its `category`, Meta's): WhatsApp's own "stop
    marketing messages" control applies to it. Emergency alerts are utility, always sent."""
    template = campaign.template
    return (
        not campaign.is_emergency
        and template is not None
        and template.category == TemplateCategory.MARKETING
    )


def campaign_recipients(*, campaign: Campaign) -> QuerySet[Subscriber]:
    """Who receives this campaign, now (its `audience`, and its template's category): the
    citizens of the running comune only; on a deployment serving several, none without a
    comune's scope (municipality/scope.py: a campaign never reaches another comune's)."""
    return audience_recipients(
        audience=campaign.audience, marketing=campaign_is_marketing(campaign)
    ).filter(owned_by_current())


def message_template_get(*, ref: int | str) -> MessageTemplate | None:
    """A template by its id (an int) or its name (a str); a name registered in several
    languages gives the Italian one, else the first by language."""
    if isinstance(ref, int):
        return MessageTemplate.objects.filter(pk=ref).first()
    return (
        MessageTemplate.objects.filter(name=ref)
        .order_by(Case(When(language="it", then=0), default=1), "language")
        .first()
    )


HELD_BACK_CODE = "131049"


@dataclass(frozen=True)
class FailureRow:
    code: str
    count: int
    what: str
    what_to_do: str


@dataclass
class CampaignCounts:
    recipients: int = 0
    queued: int = 0
    sent: int = 0
    delivered: int = 0
    read: int = 0
    failed: int = 0
    cancelled: int = 0
    failed_by_error: dict[str, int] = field(default_factory=dict)

    @property
    def reached(self) -> int:
        """Accepted by WhatsApp: sent, delivered or read."""
        return self.sent + self.delivered + self.read

    @property
    def done(self) -> int:
        return self.reached + self.failed

    def percent(self, value: int) -> float:
        return round(100 * value / self.recipients, 1) if self.recipients else 0.0

    @property
    def held_back(self) -> int:
        """Citizens Meta held back under its per-user marketing limit (131049)."""
        return self.failed_by_error.get(HELD_BACK_CODE, 0)

    def failures(self) -> list[FailureRow]:
        """The failures by error, most frequent first, each explained in Italian."""
        rows = []
        for code, count in sorted(self.failed_by_error.items(), key=lambda item: -item[1]):
            explained = provider_error_explain(code)
            rows.append(
                FailureRow(
                    code=code,
                    count=count,
                    what=str(explained.what) if explained else "",
                    what_to_do=str(explained.what_to_do) if explained else "",
                )
            )
        return rows

    def as_dict(self) -> dict[str, int]:
        return {
            "recipients": self.recipients,
            "queued": self.queued,
            "sent": self.sent,
            "delivered": self.delivered,
            "read": self.read,
            "failed": self.failed,
        }


def _campaign_messages(campaign: Campaign) -> QuerySet[OutboundMessage]:
    return OutboundMessage.objects.filter(delivery__campaign=campaign)


def campaign_counts(*, campaign: Campaign, errors: bool = False) -> CampaignCounts:
    """A campaign's counts. On PostgreSQL from its counters (CampaignStateCount: a sum over a
    few rows, kept by the database as the messages move, so they trail WhatsApp only by the
    statuses not applied yet); elsewhere (the embedded default, small lists) counted from its
    outbox messages in one grouped query. `errors`: also the failures per error code, counted
    from the failed messages (the report page). Recipients are the planned deliveries less the
    cancelled ones (unsubscribed meanwhile)."""
    if connection.vendor == "postgresql":
        counts = _counts_from_counters(campaign)
        if errors and counts.failed:
            failed = (
                _campaign_messages(campaign)
                .filter(state=OutboundState.FAILED)
                .order_by()
                .values("error_code")
                .annotate(n=Count("id"))
            )
            counts.failed_by_error = {row["error_code"] or "?": row["n"] for row in failed}
        return counts
    rows = (
        _campaign_messages(campaign)
        .order_by()
        .values("state", "error_code")
        .annotate(n=Count("id"))
    )
    by_state: dict[str, int] = {}
    counts = CampaignCounts()
    for row in rows:
        by_state[row["state"]] = by_state.get(row["state"], 0) + row["n"]
        if row["state"] == OutboundState.FAILED:
            code = row["error_code"] or "?"
            counts.failed_by_error[code] = counts.failed_by_error.get(code, 0) + row["n"]
    return _fill(counts, by_state)


def _counts_from_counters(campaign: Campaign) -> CampaignCounts:
    by_state = dict(
        CampaignStateCount.objects.filter(campaign=campaign)
        .order_by()
        .values_list("state")
        .annotate(n=Sum("n"))
    )
    return _fill(CampaignCounts(), by_state)


def _fill(counts: CampaignCounts, by_state: dict[str, int]) -> CampaignCounts:
    counts.queued = by_state.get(OutboundState.QUEUED, 0) + by_state.get(OutboundState.SENDING, 0)
    counts.sent = by_state.get(OutboundState.SENT, 0)
    counts.delivered = by_state.get(OutboundState.DELIVERED, 0)
    counts.read = by_state.get(OutboundState.READ, 0)
    counts.failed = by_state.get(OutboundState.FAILED, 0)
    counts.cancelled = by_state.get(OutboundState.CANCELLED, 0)
    counts.recipients = counts.queued + counts.sent + counts.delivered + counts.read + counts.failed
    return counts


def _reached_times(campaign: Campaign) -> QuerySet[OutboundMessage, Any]:
    """When each recipient was reached (sent, else delivered, else read), in time order."""
    return (
        _campaign_messages(campaign)
        .annotate(reached_at=Coalesce("sent_at", "delivered_at", "read_at"))
        .filter(reached_at__isnull=False)
        .exclude(state__in=[OutboundState.FAILED, OutboundState.CANCELLED])
        .order_by("reached_at")
        .values_list("reached_at", flat=True)
    )


def campaign_milestones(
    *, campaign: Campaign, counts: CampaignCounts
) -> dict[int, dt.timedelta | None]:
    """How long after the start 50%, 90% and 100% of the recipients had the message (sent or
    delivered); None for a share not reached yet."""
    result: dict[int, dt.timedelta | None] = {}
    reached_qs = _reached_times(campaign)
    for share in MILESTONES:
        needed = math.ceil(counts.recipients * share / 100)
        if campaign.started_at is None or needed == 0 or counts.reached < needed:
            result[share] = None
            continue
        at = reached_qs[needed - 1 : needed].first()
        result[share] = (at - campaign.started_at) if at is not None else None
    return result


def campaign_progress_series(*, campaign: Campaign, points: int = 30) -> list[tuple[float, int]]:
    """(seconds since the start, recipients reached by then), for the report's chart."""
    if campaign.started_at is None:
        return []
    times = list(_reached_times(campaign))
    if not times:
        return [(0.0, 0)]
    step = max(1, len(times) // points)
    series = [(0.0, 0)]
    for index in range(step - 1, len(times), step):
        series.append(((times[index] - campaign.started_at).total_seconds(), index + 1))
    if series[-1][1] != len(times):
        series.append(((times[-1] - campaign.started_at).total_seconds(), len(times)))
    return series


def campaign_delivery_rows(*, campaign: Campaign) -> Iterator[Any]:
    """One row per delivery for the CSV export, streamed."""
    return (
        Delivery.objects.filter(campaign=campaign)
        .order_by("id")
        .values(
            "subscriber_id",
            "state",
            "handed_off_at",
            number=F("subscriber__number"),
            message_state=F("message__state"),
            sent_at=F("message__sent_at"),
            delivered_at=F("message__delivered_at"),
            read_at=F("message__read_at"),
            error_code=F("message__error_code"),
            error_message=F("message__error_message"),
        )
        .iterator(chunk_size=2000)
    )


# --- dashboard ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrowthPoint:
    day: dt.date
    subscribed: int
    unsubscribed: int
    total: int


def subscriber_growth(*, days: int = 30, today: dt.date | None = None) -> list[GrowthPoint]:
    """Per day of the last `days`: new subscriptions, departures, and the list's size at the
    day's end (counted back from today's size; a citizen who left and came back counts once,
    on the day of their last subscription)."""
    today = today or timezone.localdate()
    first = today - dt.timedelta(days=days - 1)
    start = dt.datetime.combine(first, dt.time.min, tzinfo=ROME)
    joined = dict(
        Subscriber.objects.filter(subscribed_at__gte=start)
        .annotate(day=TruncDate("subscribed_at", tzinfo=ROME))
        .order_by()
        .values_list("day")
        .annotate(n=Count("id"))
    )
    left = dict(
        Subscriber.objects.filter(unsubscribed_at__gte=start)
        .annotate(day=TruncDate("unsubscribed_at", tzinfo=ROME))
        .order_by()
        .values_list("day")
        .annotate(n=Count("id"))
    )
    total = audience_recipients(audience=Audience.ALL_SUBSCRIBED).count()
    points: list[GrowthPoint] = []
    for offset in range(days):
        day = today - dt.timedelta(days=offset)
        points.append(GrowthPoint(day, joined.get(day, 0), left.get(day, 0), total))
        total = total - joined.get(day, 0) + left.get(day, 0)
    return list(reversed(points))


@dataclass(frozen=True)
class ReachPoint:
    day: dt.date
    campaigns: int
    recipients: int
    reached: int
    read: int


def broadcast_reach(*, days: int = 30, today: dt.date | None = None) -> list[ReachPoint]:
    """Per day of the last `days` on which broadcasts started: how many, to how many people,
    how many had them (sent, delivered or read) and how many read them; one query."""
    today = today or timezone.localdate()
    start = dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time.min, tzinfo=ROME)
    reached = [OutboundState.SENT, OutboundState.DELIVERED, OutboundState.READ]
    rows = (
        Delivery.objects.filter(campaign__started_at__gte=start)
        .exclude(campaign__state=CampaignState.DRAFT)
        .annotate(day=TruncDate("campaign__started_at", tzinfo=ROME))
        .order_by("day")
        .values("day")
        .annotate(
            campaigns=Count("campaign", distinct=True),
            recipients=Count("id", filter=~Q(message__state=OutboundState.CANCELLED)),
            reached=Count("id", filter=Q(message__state__in=reached)),
            read=Count("id", filter=Q(message__state=OutboundState.READ)),
        )
    )
    return [
        ReachPoint(r["day"], r["campaigns"], r["recipients"], r["reached"], r["read"]) for r in rows
    ]
