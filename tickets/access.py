"""Who may see tickets (the URP: all of them; a service's staff: those forwarded to its
services), remembered across requests for ACCESS_SECONDS in the cache every web process shares.

Every console asks the live view every 2 seconds, and each poll used to read the user's groups
again: a query, and a fifth of a quiet poll's CPU (benchmarks/console_poll_cpu.py). The answer
changes only when someone changes a role, a group, a permission or a service's staff, so each
entry carries the access generation it was read under, and any such change gives the generation
a new value (at once and again after its commit, see access_changed): an entry of an older
generation is never used, so a role taken away is obeyed on the next request, not a minute
later.

Only with a shared cache (Redis): one process's memory would keep an entry another process's
change cannot reach. Without it (the embedded default) every request reads the roles, as before.
"""

from __future__ import annotations

import uuid
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from urp_portal.municipality.scope import current_comune_id

# An entry is read again at least this often even when no change was signalled (a change made
# outside Django's signals: a raw SQL fix, a restore).
ACCESS_SECONDS = 60
GENERATION_KEY = "tickets:access:generation"


class Access(NamedTuple):
    is_urp: bool
    service_ids: list[int]
    # Whether the URP user may change tickets (the inbox's bulk actions and their checkbox,
    # TicketAdmin.get_actions): the live poll's rows add the checkbox without reading every
    # permission of the user on each poll (admin/live_rows.py).
    changes_tickets: bool = False


def access_cache_shared() -> bool:
    backend = settings.CACHES["default"]["BACKEND"]
    return not backend.endswith(("LocMemCache", "DummyCache"))


def _user_key(user_pk: Any) -> str:
    # Per comune of the scope: a service's staff's services are its comune's (MunicipalService
    # is scoped), so a help desk of two comuni keeps one entry per comune, never one comune's
    # services read under the other's scope. Unscoped (one comune): the key of before.
    comune_id = current_comune_id()
    if comune_id is None:
        return f"tickets:access:user:{user_pk}"
    return f"tickets:access:user:{user_pk}:c{comune_id}"


def access_remembered(*, user_pk: Any) -> tuple[Access | None, str]:
    """The access remembered for the user if it is of the current generation, and the current
    generation (one round trip for both). Read the generation before the roles it stands for."""
    remembered, generation, _also = access_remembered_with(user_pk=user_pk, also=())
    return remembered, generation


def access_remembered_with(
    *, user_pk: Any, also: tuple[str, ...]
) -> tuple[Access | None, str, dict[str, Any]]:
    """access_remembered, and the cache's keys `also` read in the same round trip ({key: value
    or None}): the live poll's change stamp comes with the access, one round trip, not two."""
    key = _user_key(user_pk)
    found = cache.get_many([GENERATION_KEY, key, *also])
    extra = {name: found.get(name) for name in also}
    generation = found.get(GENERATION_KEY)
    if generation is None:
        # Evicted or never set: a new value, so that no entry of before counts as current.
        cache.add(GENERATION_KEY, _new_generation(), timeout=None)
        return None, cache.get(GENERATION_KEY) or "", extra
    entry = found.get(key)
    # An entry of before the third field (a web process of the previous version) is read again.
    if entry is not None and entry[0] == generation and len(entry) == 4:
        access = Access(is_urp=entry[1], service_ids=list(entry[2]), changes_tickets=entry[3])
        return access, generation, extra
    return None, generation, extra


def access_remember(*, user_pk: Any, access: Access, generation: str) -> None:
    """Keep `access`, read from the database after `generation` was read: a change committed
    meanwhile has given the generation a new value, so this entry is already old."""
    if generation:
        cache.set(
            _user_key(user_pk),
            (generation, access.is_urp, access.service_ids, access.changes_tickets),
            timeout=ACCESS_SECONDS,
        )


def access_changed() -> None:
    """A role, a group or a service's staff changed. A new generation now (no request may use an
    entry of before from here on) and again once the change commits (a request that read the
    roles between the two, still the old ones, stored them under the first new value)."""
    if not access_cache_shared():
        return
    cache.set(GENERATION_KEY, _new_generation(), timeout=None)
    transaction.on_commit(lambda: cache.set(GENERATION_KEY, _new_generation(), timeout=None))


def _new_generation() -> str:
    return uuid.uuid4().hex[:16]
