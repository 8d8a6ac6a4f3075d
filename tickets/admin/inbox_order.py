"""The inbox's order: its groups (late first, then by deadline) as conditions, a ticket's group,
and the ordering built on them (moved out of changelist.py, which keeps the page)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.expressions import OrderBy

from ..models import Ticket
from ..states import TicketState


def inbox_groups(now: dt.datetime) -> list[tuple[int, Q]]:
    """The inbox's groups, top first; every ticket is in exactly one. Each condition is one a
    deadline index serves (Ticket.Meta.indexes)."""
    at_work = [state for state in TicketState.pending() if state != TicketState.NEW]
    unread, seen = Q(unread_count__gt=0), Q(unread_count=0)
    return [
        (0, Q(state__in=TicketState.pending(), due_at__lt=now)),  # late
        # A citizen's message nobody has seen, a new request or a follow-up on a forwarded or
        # waiting one: up, right under the late ones (issue 20).
        (1, unread & Q(state__in=TicketState.pending(), due_at__gte=now)),
        (1, unread & Q(state=TicketState.WAITING_CITIZEN)),
        (2, seen & Q(state=TicketState.NEW, due_at__gte=now)),
        (3, seen & Q(state__in=at_work, due_at__gte=now)),
        (3, seen & Q(state=TicketState.WAITING_CITIZEN)),  # its deadline is suspended: never late
        (4, Q(state__in=TicketState.finished())),
    ]


def inbox_group_of(ticket: Ticket, now: dt.datetime) -> int | None:
    """The ticket's group as inbox_priority computes it in SQL, worked out from its fields: the
    live console's few rows need no CASE compiled into their query (live_rows.py). None where
    the SQL gives NULL (in no group)."""
    for group, condition in inbox_groups(now):
        if _holds(condition, ticket):
            return group
    return None


def _holds(condition: Q, ticket: Ticket) -> bool:
    # The lookups inbox_groups uses, AND-ed; a NULL compared is not true, as in SQL.
    assert condition.connector == Q.AND and not condition.negated, condition
    for child in condition.children:
        if isinstance(child, Q):
            if not _holds(child, ticket):
                return False
            continue
        name, wanted = child  # type: ignore[misc]  # a (lookup, value) pair
        field, _sep, lookup = name.partition("__")
        value = getattr(ticket, field)
        if lookup == "in":
            held = value in wanted
        elif value is None:
            held = False
        elif lookup in ("", "exact"):
            held = value == wanted
        elif lookup == "lt":
            held = value < wanted
        elif lookup == "gte":
            held = value >= wanted
        elif lookup == "gt":
            held = value > wanted
        else:
            raise ValueError(f"inbox_group_of does not know the lookup {name}")
        if not held:
            return False
    return True


def inbox_priority(now: dt.datetime) -> Case:
    return Case(
        *(When(condition, then=Value(group)) for group, condition in inbox_groups(now)),
        output_field=IntegerField(),
    )


def inbox_ordering(now: dt.datetime) -> list[Any]:
    return [OrderBy(inbox_priority(now)), "due_at", "pk"]
