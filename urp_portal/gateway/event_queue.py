"""The hand-off of stored webhook events to the workers, when the broker is Redis.

Publishing one Celery task per webhook cost the request about 2 ms of a ~3 ms webhook: Celery
builds a protocol-2 message (headers, argsrepr, routing, a producer from the pool) and kombu's
Redis transport makes a new `redis.Redis` client for every publish (`conn_or_acquire`), whose
construction alone is heavier than the LPUSH it then sends. The webhook needs none of that to
keep DESIGN.md's contract ("store the raw body, enqueue its processing on commit, answer 200"):
here the request pushes the event's id onto a Redis list with one round trip of a client kept
for the process, and a worker task (`webhook_events_drain`) moves the ids to ordinary
`webhook_event_process` tasks, one per event, so events are still processed in parallel by
every worker and each retries alone.

Only the first push of a burst publishes a drain task: the push and "is a drain already due?"
are one atomic script, and so are the drain's last (empty) pop and clearing that flag. A push
either lands before that last pop (the running drain takes it) or after it (it finds no flag
and publishes a new drain), so no id waits for nothing. The flag also expires by itself
(DRAIN_FLAG_TTL_MS): a drain task that was lost (a broker restarted empty) is published again
by the next webhook after that.

Status-only events (a message's sent, delivered and read: three per broadcast message) have a
list and a drain of their own (STATUS_LANE): the drain applies them many at a time
(services/status_events.py) on the statuses queue, while the citizens' messages keep theirs.
The webhook tells them apart by a look at the raw body (`lane_of`); a body sorted wrongly is
still processed right, only on the other queue.

The database stays the truth: an id lost from Redis (a crash of Redis, a worker killed after
popping it) belongs to an event still `received`, which `inbound_sweep` enqueues again.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from typing import Any

from django.conf import settings

LIST_KEY = "urp:webhook-events"
FLAG_KEY = "urp:webhook-events:drain-due"
EVENT_LANE = "events"
STATUS_LANE = "statuses"
_KEYS = {
    EVENT_LANE: (LIST_KEY, FLAG_KEY),
    STATUS_LANE: ("urp:webhook-statuses", "urp:webhook-statuses:drain-due"),
}
# Longer than a drain normally waits in the queue; only a lost drain task waits this long.
DRAIN_FLAG_TTL_MS = 30_000
# Ids popped per round trip by the drain.
POP_BATCH = 500

# KEYS: list, flag. ARGV: flag ttl, ids. Returns 1 when the caller must publish a drain task.
_PUSH_LUA = """
redis.call('LPUSH', KEYS[1], unpack(ARGV, 2))
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0
"""
# KEYS: list, flag. ARGV: batch size. The oldest ids first; an empty list clears the flag.
_POP_LUA = """
local ids = {}
for i = 1, tonumber(ARGV[1]) do
  local id = redis.call('RPOP', KEYS[1])
  if not id then break end
  ids[#ids + 1] = id
end
if #ids == 0 then redis.call('DEL', KEYS[2]) end
return ids
"""


def enabled() -> bool:
    """Only with Redis: the embedded filesystem broker publishes each task directly."""
    return bool(settings.REDIS_URL)


# The scripts run by their SHA-1 (EVALSHA), the same one Redis computes: a Redis that restarted
# without them (NOSCRIPT) is sent the script itself once (EVAL, which caches it again).
_PUSH_SHA = hashlib.sha1(_PUSH_LUA.encode()).hexdigest()  # noqa: S324
_POP_SHA = hashlib.sha1(_POP_LUA.encode()).hexdigest()  # noqa: S324


def _client():
    return _client_of_process(os.getpid())


def redis_client():
    """This process's client of the event lists (the backlog's readings share it)."""
    return _client()


@cache
def _client_of_process(pid: int):
    """One client per process, on one connection of its own: only a batch's leader pushes
    (group_commit), one at a time, so a pool would only add a checkout, a liveness poll and a
    release to each push (the client's lock serializes the rare other callers). Keyed by the
    pid: a forked process must not write into its parent's socket. Short timeouts: with Redis
    down the webhook must answer quickly; the event is already stored."""
    import redis

    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=1,
        socket_timeout=2,
        health_check_interval=0,
        single_connection_client=True,
    )


def _run_script(sha: str, script: str, keys: list[str], args: list) -> Any:
    # Not redis-py's Script object: its call first checks the client against a typing Protocol,
    # about 40 of a push's 125 us of CPU (measured in process; this way a push costs ~50 us).
    from redis.exceptions import NoScriptError

    client = _client()
    try:
        return client.evalsha(sha, len(keys), *keys, *args)
    except NoScriptError:
        return client.eval(script, len(keys), *keys, *args)


def _has_key(body: bytes, key: bytes) -> bool:
    # A key is a quoted name followed by a colon (compact or spaced JSON); the same word as a
    # value ("field": "messages") is not, and inside a string its quotes would be escaped.
    return key + b":" in body or key + b" :" in body


def lane_of(gateway: str, body: bytes) -> str:
    """STATUS_LANE for a Meta body that carries statuses and no message (what a broadcast's
    status storm is made of), EVENT_LANE for everything else. A substring test, not a parse:
    the webhook's request must stay cheap, and a wrong guess only picks the other queue."""
    if gateway == "meta" and _has_key(body, b'"statuses"') and not _has_key(body, b'"messages"'):
        return STATUS_LANE
    return EVENT_LANE


def push(*event_ids: int, lane: str = EVENT_LANE) -> bool:
    """Queue stored events for the workers, in one round trip. True when no drain is due yet:
    the caller then publishes one. Raises redis.RedisError when Redis cannot be reached."""
    return bool(
        _run_script(_PUSH_SHA, _PUSH_LUA, list(_KEYS[lane]), [DRAIN_FLAG_TTL_MS, *event_ids])
    )


def pop_batch(limit: int = POP_BATCH, *, lane: str = EVENT_LANE) -> list[int]:
    """Up to `limit` queued event ids, oldest first; [] when the queue is empty, which also
    lets the next push publish a new drain."""
    ids = _run_script(_POP_SHA, _POP_LUA, list(_KEYS[lane]), [limit])
    return [int(value) for value in ids]


def lane_names() -> list[str]:
    return list(_KEYS)


def lane_keys() -> list[tuple[str, str]]:
    """(list, flag) of each lane, in lane_names() order."""
    return list(_KEYS.values())


def oldest_waiting(lane: str) -> int | None:
    """The id of the oldest event waiting in a lane (the list's tail), or None."""
    value = _client().lindex(_KEYS[lane][0], -1)
    return int(value) if value is not None else None


def reset() -> None:
    """Forget queued ids and the flags (tests)."""
    if enabled():
        _client().delete(*(key for keys in _KEYS.values() for key in keys))
