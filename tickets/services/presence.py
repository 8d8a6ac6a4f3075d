"""The console's awareness of people: what no operator has seen yet, who has a conversation open
and who is typing in it. Kept in the database (never a web process's memory): every gunicorn
process, every machine and the embedded demo see the same."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from urp_portal.municipality.errors import UserError

from ..live import console_stamp_bump
from ..live_presence import OwnPresence, conversation_news_since
from ..models import ConversationPresence, Message, Ticket
from ..states import MessageOrigin


def ticket_count_unread(*, ticket: Ticket) -> None:
    """One more citizen's message nobody has seen. The caller holds the ticket's row lock (the
    inbound pipeline's ticket_receive), so two messages at once count two."""
    ticket.unread_count = (ticket.unread_count or 0) + 1
    ticket.save(update_fields=["unread_count"])


def ticket_mark_seen(*, ticket: Ticket, seen_up_to: int) -> None:
    """Someone opened the conversation and saw the citizen's messages up to `seen_up_to` (a
    Message id). A message that arrived while the page was being drawn stays unread: the count
    is recomputed from the messages after that id, in the same UPDATE, not set to zero."""
    if not ticket.unread_count:
        return
    later = (
        Message.objects.filter(
            ticket=OuterRef("pk"),
            origin=MessageOrigin.CITIZEN,
            removed_at__isnull=True,
            pk__gt=seen_up_to,
        )
        .order_by()
        .values("ticket")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Ticket.objects.filter(pk=ticket.pk, unread_count__gt=0).update(
        unread_count=Coalesce(Subquery(later), Value(0))
    )
    ticket.unread_count = 0
    # An UPDATE sends no post_save: the inboxes still show the row as unread.
    console_stamp_bump(ticket=ticket)


def conversation_presence_touch(
    *, ticket: Ticket | int, user: Any, typing: bool, now: dt.datetime | None = None
) -> bool:
    """`user` has the conversation open (and is typing in its reply box): one row per person and
    ticket, refreshed by each poll of their console. False when there is no such ticket."""
    now = now or timezone.now()
    ticket_id = ticket.pk if isinstance(ticket, Ticket) else ticket
    defaults: dict[str, Any] = {"seen_at": now}
    if typing:
        defaults["typing_at"] = now
    # The row exists from the first poll on: one UPDATE is the whole heartbeat.
    if ConversationPresence.objects.filter(ticket_id=ticket_id, user=user).update(**defaults):
        return True
    if not Ticket.objects.filter(pk=ticket_id).exists():
        return False
    ConversationPresence.objects.get_or_create(ticket_id=ticket_id, user=user, defaults=defaults)
    return True


# A presence lasts PRESENCE_SECONDS (8) and a console polls every 2 s: a row refreshed once it is
# this old is written every other poll, never looks gone to a colleague (at most ~4 s old), and
# the typing mark (TYPING_SECONDS, 5) stays on while someone types. Half the polls of an open
# conversation then write nothing (benchmarks/console_poll_cpu.py).
HEARTBEAT_SECONDS = 3


def conversation_presence_due(*, mine: OwnPresence | None, typing: bool, now: dt.datetime) -> bool:
    """Whether the poll of someone with the conversation open must write their presence: none
    yet, or it (or their typing, when they type) would soon look old to a colleague."""
    if mine is None:
        return True
    heartbeat = dt.timedelta(seconds=HEARTBEAT_SECONDS)
    if now - mine.seen_at >= heartbeat:
        return True
    return typing and (mine.typing_at is None or now - mine.typing_at >= heartbeat)


def conversation_presence_leave(*, ticket: Ticket, user: Any) -> None:
    ConversationPresence.objects.filter(ticket=ticket, user=user).delete()


def presences_purge(*, before: dt.datetime) -> int:
    """Rows of consoles closed long ago (the beat's daily clean-up)."""
    # Every comune's at once: the rows are the same kind of litter in each.
    deleted, _kinds = ConversationPresence.all_comuni.filter(seen_at__lt=before).delete()
    return deleted


class ReplyCollision(UserError):
    """Someone wrote in the conversation after the replying person's page showed it: the reply
    waits for a second, deliberate "send anyway"."""

    code = "reply_collision"
    http_status = 409

    def __init__(self, message: str, *, latest_message: int) -> None:
        super().__init__(message)
        self.latest_message = latest_message


def reply_check_collision(*, ticket: Ticket, after_message: int, now: dt.datetime) -> None:
    """Refuse a reply written without seeing what arrived after message `after_message`. Called
    by ticket_reply under the ticket's lock, so two colleagues sending at once are serialised:
    the second is asked."""
    news = conversation_news_since(ticket=ticket, after_message=after_message)
    if news is None:
        return
    seconds = max(int((now - news.at).total_seconds()), 0)
    if seconds < 120:
        ago = ngettext("%(n)d secondo", "%(n)d secondi", seconds) % {"n": seconds}
    else:
        minutes = seconds // 60
        ago = ngettext("%(n)d minuto", "%(n)d minuti", minutes) % {"n": minutes}
    if news.origin == MessageOrigin.CITIZEN:
        text = _("Il cittadino ha scritto %(ago)s fa: inviare comunque?") % {"ago": ago}
    else:
        who = news.author.get_full_name() or news.author.get_username() if news.author else ""
        text = _("Un collega (%(who)s) ha risposto %(ago)s fa: inviare comunque?") % {
            "who": who or news.author_label or news.get_origin_display(),
            "ago": ago,
        }
    raise ReplyCollision(text, latest_message=news.pk)
