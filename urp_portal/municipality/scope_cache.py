"""The comuni a request's scope is set from, kept per process: the staff's console polls every
2 seconds (tickets/admin/live.py), and loading its comune with its configuration (five queries)
on each poll would cost more than the poll itself. Forgotten at once in this process when a
comune, a number or a comune's configuration changes (receivers.py), within SCOPE_CACHE_TTL in
the others, as serves_other_comuni() is."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Municipality

SCOPE_CACHE_TTL = 5.0

# comune id -> (the comune with its configuration, until when; monotonic seconds)
_comuni: dict[int, tuple[Municipality, float]] = {}
# (the active comune's id, the ids of every comune served, until when)
_served: tuple[int | None, tuple[int, ...], float] | None = None


def comune_for_scope(comune_id: int) -> Municipality:
    """The comune to run a request in the scope of, loaded with its configuration."""
    now = time.monotonic()
    cached = _comuni.get(comune_id)
    if cached is not None and cached[1] > now:
        return cached[0]
    from .selectors import municipality_for_scope

    comune = municipality_for_scope(comune_id=comune_id)
    _comuni[comune_id] = (comune, now + SCOPE_CACHE_TTL)
    return comune


def _served_now() -> tuple[int | None, tuple[int, ...]]:
    global _served
    now = time.monotonic()
    if _served is not None and _served[2] > now:
        return _served[0], _served[1]
    from django.db.models import Q

    from .models import Municipality

    rows = list(
        Municipality.objects.filter(Q(is_active=True) | Q(whatsapp_numbers__isnull=False))
        .distinct()
        .order_by("pk")
        .values_list("pk", "is_active")
    )
    active = next((pk for pk, is_active in rows if is_active), None)
    ids = tuple(pk for pk, _is_active in rows)
    _served = (active, ids, now + SCOPE_CACHE_TTL)
    return active, ids


def active_comune_id() -> int | None:
    return _served_now()[0]


def served_comune_ids() -> tuple[int, ...]:
    """The comuni the deployment works for (scope.comuni_served), by id."""
    return _served_now()[1]


def forget_comuni_for_scope() -> None:
    global _served
    _comuni.clear()
    _served = None
