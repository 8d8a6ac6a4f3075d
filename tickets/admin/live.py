"""The console's live door: what changed since the browser last asked (tickets/live.py), the
count for its title, and who else is on the open conversation; and the keys that move between
conversations without going back to the inbox."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone

from urp_portal.municipality.scope import serves_other_comuni

from .. import services
from ..live import (
    Cursor,
    console_changes_since,
    console_cursor,
    console_stamp,
    console_stamp_key,
)
from ..live_door import NO_CSP
from ..live_presence import conversation_live_state
from ..models import Ticket
from ..selectors import ticket_list_for, user_access_with, user_is_urp, user_service_ids
from ..states import TicketState
from .inbox_order import inbox_groups
from .live_rows import MAX_ROWS, inbox_rows


def _int(value: str | None) -> int:
    try:
        return max(int(value or 0), 0)
    except ValueError:
        return 0


def _ids(value: str | None) -> set[int]:
    return {int(part) for part in (value or "").split(",")[:MAX_ROWS] if part.isdigit()}


class LiveView:
    """GET ?m=<message id>&e=<event id>&v=<stamp>[&inbox=<the inbox's query>&rows=<ids>]
    [&t=<open ticket>&typing=1] → JSON. A plain GET, asked every 2 s by every console.

    - Nothing changed (the stamp the console brings is the stamp now): the cursors back, one
      read of the cache.
    - Something changed: two primary-key range scans and a count on a partial index, in one
      round trip, and, from an inbox, its changed rows drawn (live_rows.py), so the page
      patches them in place.
    - With a conversation open, always: its colleagues and ticks; every other poll a presence
      heartbeat."""

    def __init__(self, model_admin: Any) -> None:
        self.model_admin = model_admin

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        # The stamp (its comune's, where several are served) comes in the same round trip as
        # the user's access (access.py). Read before the changes: a change committed after this
        # read gives a new stamp, so the next poll looks again.
        read = user_access_with(user, also=(console_stamp_key(),))
        # Who may see tickets at all, as ticket_list_for decides it: the admin's permission check
        # would load every permission of the user on each poll.
        if not (user_is_urp(user) or user_service_ids(user)):
            raise Http404()
        cursor = Cursor(message=_int(request.GET.get("m")), event=_int(request.GET.get("e")))
        stamp = console_stamp(read=read)
        asked_rows = _ids(request.GET.get("rows"))
        data: dict[str, Any] = {"v": stamp}
        if stamp and request.GET.get("v") == stamp and not asked_rows:
            data.update(m=cursor.message, e=cursor.event, changes=[])
        else:
            data.update(self._changes(request, cursor, asked_rows))
        ticket_id = _int(request.GET.get("t"))
        # The URP sees every ticket: its poll needs no read of the ticket (the presence's row
        # says whether it exists); a service's staff only those forwarded to the service.
        if ticket_id and (
            user_is_urp(user) or ticket_list_for(user=user).filter(pk=ticket_id).exists()
        ):
            now = timezone.now()
            typing = request.GET.get("typing") == "1"
            state = conversation_live_state(ticket_id=ticket_id, user=user, now=now)
            # The heartbeat is written when due (every other poll), after the read: the read
            # never counted the viewer's own row among the colleagues. No row and no ticket:
            # the touch finds no ticket and the poll says nothing about it.
            present = state.mine is not None
            if services.conversation_presence_due(mine=state.mine, typing=typing, now=now):
                present = services.conversation_presence_touch(
                    ticket=ticket_id, user=user, typing=typing, now=now
                )
            if present:
                data["colleagues"] = [
                    {"name": c.name, "typing": c.typing} for c in state.colleagues
                ]
                data["signature"] = state.signature
        response = JsonResponse(data)
        response["Cache-Control"] = "no-store"
        # JSON renders nothing: no Content-Security-Policy is built for it (live_door.py).
        setattr(response, NO_CSP, True)
        return response

    def _changes(self, request: HttpRequest, cursor: Cursor, asked_rows: set[int]) -> dict:
        user = request.user
        found = console_changes_since(user=user, cursor=cursor)
        data: dict[str, Any] = {
            "m": found.cursor.message,
            "e": found.cursor.event,
            # [key, ticket, 1 when a conversation opened, 1 when a message of mine]
            "changes": [
                [change.key, change.ticket, int(change.new_ticket), int(change.for_me)]
                for change in found.changes
            ],
            "waiting": found.waiting,
        }
        if found.truncated:
            # Too far behind (a laptop woken after an hour): the page is fetched whole and
            # the console goes on from now.
            top = console_cursor()
            data.update(m=top.message, e=top.event, full=1)
            return data
        query = request.GET.get("inbox")
        if query is None:
            return data
        # The rows of the changes past the console's cursor, and those it asks for again (a
        # change committed late, found among the rows repeated under the cursor).
        changed = {change.ticket for change in found.changes if change.fresh} | asked_rows
        if changed:
            # Each ticket's latest change, in the feed's order: what its drawn row stands for.
            versions = {change.ticket: change.key for change in found.changes}
            rows = inbox_rows(
                model_admin=self.model_admin,
                request=request,
                query=query,
                ticket_ids=changed,
                versions=versions,
            )
            if rows is None:
                data["full"] = 1
            else:
                data["rows"] = rows
        return data


def ticket_next_for(*, user: Any, after: int, backwards: bool = False) -> int | None:
    """The ticket that follows `after` in the inbox's order among those still to work on that
    are the user's or nobody's (a colleague's are theirs to answer); the first of them when
    `after` is done. Each group is read from its deadline index, never the inbox sorted whole."""
    tickets = ticket_list_for(user=user).filter(state__in=TicketState.unfinished())
    if user_is_urp(user):
        tickets = tickets.filter(Q(assignee__isnull=True) | Q(assignee=user))
    groups = inbox_groups(timezone.now())[:-1]  # the finished tickets are not work
    current = Ticket.objects.filter(pk=after).values("due_at").first()
    position = None
    if current is not None:
        for index, (_rank, condition) in enumerate(groups):
            if tickets.filter(condition, pk=after).exists():
                position = index
                break
    order = ("-due_at", "-pk") if backwards else ("due_at", "pk")
    indexes = list(range(len(groups)))
    if position is not None:
        indexes = indexes[: position + 1][::-1] if backwards else indexes[position:]
    elif backwards:
        return None
    for index in indexes:
        group = tickets.filter(groups[index][1]).exclude(pk=after)
        if index == position and current is not None:
            due = current["due_at"]
            if backwards:
                group = group.filter(Q(due_at__lt=due) | Q(due_at=due, pk__lt=after))
            else:
                group = group.filter(Q(due_at__gt=due) | Q(due_at=due, pk__gt=after))
        found = group.order_by(*order).values_list("pk", flat=True).first()
        if found is not None:
            return found
    return None


class NextTicketView:
    """The next (or, with ?dir=prev, the previous) conversation to work on after this one, in
    the inbox's order; the inbox when there is none."""

    def __init__(self, model_admin: Any) -> None:
        self.model_admin = model_admin

    def __call__(self, request: HttpRequest, ticket_id: int) -> HttpResponse:
        if not self.model_admin.has_view_permission(request):
            raise Http404()
        if serves_other_comuni() and not Ticket.objects.filter(pk=ticket_id).exists():
            # Another comune's ticket: a 404, as on its every page (OtherComunesRowsNotFound).
            raise Http404()
        following = ticket_next_for(
            user=request.user, after=ticket_id, backwards=request.GET.get("dir") == "prev"
        )
        if following is None:
            return redirect("admin:tickets_ticket_changelist")
        return redirect("admin:tickets_ticket_conversation", ticket_id=following)
