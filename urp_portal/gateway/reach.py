"""Meta's messaging limit: a business portfolio may reach only so many unique citizens outside
their 24-hour customer-service window per moving 24 hours (250 for a new portfolio, then 2,000,
10,000, 100,000, unlimited; developers.facebook.com/documentation/business-messaging/whatsapp/
messaging-limits). Citizens inside their window are not counted.

Every template that leaves for a citizen outside their window is stamped `reach_counted_at`
when it is handed to the gateway (campaign batches and single template sends alike); the count
is the distinct recipients stamped in the last 24 hours, failed sends left out (Meta counts what
it delivers). A campaign hands off only what fits and waits for the oldest stamp to turn 24 hours
old, so it goes out over days, never above the limit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Min

from .models import InboundMessage, OutboundMessage
from .states import OutboundState

ROLLING = dt.timedelta(hours=24)
SERVICE_WINDOW = dt.timedelta(hours=24)


def messaging_limit() -> int | None:
    """The portfolio's limit: the comune's configuration, kept up to date from Meta by the
    template sync where Meta says it. None: no limit."""
    from urp_portal.municipality.models import Municipality

    return (
        Municipality.objects.filter(is_active=True)
        .values_list("messaging_limit", flat=True)
        .first()
    )


def _counted(now: dt.datetime):
    return OutboundMessage.objects.filter(reach_counted_at__gt=now - ROLLING).exclude(
        state__in=[OutboundState.FAILED, OutboundState.CANCELLED]
    )


def reach_used(*, now: dt.datetime) -> int:
    """Unique citizens reached outside their window in the 24 hours before `now`."""
    return _counted(now).values("to").distinct().count()


def reach_left(*, now: dt.datetime, limit: int | None = None) -> int | None:
    """How many more citizens may be reached outside their window now; None: unlimited."""
    limit = messaging_limit() if limit is None else limit
    if limit is None:
        return None
    return max(0, limit - reach_used(now=now))


def reach_next_free_at(*, now: dt.datetime) -> dt.datetime:
    """When the oldest counted send leaves the moving 24 hours (frees a place)."""
    oldest = _counted(now).aggregate(oldest=Min("reach_counted_at"))["oldest"]
    return (oldest + ROLLING) if oldest else now


def numbers_in_window(numbers: Iterable[str], *, now: dt.datetime) -> set[str]:
    """The numbers among `numbers` that wrote to us in the last 24 hours."""
    wanted = [n for n in numbers if n]
    if not wanted:
        return set()
    return set(
        InboundMessage.objects.filter(sender__in=wanted, sent_at__gt=now - SERVICE_WINDOW)
        .values_list("sender", flat=True)
        .distinct()
    )


def numbers_reached(numbers: Iterable[str], *, now: dt.datetime) -> set[str]:
    """The numbers already counted in the last 24 hours: reaching them again costs nothing."""
    wanted = [n for n in numbers if n]
    if not wanted:
        return set()
    return set(_counted(now).filter(to__in=wanted).values_list("to", flat=True).distinct())


@dataclass(frozen=True)
class ReachDay:
    """One day of a plan: how many citizens, from when."""

    starts_at: dt.datetime
    count: int


def reach_plan(
    *, outside_window: int, now: dt.datetime, limit: int | None, urgent: bool = False
) -> list[ReachDay]:
    """How `outside_window` citizens are reached under the limit: what is left now, then a full
    limit every 24 hours. (An alert takes all that is left today at once: the same plan, first.)"""
    if outside_window <= 0:
        return []
    if limit is None:
        return [ReachDay(starts_at=now, count=outside_window)]
    left = reach_left(now=now, limit=limit) or 0
    days: list[ReachDay] = []
    remaining = outside_window
    first = min(left, remaining)
    if first:
        days.append(ReachDay(starts_at=now, count=first))
        remaining -= first
    start = reach_next_free_at(now=now) if not first else now + ROLLING
    if start <= now:
        start = now + ROLLING
    while remaining > 0 and limit > 0:
        count = min(limit, remaining)
        days.append(ReachDay(starts_at=start, count=count))
        remaining -= count
        start += ROLLING
    return days


def messaging_limit_refresh() -> bool:
    """Read the portfolio's limit from the provider where it says it, into the comune's
    configuration. False when the provider does not say (the configured value stays)."""
    from urp_portal.municipality.models import Municipality

    from .adapters import get_adapter

    read = getattr(get_adapter(), "messaging_limit", None)
    if read is None:
        return False
    known, limit = read()
    if not known:
        return False
    Municipality.objects.filter(is_active=True).update(
        messaging_limit=limit, messaging_limit_from_provider=True
    )
    return True
