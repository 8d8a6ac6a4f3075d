"""The inbox's changed rows, drawn as the inbox page draws them, for the live poll to carry: a
console patches its rows in place instead of fetching the whole inbox again for each change
(README, "The live console").

Every console on the inbox's default view shows the same row for a ticket, so a row is drawn
once per change and kept in the shared cache (ROW_SECONDS) for the other consoles' polls, each
of which still reads which of the rows its user may see. Measured in process
(benchmarks/console_poll_cpu.py), a poll bringing ten changed rows: about 25 ms of CPU for the
console that draws them, 9 ms for each other console."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR
from django.core.cache import cache
from django.http import HttpRequest, QueryDict

from ..live import console_stamp_shared
from ..selectors import ticket_list_for

# One poll draws at most this many rows; more changes at once and the console redraws whole.
MAX_ROWS = 60
# How long a drawn row is served again. Its deadline badge ("oggi", "in ritardo") follows the
# clock, not a change: it may be this much behind (the console redraws whole every minute).
ROW_SECONDS = 30


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
    change is taken from the cache when the view is the default one."""
    params = QueryDict(query)
    if ORDER_VAR in params or params.get(PAGE_VAR, "1") not in ("", "1"):
        return None
    if len(ticket_ids) > MAX_ROWS:
        return None
    # Kept only in a cache every web process shares (as the stamp): one process's memory would
    # hold rows its siblings never reuse.
    if params or not versions or not console_stamp_shared():
        drawn = _draw(model_admin, request, params, ticket_ids)
        if drawn is None:
            return None
    else:
        drawn = _default_view_rows(model_admin, request, ticket_ids, versions)
    return [[pk, *drawn[pk]] if pk in drawn else [pk, None, ""] for pk in sorted(ticket_ids)]


def _default_view_rows(
    model_admin: Any, request: HttpRequest, ticket_ids: set[int], versions: dict[int, str]
) -> dict[int, tuple[str, str]]:
    # The default view shows every ticket the user may see: which of these, in one query.
    visible = set(
        ticket_list_for(user=request.user).filter(pk__in=ticket_ids).values_list("pk", flat=True)
    )
    keys = {pk: f"tickets:live:row:{pk}:{versions.get(pk, '')}" for pk in visible}
    found = cache.get_many([key for pk, key in keys.items() if versions.get(pk)])
    rows = {pk: tuple(found[key]) for pk, key in keys.items() if key in found}
    missing = visible - rows.keys()
    if missing:
        drawn = _draw(model_admin, request, QueryDict(""), missing) or {}
        rows.update(drawn)
        cache.set_many(
            {keys[pk]: list(row) for pk, row in drawn.items() if versions.get(pk)}, ROW_SECONDS
        )
    return rows


def _draw(
    model_admin: Any, request: HttpRequest, params: QueryDict, ticket_ids: set[int]
) -> dict[int, tuple[str, str]] | None:
    view = copy.copy(request)
    view.GET = params  # type: ignore[assignment]  # read-only like the request's own
    view.inbox_rows_only = ticket_ids  # type: ignore[attr-defined]  # InboxChangeList
    try:
        changelist = model_admin.get_changelist_instance(view)
    except IncorrectLookupParameters:
        return None
    return {row.ticket_id: (str(row[0]), row.order_key) for row in changelist.result_rows()}
