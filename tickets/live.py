"""Reads that keep the console live (issue 20): what changed since a console's last look, the
count in its title, who else is on a conversation, what arrived while a reply was being written.

The mechanism (README, "The live console"): every console polls `TicketAdmin`'s live view every
2 seconds with the change stamp it was last given (console_stamp: the same, nothing to read; its
comune's on a deployment serving several) and its cursors, the highest Message and TicketEvent
ids it knows. Both tables are append-only with increasing keys and carry their ticket, so "what
changed since" is two range scans of a primary key: no change log to write, no process memory,
the same under several gunicorn processes, on SQLite and on PostgreSQL. A delivery tick moves
an OutboundMessage (the gateway, which knows no ticket): the open conversation's poll compares a
signature of its messages' delivery states instead.

PostgreSQL hands out ids when rows are inserted, not when they commit, so a row may become
visible after one with a higher id. Each answer therefore repeats the last WINDOW rows under the
cursor and the browser keeps the keys it has acted on: a late commit within WINDOW rows (seconds
of traffic) is still seen, and nothing is acted on twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import connections, transaction
from django.db.models import Count, Max, Q, Subquery

from urp_portal.municipality.scope import current_comune, current_comune_id, serves_other_comuni
from urp_portal.municipality.scope_cache import active_comune_id

from .models import Message, Ticket, TicketEvent
from .selectors import ticket_list_for, user_is_urp
from .states import MessageOrigin, TicketState

# Rows repeated under the cursor (see the module's docstring).
WINDOW = 50
# A console polls every 2 s; a person whose console has not polled for this long has left.
PRESENCE_SECONDS = 8
# Someone whose reply box changed this recently is typing.
TYPING_SECONDS = 5


# The tickets' change stamp (README, "The live console"): any new message, ticket event or
# change to a ticket's row gives it a new value once its transaction has committed, so a poll
# that brings back the value it was last given has nothing to read. Kept in the cache that every
# web process shares (Redis); with a cache of one process's memory (the embedded default, whose
# worker is another process) there is no stamp and every poll reads the changes.
STAMP_KEY = "tickets:live:stamp"
# On a deployment serving several comuni, each comune has a stamp of its own as well, so a
# change in one wakes only its own consoles: one stamp for all would make every console of
# every comune run its (scoped, empty) changes query after each change anywhere, which with
# 300 comuni multiplies the polls' database work by the number of comuni. The deployment's
# stamp is still given a new value with it (the same round trip, one MSET): a process that
# has not yet learnt that several comuni are served (serves_other_comuni, 5 s) polls on it.
COMUNE_STAMP_KEY = "tickets:live:stamp:{comune_id}"


def console_stamp_shared() -> bool:
    backend = settings.CACHES["default"]["BACKEND"]
    return not backend.endswith(("LocMemCache", "DummyCache"))


def console_stamp_key() -> str:
    """The stamp the running scope's consoles poll on: their comune's on a deployment serving
    several (the request's scope), the deployment's with one comune (no scope)."""
    comune_id = current_comune_id()
    if comune_id is None:
        return STAMP_KEY
    return COMUNE_STAMP_KEY.format(comune_id=comune_id)


def console_stamp(*, read: dict[str, Any] | None = None) -> str:
    """The stamp now ("" without a shared cache). Read before the changes it stands for; `read`:
    the cache's answer already at hand, when the stamp came with another read (the access)."""
    if not console_stamp_shared():
        return ""
    key = console_stamp_key()
    stamp = read[key] if read and key in read else cache.get(key)
    if stamp is None:
        # Evicted or never set: a new value, so that no console takes "unknown" for "the same".
        cache.add(key, _new_stamp(), timeout=None)
        stamp = cache.get(key) or ""
    return stamp


def console_stamp_bump(*, ticket: Ticket | int) -> None:
    """Something the consoles show changed on `ticket` (its row, or its id when the row is not
    at hand): a new stamp once the transaction commits (a poll between the write and the
    commit would read the old rows under a new stamp, and stop). With one comune, the
    deployment's stamp alone, exactly as before the comuni; with several, the ticket's
    comune's too."""
    if not console_stamp_shared():
        return
    if not serves_other_comuni():
        transaction.on_commit(lambda: cache.set(STAMP_KEY, _new_stamp(), timeout=None))
        return
    # A row with no comune is the active comune's (scope.owned_by): its consoles read it.
    comune_id = _ticket_comune_id(ticket) or active_comune_id()
    keys = [STAMP_KEY]
    if comune_id is not None:
        keys.append(COMUNE_STAMP_KEY.format(comune_id=comune_id))

    def bump() -> None:
        stamp = _new_stamp()
        cache.set_many(dict.fromkeys(keys, stamp), timeout=None)

    transaction.on_commit(bump)


def _ticket_comune_id(ticket: Ticket | int) -> int | None:
    if isinstance(ticket, Ticket):
        return ticket.comune_id
    # A message or event saved in a comune's scope (the pipeline, a console's request) is that
    # comune's ticket's; outside any scope (rare on this path) its ticket says.
    scoped = current_comune_id()
    if scoped is not None:
        return scoped
    return Ticket.all_comuni.filter(pk=ticket).values_list("comune_id", flat=True).first()


def _new_stamp() -> str:
    return uuid.uuid4().hex[:16]


@dataclass(frozen=True)
class Cursor:
    message: int = 0
    event: int = 0


@dataclass(frozen=True)
class Change:
    key: str  # "m<id>" or "e<id>": what the browser remembers having acted on
    ticket: int
    new_ticket: bool = False  # a conversation was opened (for sound and notifications)
    for_me: bool = False  # a citizen's message on a ticket assigned to the viewer
    fresh: bool = True  # past the asking cursor (not one of the WINDOW rows repeated under it)


class ChangesSince(NamedTuple):
    changes: list[Change]
    cursor: Cursor
    # More changes than one answer carries: the console redraws whole rather than crawl.
    truncated: bool
    # The count in the console's title (tickets_waiting_for), read with the changes.
    waiting: int


def console_cursor() -> Cursor:
    """Where a page drawn now starts watching from."""
    # Both tops in one round trip (each the end of a primary-key index), carried by any one
    # message row; with no message yet, the events' top alone. The deployment's tops, not the
    # scope's comune's: a cursor only says "from here on", the poll scopes what it reads
    # (console_changes_since), and the comune's own top is a walk down the whole index past
    # every other comune's rows (3 s for a comune whose last message is 800,000 rows down,
    # benchmarks/results/many_comuni.txt), then a poll that starts down there.
    messages = Message.all_comuni.order_by("-pk").values("pk")[:1]
    events = TicketEvent.all_comuni.order_by("-pk").values("pk")[:1]
    row = (
        Message.all_comuni.order_by()
        .annotate(
            top_message=Subquery(messages),
            top_event=Subquery(events),
        )
        .values_list("top_message", "top_event")[:1]
    )
    found = list(row)
    if found:
        return Cursor(message=found[0][0] or 0, event=found[0][1] or 0)
    return Cursor(message=0, event=TicketEvent.all_comuni.aggregate(top=Max("pk"))["top"] or 0)


def _rows(sql: str, params: list[Any]) -> list[tuple]:
    with connections[Message.objects.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# Both range scans in one round trip: asked by every console every 2 s, each statement saved is
# a round trip and a query's compiling saved on each poll (benchmarks/console_live.py). For the
# URP the title's count comes in the same round trip (tickets_waiting_for, on the partial index
# ticket_unread_due); a service's count depends on its forwards and stays a query of its own.
_CHANGES_SQL = (
    "SELECT * FROM (SELECT 'm', m.id, m.ticket_id, m.origin = %s AND t.assignee_id = %s"
    " FROM {message} m JOIN {ticket} t ON t.id = m.ticket_id"
    " WHERE m.id > %s{m_scope} ORDER BY m.id LIMIT %s) AS messages"
    " UNION ALL SELECT * FROM (SELECT 'e', e.id, e.ticket_id, e.to_state = %s"
    " FROM {event} e{e_join} WHERE e.id > %s{e_scope} ORDER BY e.id LIMIT %s) AS events"
)
_WAITING_SQL = (
    " UNION ALL SELECT 'w', COUNT(*), 0, 1 = 0 FROM {ticket} w"
    " WHERE w.unread_count > 0 AND w.state IN ({states})"
    " AND (w.assignee_id IS NULL OR w.assignee_id = %s){w_scope}"
)


# In a comune's scope, the deployment's tops in the same statement (one row: the message's top
# as its id, the event's as its ticket): see console_changes_since.
_TOPS_SQL = (
    " UNION ALL SELECT 't', (SELECT MAX(id) FROM {message}), (SELECT MAX(id) FROM {event}), 1 = 0"
)


def _comune_condition(alias: str) -> tuple[str, list[Any]]:
    """The raw statements' own `owned_by` of the running scope's comune (the ORM's scoped
    managers do not reach hand-written SQL): nothing unscoped, as with one comune."""
    comune = current_comune()
    if comune is None:
        return "", []
    if comune.is_active:
        return f" AND ({alias}.comune_id = %s OR {alias}.comune_id IS NULL)", [comune.pk]
    return f" AND {alias}.comune_id = %s", [comune.pk]


def console_changes_since(*, user: Any, cursor: Cursor) -> ChangesSince:
    """The changes to tickets `user` may see after `cursor` (less WINDOW rows), the new cursor
    and the count for the title (tickets_waiting_for); at most WINDOW * 4 of each kind per
    call, the next call going on from there."""
    urp = user_is_urp(user)
    unfinished = TicketState.unfinished()
    # On a deployment serving several comuni, the scope's tickets only (events join theirs).
    m_scope, m_params = _comune_condition("t")
    e_scope, e_params = _comune_condition("et")
    w_scope, w_params = _comune_condition("w")
    ticket_table = Ticket._meta.db_table
    sql = (_CHANGES_SQL + (_WAITING_SQL if urp else "") + (_TOPS_SQL if m_scope else "")).format(
        message=Message._meta.db_table,
        ticket=ticket_table,
        event=TicketEvent._meta.db_table,
        states=", ".join(["%s"] * len(unfinished)),
        m_scope=m_scope,
        e_join=f" JOIN {ticket_table} et ON et.id = e.ticket_id" if e_scope else "",
        e_scope=e_scope,
        w_scope=w_scope,
    )
    params: list[Any] = [
        MessageOrigin.CITIZEN,
        user.pk,
        max(cursor.message - WINDOW, 0),
        *m_params,
        WINDOW * 4,
        TicketState.NEW,
        max(cursor.event - WINDOW, 0),
        *e_params,
        WINDOW * 4,
    ]
    if urp:
        params += [*unfinished, user.pk, *w_params]
    found = _rows(sql, params)
    waiting = next((row[1] for row in found if row[0] == "w"), None)
    tops = next((row for row in found if row[0] == "t"), None)
    rows = [row for row in found if row[0] in ("m", "e")]
    changes = [
        Change(
            key=f"{kind}{pk}",
            ticket=ticket_id,
            new_ticket=kind == "e" and bool(flag),
            for_me=kind == "m" and bool(flag),
            fresh=pk > (cursor.message if kind == "m" else cursor.event),
        )
        for kind, pk, ticket_id, flag in rows
    ]
    truncated = any(sum(1 for row in rows if row[0] == kind) >= WINDOW * 4 for kind in ("m", "e"))
    new_cursor = Cursor(
        message=max([cursor.message, *(row[1] for row in rows if row[0] == "m")]),
        event=max([cursor.event, *(row[1] for row in rows if row[0] == "e")]),
    )
    if tops is not None and not truncated:
        # Every row of this comune up to the deployment's tops (the statement's snapshot) was
        # read: the next poll starts from there, not from this comune's last row, below which
        # it would walk again every other comune's rows since (with 100 comuni, 30-160 ms of
        # database time for 100,000 messages behind, growing all day). A row committed late
        # within WINDOW ids of the tops is still found among the rows repeated under it.
        new_cursor = Cursor(
            message=max(new_cursor.message, tops[1] or 0),
            event=max(new_cursor.event, tops[2] or 0),
        )
    if changes and not urp:
        visible = set(
            ticket_list_for(user=user)
            .filter(pk__in={change.ticket for change in changes})
            .values_list("pk", flat=True)
        )
        changes = [change for change in changes if change.ticket in visible]
    if waiting is None:
        waiting = tickets_waiting_for(user=user)
    return ChangesSince(changes, new_cursor, truncated, waiting)


def tickets_waiting_for(*, user: Any) -> int:
    """The count in the console's title: for the URP, conversations with a citizen's message
    nobody has seen that are mine or nobody's; for a service, the requests forwarded to it and
    not answered yet."""
    if user_is_urp(user):
        return (
            Ticket.objects.filter(unread_count__gt=0, state__in=TicketState.unfinished())
            .filter(Q(assignee__isnull=True) | Q(assignee=user))
            .count()
        )
    return ticket_list_for(user=user).filter(state=TicketState.FORWARDED).count()


def conversation_signature(*, ticket: Ticket) -> str:
    """What the delivery ticks of the conversation look like, in a few characters: a status
    callback that moves one of its messages changes it."""
    rows = (
        Message.objects.filter(ticket=ticket, outbound__isnull=False)
        .order_by()
        .values("outbound__state")
        .annotate(n=Count("pk"))
    )
    return _signature((row["outbound__state"], row["n"]) for row in rows)


def _signature(states: Any) -> str:
    return ",".join(sorted(f"{state}:{n}" for state, n in states))
