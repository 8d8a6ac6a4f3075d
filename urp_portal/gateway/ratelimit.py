"""The outbound rate limiter, shared by every worker on every machine.

One algorithm (GCRA with no burst, i.e. evenly spaced slots) over two stores: Redis when
REDIS_URL is set (an atomic Lua script on Redis's own clock), else a database row locked with
select_for_update (the embedded default, where all processes share one SQLite file). A caller
*reserves* the next free slot of a bucket and is told how long to wait for it; since slots are
`interval` apart, no window of one second ever holds more than `rate` sends.
"""

from __future__ import annotations

import time
from functools import cache

from django.conf import settings
from django.db import transaction

from .models import RateSlot

KEY_PREFIX = "urp:rate:"
# Slots are spaced 1.5% wider than 1/rate: the limiter's clock is not the provider's, and network
# jitter can bring two slots closer on arrival (the benchmark saw 81 in one sliding second at
# exactly 1/rate). 81 sends in a second then need 15 ms of jitter, and a long broadcast takes
# 1.5% longer than the rate allows (the goal is within 3%).
HEADROOM = 0.985
GLOBAL_KEY = "global"

_RESERVE_LUA = """
local now = redis.call('TIME')
local t = tonumber(now[1]) * 1000000 + tonumber(now[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < t then tat = t end
local next_at = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', next_at), 'PX',
           math.ceil((next_at - t) / 1000) + 1000)
return tat - t
"""


@cache
def _redis_script():
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    return client.register_script(_RESERVE_LUA)


def _reserve_in_redis(key: str, interval: float) -> float:
    wait_us = _redis_script()(keys=[KEY_PREFIX + key], args=[int(interval * 1_000_000)])
    return int(wait_us) / 1_000_000


def _reserve_in_database(key: str, interval: float) -> float:
    with transaction.atomic():
        RateSlot.objects.bulk_create([RateSlot(key=key)], ignore_conflicts=True)
        slot = RateSlot.objects.select_for_update().get(key=key)
        now = time.time()
        slot_at = max(slot.next_at, now)
        slot.next_at = slot_at + interval
        slot.save(update_fields=["next_at"])
    return slot_at - now


def reserve(key: str, interval: float) -> float:
    """Reserve the next slot of bucket `key` (slots `interval` seconds apart); the seconds to
    wait until it is due (0 when it is now)."""
    if interval <= 0:
        return 0.0
    if settings.REDIS_URL:
        return _reserve_in_redis(key, interval)
    return _reserve_in_database(key, interval)


def take_global_token() -> None:
    """Block until this process may send one message under WHATSAPP_RATE_PER_SECOND (0 = off).
    Each worker holds at most one reservation, so the wait is bounded by workers / rate."""
    rate = settings.WHATSAPP_RATE_PER_SECOND
    if rate <= 0:
        return
    wait = reserve(GLOBAL_KEY, 1.0 / (rate * HEADROOM))
    if wait > 0:
        time.sleep(wait)


def reserve_recipient_slot(recipient: str) -> float:
    """Seconds until a message to this recipient keeps clear of the pair rate limit (131056)."""
    return reserve(f"to:{recipient}", settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS)


def push_back_recipient(recipient: str, seconds: float) -> None:
    """After a pair-rate error, keep the next message to this recipient `seconds` away."""
    reserve(f"to:{recipient}", seconds)


def reset_redis() -> None:
    """Forget every bucket kept in Redis (tests; the database's go with the test database)."""
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        keys = list(client.scan_iter(match=KEY_PREFIX + "*"))
        if keys:
            client.delete(*keys)
