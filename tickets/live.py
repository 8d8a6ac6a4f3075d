"""Reads that keep the console live (issue 20): what changed since a console's last look, the
count in its title, who else is on a conversation, what arrived while a reply was being written.

The mechanism (README, "The live console"): every console polls `TicketAdmin`'s live view every
2 seconds with the change stamp it was last given (STAMP_KEY: the same, nothing to read) and its
cursors, the highest Message and TicketEvent ids it knows. Both tables are
append-only with increasing keys and carry their ticket, so "what changed since" is two range
scans of a primary key: no change log to write, no process memory, the same under several
gunicorn processes, on SQLite and on PostgreSQL. A delivery tick moves an OutboundMessage (the
gateway, which knows no ticket): the open conversation's poll compares a signature of its
messages' delivery states instead.

PostgreSQL hands out ids when rows are inserted, not when they commit, so a row may become
visible after one with a higher id. Each answer therefore repeats the last WINDOW rows under the
cursor and the browser keeps the keys it has acted on: a late commit within WINDOW rows (seconds
of traffic) is still seen, and nothing is acted on twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connections, transaction
from django.db.models import Count, Max, Q, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from urp_portal.gateway.models import OutboundMessage
from urp_portal.municipality.scope import current_comune

from .models import ConversationPresence, Message, Ticket, TicketEvent
from .selectors import message_list_visible, ticket_list_for, user_is_urp
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


def console_stamp_shared() -> bool:
    backend = settings.CACHES["default"]["BACKEND"]
    return not backend.endswith(("LocMemCache", "DummyCache"))


def console_stamp(*, read: dict[str, Any] | None = None) -> str:
    """The stamp now ("" without a shared cache). Read before the changes it stands for; `read`:
    the cache's answer already at hand, when the stamp came with another read (the access)."""
    if not console_stamp_shared():
        return ""
    stamp = read[STAMP_KEY] if read and STAMP_KEY in read else cache.get(STAMP_KEY)
    if stamp is None:
        # Evicted or never set: a new value, so that no console takes "unknown" for "the same".
        cache.add(STAMP_KEY, _new_stamp(), timeout=None)
        stamp = cache.get(STAMP_KEY) or ""
    return stamp


def console_stamp_bump() -> None:
    """Something the consoles show changed: a new stamp once the transaction commits (a poll
    between the write and the commit would read the old rows under a new stamp, and stop)."""
    if console_stamp_shared():
        transaction.on_commit(lambda: cache.set(STAMP_KEY, _new_stamp(), timeout=None))


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


@dataclass(frozen=True)
class Colleague:
    name: str
    typing: bool


def conversation_colleagues(
    *, ticket: Ticket, user: Any, now: dt.datetime | None = None
) -> list[Colleague]:
    """The other people with this conversation open now, and whether they are typing."""
    now = now or timezone.now()
    rows = (
        ConversationPresence.objects.filter(
            ticket=ticket, seen_at__gte=now - dt.timedelta(seconds=PRESENCE_SECONDS)
        )
        .exclude(user=user)
        .select_related("user")
        .order_by("user__first_name", "user__username")
    )
    typing_since = now - dt.timedelta(seconds=TYPING_SECONDS)
    return [
        Colleague(
            name=row.user.get_full_name() or row.user.get_username(),
            typing=row.typing_at is not None and row.typing_at >= typing_since,
        )
        for row in rows
    ]


# The open conversation's presences (the viewer's own row too, whatever its age: whether the
# heartbeat is due) and its ticks' signature, in one round trip (the poll's).
# On a deployment serving several comuni the presences are read through their ticket's comune
# (the scope's, {p_scope}): a ticket of another comune shows no one, not even the viewer's own
# row, so its poll neither names another comune's staff nor refreshes a presence there.
_CONVERSATION_SQL = (
    "SELECT 'c', u.first_name, u.last_name, u.username, p.typing_at, 0, p.user_id, p.seen_at"
    " FROM {presence} p JOIN {user} u ON u.id = p.user_id{p_join}"
    " WHERE p.ticket_id = %s AND (p.seen_at >= %s OR p.user_id = %s){p_scope}"
    " UNION ALL SELECT 's', o.state, '', '', NULL, COUNT(*), NULL, NULL"
    " FROM {message} m JOIN {outbound} o ON o.id = m.outbound_id{m_join}"
    " WHERE m.ticket_id = %s{m_scope} GROUP BY o.state"
)


class OwnPresence(NamedTuple):
    seen_at: dt.datetime
    typing_at: dt.datetime | None


class ConversationLiveState(NamedTuple):
    colleagues: list[Colleague]
    signature: str
    # The viewer's own presence row as it stands (None before their first heartbeat).
    mine: OwnPresence | None


def _aware(value: Any) -> dt.datetime | None:
    # In a UNION, SQLite gives the column back as text in UTC; PostgreSQL as a datetime.
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


def conversation_live_state(
    *, ticket_id: int, user: Any, now: dt.datetime
) -> ConversationLiveState:
    """conversation_colleagues and conversation_signature of a ticket, and the viewer's own
    presence, read together."""
    ticket_table = Ticket._meta.db_table
    p_scope, p_params = _comune_condition("pt")
    m_scope, m_params = _comune_condition("mt")
    sql = _CONVERSATION_SQL.format(
        presence=ConversationPresence._meta.db_table,
        user=get_user_model()._meta.db_table,
        message=Message._meta.db_table,
        outbound=OutboundMessage._meta.db_table,
        p_join=f" JOIN {ticket_table} pt ON pt.id = p.ticket_id" if p_scope else "",
        p_scope=p_scope,
        m_join=f" JOIN {ticket_table} mt ON mt.id = m.ticket_id" if m_scope else "",
        m_scope=m_scope,
    )
    operations = connections[Message.objects.db].ops
    since_at = now - dt.timedelta(seconds=PRESENCE_SECONDS)
    since = operations.adapt_datetimefield_value(since_at)
    rows = _rows(sql, [ticket_id, since, user.pk, *p_params, ticket_id, *m_params])
    typing_since = now - dt.timedelta(seconds=TYPING_SECONDS)
    colleagues = []
    mine = None
    for kind, first, last, username, typing_value, _n, user_id, seen_value in rows:
        if kind != "c":
            continue
        typing_at, seen_at = _aware(typing_value), _aware(seen_value)
        if user_id == user.pk:
            mine = OwnPresence(seen_at=seen_at, typing_at=typing_at) if seen_at else None
            continue
        colleagues.append(
            Colleague(
                name=f"{first} {last}".strip() or username,
                typing=typing_at is not None and typing_at >= typing_since,
            )
        )
    colleagues.sort(key=lambda colleague: colleague.name)
    signature = _signature((row[1], row[5]) for row in rows if row[0] == "s")
    return ConversationLiveState(colleagues, signature, mine)


def conversation_news_since(*, ticket: Ticket, after_message: int) -> Message | None:
    """The latest message that reached the conversation after `after_message` (the last one on
    the replying person's screen) and that a reply should take into account: the citizen's, or
    one sent to the citizen by a colleague or a service."""
    return (
        message_list_visible()
        .filter(ticket=ticket, pk__gt=after_message)
        .filter(
            Q(origin=MessageOrigin.CITIZEN)
            | Q(outbound__isnull=False, origin__in=[MessageOrigin.OPERATOR, MessageOrigin.SERVICE])
        )
        .select_related("author")
        .order_by("-pk")
        .first()
    )
