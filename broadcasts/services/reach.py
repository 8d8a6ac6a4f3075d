"""A campaign under Meta's messaging limit (urp_portal/gateway/reach.py): each batch hands off
the citizens inside their 24-hour window (not counted) and those already reached in the last 24
hours (counted once), then as many others as the limit leaves; the rest wait in the queue until
the oldest counted send turns 24 hours old. So a campaign to 6,000 on a 2,000 limit goes out
2,000 per moving 24 hours over three days, and never more."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from urp_portal.gateway import reach

from ..models import Delivery


@dataclass
class WithinReach:
    go: list[Delivery] = field(default_factory=list)
    # Of `go`, the outbox messages that count against the limit (stamped at the hand-off).
    counted_message_ids: list[int] = field(default_factory=list)
    # Set when some deliveries wait for the limit: when the next place frees.
    next_free_at: dt.datetime | None = None


def deliveries_within_reach(deliveries: list[Delivery], *, now: dt.datetime) -> WithinReach:
    limit = reach.messaging_limit()
    numbers = [d.subscriber.number or "" for d in deliveries]
    in_window = reach.numbers_in_window(numbers, now=now)
    outside = [d for d in deliveries if d.subscriber.number not in in_window]
    result = WithinReach()
    if limit is None:
        result.go = list(deliveries)
        result.counted_message_ids = [d.message_id for d in outside]
        return result
    already = reach.numbers_reached([d.subscriber.number or "" for d in outside], now=now)
    left = reach.reach_left(now=now, limit=limit) or 0
    counted: list[Delivery] = []
    for delivery in deliveries:
        number = delivery.subscriber.number
        if number in in_window:
            result.go.append(delivery)
        elif number in already:
            result.go.append(delivery)
            counted.append(delivery)
        elif left > 0:
            left -= 1
            result.go.append(delivery)
            counted.append(delivery)
    result.counted_message_ids = [d.message_id for d in counted]
    if len(result.go) < len(deliveries):
        result.next_free_at = reach.reach_next_free_at(now=now)
    return result
