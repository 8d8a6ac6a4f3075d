"""The inbox's changed rows, drawn as the inbox page draws them, for the live poll to carry: a
console patches its rows in place instead of fetching the whole inbox again for each change
(README, "The live console").

The default view (no filter, no search: what the consoles show) is drawn without the admin's
ChangeList, whose making (columns, actions and their permissions, filters, lookups, ordering)
was most of a change set's cost for a few rows: the rows are read by the selector the inbox
uses (ticket_list_for, the user's scope) and drawn by the page's own cell drawing
(changelist.inbox_cells). Every console shows the same cells for a ticket but for the action
checkbox, which the role decides (a service's staff has no bulk actions): the cells without it
are drawn once per change and kept in the shared cache (ROW_SECONDS) for the other consoles'
polls, each of which still reads which of the rows its user may see and adds its own checkbox.
A filtered or searched view still asks the ChangeList, which applies the filters and search.
Measured in process (benchmarks/console_poll_cpu.py), README "The live console"."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR
from django.core.cache import cache
from django.http import HttpRequest, QueryDict
from django.utils import timezone

from ..live import console_stamp_shared
from ..models import Ticket
from ..selectors import ticket_first_message_fields, ticket_list_for, user_changes_tickets
from .changelist import (
    ROW_RELATIONS,
    inbox_cells,
    inbox_order_key,
    inbox_rows_read,
)
from .inbox_order import inbox_group_of

# One poll draws at most this many rows; more changes at once and the console redraws whole.
MAX_ROWS = 60
# How long a drawn row is served again. Its deadline badge ("oggi", "in ritardo") follows the
# clock, not a change: it may be this much behind (the console redraws whole every minute).
ROW_SECONDS = 30
CHECKBOX = "action_checkbox"


def inbox_rows(
    *,
    model_admin: Any,
    request: HttpRequest,
    query: str,
    ticket_ids: set[int],
    versions: dict[int, str] | None = None,
) -> list[list[Any]] | None:
    """The rows of `ticket_ids` in the inbox at `?<query>` (its filters and search):
    `[ticket, cells' HTML, place in the order]` for each ticket that the view selects,
    `[ticket, None, ""]` for each that it no longer does (resolved, assigned elsewhere...).
    None when a patch cannot be placed: a column's order, a page after the first, too many
    rows, a query the inbox refuses; the console then fetches the page.

    `versions` names each ticket's latest change (the live feed's key): a row drawn for that
    change is taken from the shared cache."""
    params = QueryDict(query)
    if ORDER_VAR in params or params.get(PAGE_VAR, "1") not in ("", "1"):
        return None
    if len(ticket_ids) > MAX_ROWS:
        return None
    if params:
        drawn = _draw(model_admin, request, params, ticket_ids)
        if drawn is None:
            return None
    else:
        drawn = _default_view_rows(model_admin, request, ticket_ids, versions or {})
    return [[pk, *drawn[pk]] if pk in drawn else [pk, None, ""] for pk in sorted(ticket_ids)]


def _default_view_rows(
    model_admin: Any, request: HttpRequest, ticket_ids: set[int], versions: dict[int, str]
) -> dict[int, tuple[str, str]]:
    # Kept only in a cache every web process shares (as the stamp): one process's memory would
    # hold rows its siblings never reuse. The key names the change the row stands for; the
    # cells carry nothing of the user (the checkbox is added below), and which rows a user
    # gets is decided by the user's own scope, in the one query below, whatever the cache holds.
    shared = console_stamp_shared()
    # "cells", not the "row" of before (which held the URP's checkbox): during a deploy, a
    # process of this version never reads an entry drawn by one of the previous.
    keys = {pk: f"tickets:live:cells:{pk}:{versions[pk]}" for pk in ticket_ids if versions.get(pk)}
    found = cache.get_many(list(keys.values())) if shared and keys else {}
    cached = {pk: tuple(found[key]) for pk, key in keys.items() if key in found}
    missing = ticket_ids - cached.keys()
    if missing:
        visible, drawn = _draw_plain(model_admin, request, ticket_ids, missing)
        if shared:
            cache.set_many(
                {keys[pk]: list(row) for pk, row in drawn.items() if pk in keys}, ROW_SECONDS
            )
    else:
        # Every row drawn already: which of them the user may see, in one query.
        visible = set(
            ticket_list_for(user=request.user)
            .filter(pk__in=ticket_ids)
            .values_list("pk", flat=True)
        )
        drawn = {}
    rows = {pk: row for pk, row in (cached | drawn).items() if pk in visible}
    if _columns(model_admin, request)[:1] != [CHECKBOX]:
        return rows
    # The role's own first cell, as the page draws it (an unsaved ticket has its number).
    boxes = inbox_cells(model_admin, [CHECKBOX], [Ticket(pk=pk) for pk in rows])
    return {ticket.pk: (box + rows[ticket.pk][0], rows[ticket.pk][1]) for ticket, box in boxes}


def _columns(model_admin: Any, request: HttpRequest) -> list[str]:
    """The inbox's columns for this user, as ModelAdmin.get_changelist_instance lists them: the
    action checkbox first when the user has bulk actions, which only a URP user who may change
    tickets has (TicketAdmin.get_actions: both need the change permission). That is remembered
    with the user's access (access.py): get_actions would read every permission on each poll."""
    columns = list(model_admin.get_list_display(request))
    if user_changes_tickets(request.user):
        columns.insert(0, CHECKBOX)
    return columns


def _draw_plain(
    model_admin: Any, request: HttpRequest, ticket_ids: set[int], draw: set[int]
) -> tuple[set[int], dict[int, tuple[str, str]]]:
    """Which of `ticket_ids` the user may see, and the default view's cells of those of them
    in `draw`, without the action checkbox: one query for the tickets, their relations and
    their first words; the group of each worked out here, not in SQL."""
    now = timezone.now()
    tickets = list(
        ticket_list_for(user=request.user)
        .filter(pk__in=ticket_ids)
        .select_related(*ROW_RELATIONS)
        .annotate(**ticket_first_message_fields())
    )
    visible = {ticket.pk for ticket in tickets}
    tickets = [ticket for ticket in tickets if ticket.pk in draw]
    for ticket in tickets:
        ticket.inbox_group = inbox_group_of(ticket, now)  # type: ignore[attr-defined]
    columns = [name for name in model_admin.get_list_display(request) if name != CHECKBOX]
    drawn = {
        ticket.pk: (cells, inbox_order_key(ticket))
        for ticket, cells in inbox_cells(model_admin, columns, inbox_rows_read(tickets))
    }
    return visible, drawn


def _draw(
    model_admin: Any, request: HttpRequest, params: QueryDict, ticket_ids: set[int]
) -> dict[int, tuple[str, str]] | None:
    """A filtered or searched view's rows, by the admin's ChangeList (its filters, its search)."""
    view = copy.copy(request)
    view.GET = params  # type: ignore[assignment]  # read-only like the request's own
    view.inbox_rows_only = ticket_ids  # type: ignore[attr-defined]  # InboxChangeList
    try:
        changelist = model_admin.get_changelist_instance(view)
    except IncorrectLookupParameters:
        return None
    return {row.ticket_id: (str(row[0]), row.order_key) for row in changelist.result_rows()}
