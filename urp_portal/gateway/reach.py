"""Meta's messaging limit: a business portfolio may reach only so many unique citizens outside
their 24-hour customer-service window per moving 24 hours (250 for a new portfolio, then 2,000,
10,000, 100,000, unlimited; developers.facebook.com/documentation/business-messaging/whatsapp/
messaging-limits). Citizens inside their window are not counted.

Every template that leaves for a citizen outside their window is stamped `reach_counted_at`
when it is handed to the gateway (campaign batches and single template sends alike); the count
is the distinct recipients stamped in the last 24 hours, failed sends left out (Meta counts what
it delivers). A campaign hands off only what fits and waits for the oldest stamp to turn 24 hours
old, so it goes out over days, never above the limit.

Many comuni (issue #24): since 7 October 2025 Meta sets the limit per business portfolio, shared
by all its numbers (messaging-limits; upcoming-messaging-limits-changes). The portfolio is the
comuni whose numbers share the running comune's business portfolio id where the provider
recorded one (WhatsAppNumber.business_portfolio_id), or its WABA (for the active comune
without a number, the deployment's: WHATSAPP_BUSINESS_PORTFOLIO_ID where set, and
WHATSAPP_BUSINESS_ACCOUNT_ID): a WABA belongs to exactly one portfolio, so comuni in one WABA
surely share a limit (numbers.messaging_limit_groups_of).
Every count below is of that group's sends; the service window is the comune's number's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Min, Q

from urp_portal.municipality.scope import current_comune, owned_by, serves_other_comuni

from .models import InboundMessage, OutboundMessage
from .states import OutboundState

ROLLING = dt.timedelta(hours=24)
SERVICE_WINDOW = dt.timedelta(hours=24)


def portfolio_comune_ids() -> tuple[tuple[int, ...], bool]:
    """(the comuni sharing the running comune's messaging limit, whether the active comune is
    among them): numbers.portfolio_of, by portfolio id where recorded, else by WABA.
    ((), True) outside a scope or with one comune: everything, as before."""
    from .numbers import portfolio_of

    comune = current_comune()
    if comune is None or not serves_other_comuni():
        return (), True
    return portfolio_of(comune)


def _portfolio() -> Q:
    """The outbox rows whose sends count against the running comune's portfolio's limit."""
    ids, with_active = portfolio_comune_ids()
    if not ids:
        return Q()
    mine = Q(comune__in=ids)
    return mine | Q(comune__isnull=True) if with_active else mine


def messaging_limit() -> int | None:
    """The portfolio's limit: the running comune's configuration (the active one's outside a
    scope), kept up to date from Meta by the template sync where Meta says it. None: no limit."""
    from urp_portal.municipality.models import Municipality

    comune = current_comune()
    if comune is not None:
        return comune.messaging_limit
    return (
        Municipality.objects.filter(is_active=True)
        .values_list("messaging_limit", flat=True)
        .first()
    )


def _counted(now: dt.datetime):
    return (
        OutboundMessage.objects.filter(reach_counted_at__gt=now - ROLLING)
        .filter(_portfolio())
        .exclude(state__in=[OutboundState.FAILED, OutboundState.CANCELLED])
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
    """The numbers among `numbers` that wrote to us (to the running comune's number) in the
    last 24 hours: the window is the business number's."""
    wanted = [n for n in numbers if n]
    if not wanted:
        return set()
    return set(
        InboundMessage.objects.filter(sender__in=wanted, sent_at__gt=now - SERVICE_WINDOW)
        .filter(owned_by(current_comune()))
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
    """Read the portfolio's limit from the provider where it says it, into the configuration
    of the running comune and of the comuni sharing its portfolio (the active one outside a
    scope), asked for the comune's number with its token. False when the provider does not say
    (the configured value stays)."""
    from urp_portal.municipality.models import Municipality

    from .adapters import get_adapter
    from .numbers import sending_number_for

    read = getattr(get_adapter(), "messaging_limit", None)
    if read is None:
        return False
    comune = current_comune()
    account = sending_number_for(comune.pk) if comune is not None else None
    known, limit = read(account=account) if account is not None else read()
    if not known:
        return False
    ids, with_active = portfolio_comune_ids()
    comuni = Municipality.objects.filter(
        Q(pk__in=ids) | (Q(is_active=True) if with_active else Q(pk__in=[]))
        if ids
        else Q(is_active=True)
    )
    comuni.update(messaging_limit=limit, messaging_limit_from_provider=True)
    if comune is not None:
        # The scope's object is what this unit of work reads next.
        comune.messaging_limit = limit
    return True
