"""The outbound rate limiter, shared by every worker on every machine.

One algorithm (GCRA with no burst, i.e. evenly spaced slots) over two stores: Redis when
REDIS_URL is set (an atomic Lua script on Redis's own clock), else a database row locked with
select_for_update (the embedded default, where all processes share one SQLite file). A caller
*reserves* the next free slot of a bucket and is told how long to wait for it; since slots are
`interval` apart, no window of one second ever holds more than `rate` sends.

Each business number has its own buckets, as Meta counts throughput per number (a deployment
serving several comuni: `number`; "" is the deployment's own number). A number's global bucket
is shared by three classes (lanes.SendClass), with priority rather
than reserved shares: a share kept for citizens would be lost to the broadcast whenever nobody
writes (most of the time), and a broadcast must use the whole rate then. So:
- a message to a citizen reserves the next free slot at once, however far ahead the slots are
  taken: it waits at most for the one slot a broadcast holds (below), never for the broadcast;
- a broadcast (and an alert) takes a slot only when it is near, at most one interval or 50 ms
  ahead (bulk_ahead): otherwise it is told when to ask again and reserves nothing. The
  broadcast's pace is therefore what the citizens leave, slot by slot, and its senders keep
  the chain of slots unbroken (they hold the next few) so an idle moment loses no capacity;
- an alert that is refused leaves a short-lived mark that refuses broadcasts too, so while an
  alert is waiting the free slots go to it, and a normal broadcast resumes when it is through.
Every slot, whoever takes it, moves the same bucket by one interval: the global cap holds for
all classes together, and so does each message a citizen writes to the number, which Meta
counts in the same throughput (take_inbound_slots). A broadcast refused for BULK_WAIT_LIMIT in a
row reserves like a citizen (it is queued behind them, never starved, and its task stays within
the time limit).
"""

from __future__ import annotations

import time
from functools import cache

from django.conf import settings
from django.db import transaction

from .lanes import SendClass
from .models import RateSlot

KEY_PREFIX = "urp:rate:"
# Slots are spaced 1.5% wider than 1/rate: the limiter's clock is not the provider's, and network
# jitter can bring two slots closer on arrival (the benchmark saw 81 in one sliding second at
# exactly 1/rate). 81 sends in a second then need 15 ms of jitter, and a long broadcast takes
# 1.5% longer than the rate allows (the goal is within 3%).
HEADROOM = 0.985
GLOBAL_KEY = "global"
ALERT_WAITING_KEY = "alert-waiting"
# A refused alert's mark lives this many intervals (at least ALERT_MARK_MIN seconds): longer
# than the alert's sender takes to ask again, short enough to free the broadcasts soon after.
ALERT_MARK_INTERVALS = 4
ALERT_MARK_MIN = 0.05
# See bulk_ahead().
BULK_AHEAD_SECONDS = 0.05
# A broadcast send refused this long in a row reserves like a citizen's.
BULK_WAIT_LIMIT = 10.0

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


# KEYS: bucket, alert mark. ARGV: interval (us), class, mark ttl (ms), how far ahead a
# broadcast may take a slot (us). Returns the wait in us for a slot taken (>= 0), or minus the
# time after which to ask again (< 0, nothing taken).
_TAKE_LUA = """
local now = redis.call('TIME')
local t = tonumber(now[1]) * 1000000 + tonumber(now[2])
local interval = tonumber(ARGV[1])
local class = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < t then tat = t end
if class > 0 then
  if class == 2 and redis.call('EXISTS', KEYS[2]) == 1 then return -interval end
  local ahead = tonumber(ARGV[4])
  if tat - t > ahead then
    if class == 1 then redis.call('SET', KEYS[2], '1', 'PX', ARGV[3]) end
    return -(tat - t - ahead)
  end
end
local next_at = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', next_at), 'PX',
           math.ceil((next_at - t) / 1000) + 1000)
return tat - t
"""


@cache
def _take_script():
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    return client.register_script(_TAKE_LUA)


def bulk_ahead(interval: float) -> float:
    """How far ahead a broadcast (or an alert) may take a slot: the next one, or up to
    BULK_AHEAD_SECONDS of slots at high rates. A broadcast sender that wakes late (a busy CPU)
    then finds its slot still held instead of lost, and a citizen waits at most this long
    behind the broadcast."""
    return max(interval, BULK_AHEAD_SECONDS)


def _mark_ttl(interval: float) -> float:
    return max(ALERT_MARK_MIN, ALERT_MARK_INTERVALS * interval)


def _number_keys(number: str) -> tuple[str, str]:
    """The global bucket and the alert mark of one business number ("": the deployment's own,
    under the names they had before numbers were told apart)."""
    if not number:
        return GLOBAL_KEY, ALERT_WAITING_KEY
    return f"{GLOBAL_KEY}:{number}", f"{ALERT_WAITING_KEY}:{number}"


def _take_in_redis(interval: float, send_class: SendClass, number: str = "") -> float:
    global_key, alert_key = _number_keys(number)
    result = _take_script()(
        keys=[KEY_PREFIX + global_key, KEY_PREFIX + alert_key],
        args=[
            int(interval * 1_000_000),
            int(send_class),
            int(_mark_ttl(interval) * 1000),
            int(bulk_ahead(interval) * 1_000_000),
        ],
    )
    return int(result) / 1_000_000


def _take_in_database(interval: float, send_class: SendClass, number: str = "") -> float:
    """The Lua script's rule on RateSlot rows (the alert mark's next_at is its expiry)."""
    global_key, alert_key = _number_keys(number)
    with transaction.atomic():
        RateSlot.objects.bulk_create(
            [RateSlot(key=global_key), RateSlot(key=alert_key)], ignore_conflicts=True
        )
        slots = {
            slot.key: slot
            for slot in RateSlot.objects.select_for_update()
            .filter(key__in=[global_key, alert_key])
            .order_by("key")
        }
        bucket, mark = slots[global_key], slots[alert_key]
        now = time.time()
        slot_at = max(bucket.next_at, now)
        if send_class != SendClass.INTERACTIVE:
            if send_class == SendClass.BULK and mark.next_at > now:
                return -interval
            ahead = bulk_ahead(interval)
            if slot_at - now > ahead:
                if send_class == SendClass.ALERT:
                    mark.next_at = now + _mark_ttl(interval)
                    mark.save(update_fields=["next_at"])
                return -(slot_at - now - ahead)
        bucket.next_at = slot_at + interval
        bucket.save(update_fields=["next_at"])
    return slot_at - now


def take_slot(interval: float, send_class: SendClass, number: str = "") -> float:
    """One try at a slot of the number's global bucket for this class: the seconds to wait for
    the slot taken (>= 0), or minus the seconds after which to try again (< 0, nothing taken)."""
    if settings.REDIS_URL:
        return _take_in_redis(interval, send_class, number)
    return _take_in_database(interval, send_class, number)


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


def take_global_token(send_class: SendClass = SendClass.INTERACTIVE, *, number: str = "") -> None:
    """Block until this process may send one message under WHATSAPP_RATE_PER_SECOND (0 = off),
    citizens first (see the module's docstring). Each sender (a worker process, or one of a
    batch's sender threads) holds at most one reservation, and a broadcast's only when it is
    near (bulk_ahead), so a citizen waits behind at most bulk_ahead of broadcasts, however many
    senders they have."""
    rate = settings.WHATSAPP_RATE_PER_SECOND
    if rate <= 0:
        return
    interval = 1.0 / (rate * HEADROOM)
    give_up_at = time.monotonic() + BULK_WAIT_LIMIT
    while True:
        if send_class != SendClass.INTERACTIVE and time.monotonic() > give_up_at:
            send_class = SendClass.INTERACTIVE
        wait = take_slot(interval, send_class, number)
        if wait >= 0:
            if wait > 0:
                time.sleep(wait)
            return
        time.sleep(-wait)


def take_inbound_slots(count: int, *, number: str = "") -> None:
    """Count messages citizens wrote to a number within its rate, taking no time: Meta's
    throughput "is inclusive of inbound and outbound messages" (developers.facebook.com,
    whatsapp/throughput), so each one received moves the number's bucket on by one slot, and
    the sends after it (a broadcast's, at the rate's edge) keep the whole within the rate.
    Nobody waits for these slots: they were spent at Meta before the webhook reached us."""
    rate = settings.WHATSAPP_RATE_PER_SECOND
    if rate <= 0 or count <= 0:
        return
    global_key, _alert_key = _number_keys(number)
    reserve(global_key, count / (rate * HEADROOM))


def _pair_key(recipient: str, number: str) -> str:
    # Meta's pair rate limit is per business number and citizen.
    return f"to:{number}:{recipient}" if number else f"to:{recipient}"


def reserve_recipient_slot(recipient: str, *, number: str = "") -> float:
    """Seconds until a message to this recipient keeps clear of the pair rate limit (131056)."""
    return reserve(_pair_key(recipient, number), settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS)


def push_back_recipient(recipient: str, seconds: float, *, number: str = "") -> None:
    """After a pair-rate error, keep the next message to this recipient `seconds` away."""
    reserve(_pair_key(recipient, number), seconds)


def reset_redis() -> None:
    """Forget every bucket kept in Redis (tests; the database's go with the test database)."""
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        keys = list(client.scan_iter(match=KEY_PREFIX + "*"))
        if keys:
            client.delete(*keys)
