"""Who else is in a conversation, and what is new in it, for the live console's conversation
page (moved out of tickets/live.py, which keeps the inbox's changes and the stamp)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from urp_portal.gateway.models import OutboundMessage

from .live import PRESENCE_SECONDS, TYPING_SECONDS, _comune_condition, _rows, _signature
from .models import ConversationPresence, Message, Ticket
from .selectors import message_list_visible
from .states import MessageOrigin


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
