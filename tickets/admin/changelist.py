"""How the inbox reads one page out of a hundred thousand tickets.

The inbox's order is "late, then unread, then new, then the rest at work, then done", each group
by deadline.
A sort expression for that (`inbox_priority`) depends on the time of the request, so no index can
hold it, and sorting the whole table for every page costs more than everything else on the page.
On PostgreSQL the default order is read instead as one UNION ALL of the groups, each taken in
deadline order from a partial index (migration 0006) and cut at the page's end, and the page is
counted only up to a cap: the cost stays flat however many tickets there are. A search is counted
up to the same cap: a few matching tickets are sorted with the expression, many are read like the
default view, group by group from the deadline indexes (selectors.ticket_list_search finds them
in the tickets' search documents). Other databases, and the order a user picks with a column
header, take Django's own path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_list import ResultList
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.paginator import InvalidPage, Paginator
from django.core.validators import EMPTY_VALUES
from django.db import connections, transaction
from django.db.models import QuerySet, Value
from django.db.models.query import prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from ..models import Ticket
from ..selectors import ticket_first_messages, ticket_search_is_narrow
from ..states import TicketState
from .inbox_order import inbox_groups, inbox_ordering, inbox_priority

# More than this and the inbox says "più di 10.000" instead of counting them all.
COUNT_CAP = 10_000
# A search's: up to a thousand matching tickets are found and sorted at once, and all those of a
# narrow search (up to selectors.FEW_MATCHES); more are read in the inbox's order until the page
# is full (InboxChangeList._get_searched_page).
SEARCH_COUNT_CAP = 1_000
ROW_RELATIONS = ("subscriber", "service", "assignee")


@contextmanager
def _serial_plan(using: str) -> Iterator[None]:
    """Run the block's queries without PostgreSQL's parallel workers. A page of searched
    tickets walks each group's deadline index until it has a page's worth of matches: the
    planner, costing the walk as if it read every match, hands it to two workers whose start
    cost more than the walk itself (the big comune's common word: 147 ms against 43 ms)."""
    connection = connections[using]
    outer = connection.in_atomic_block
    # The setting is the transaction's ("local"): one of its own ends with it; inside a
    # caller's, it is put back, so nothing else the caller runs loses its workers.
    with transaction.atomic(using=using, savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('max_parallel_workers_per_gather'), "
                "set_config('max_parallel_workers_per_gather', '0', true)"
            )
            before = cursor.fetchone()[0]
        yield
        if outer:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('max_parallel_workers_per_gather', %s, true)", [before]
                )


class InboxPaginator(Paginator):
    """Counts the inbox's rows only up to the cap: past it the page says "più di 10.000"."""

    capped = False

    @cached_property
    def count(self) -> int:
        tickets: QuerySet[Ticket] = self.object_list  # type: ignore[assignment]
        found = tickets.order_by().values("pk")[: COUNT_CAP + 1].count()
        self.capped = found > COUNT_CAP
        return min(found, COUNT_CAP)


def inbox_order_key(ticket: Ticket) -> str:
    """Where a row sits in the inbox's default order, as text that sorts the same way: the live
    console places a changed row among the page's rows by it (tickets/static/tickets/live.js)."""
    due = int(ticket.due_at.timestamp()) if ticket.due_at else 10**11
    return f"{ticket.inbox_group}.{due:011d}.{ticket.pk:012d}"  # type: ignore[attr-defined]


def inbox_rows_read(rows: list[Any]) -> list[Any]:
    """What a row shows beyond its ticket and relations: the first words of the request, read
    for these rows only, and the conversation's URL."""
    # Read with the rows already (live_rows.py), or here for these rows only.
    if rows and hasattr(rows[0], "first_kind"):
        previews = {t.pk: (t.first_text or "", t.first_kind or "") for t in rows}
    else:
        previews = ticket_first_messages(ticket_ids=[ticket.pk for ticket in rows])
    # The conversation page's URL is the changelist's plus "<id>/conversation/"
    # (TicketAdmin.get_urls): one reverse for the page, not two for each row.
    changelist_url = reverse("admin:tickets_ticket_changelist")
    for ticket in rows:
        ticket.first_text, ticket.first_kind = previews.get(ticket.pk, ("", ""))
        ticket.conversation_url = f"{changelist_url}{ticket.pk}/conversation/"
    return rows


def inbox_cells(
    model_admin: Any, columns: Sequence[Any], tickets: Iterable[Ticket]
) -> list[tuple[Ticket, str]]:
    """Each ticket's cells as the admin draws them (admin_list.items_for_result: a cell per
    column, `action-checkbox` or `field-<name>`, the empty value's sign), each column's method
    called directly. The admin's per-cell look-up tries every column as a model field first, an
    exception each time: 500 of them on a page were half its drawing time. The inbox page and
    the live console's changed rows (live_rows.py) both draw here, so a patched row is the
    page's row."""
    empty = model_admin.get_empty_value_display()
    drawers = []
    for name in columns:
        # TicketAdmin names its columns; a callable in list_display would need its own class.
        assert isinstance(name, str), name
        opening = "action-checkbox" if name == "action_checkbox" else f"field-{name}"
        drawers.append((f'<td class="{opening}">', getattr(model_admin, name)))
    drawn = []
    for ticket in tickets:
        cells = []
        for opening, display in drawers:
            value = display(ticket)
            value = conditional_escape(empty if value in EMPTY_VALUES else value)
            cells.append(f"{opening}{value}</td>")
        drawn.append((ticket, "".join(cells)))
    return drawn


def _counts_up_to(counted: list[tuple[QuerySet[Ticket], int]]) -> list[int]:
    """Each queryset's count, stopped at its cap, in one round trip (one scalar subquery each:
    an index range read up to the cap)."""
    parts: list[str] = []
    params: list[Any] = []
    for queryset, cap in counted:
        sql, part_params = queryset.order_by().values("pk")[:cap].query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted)")  # noqa: S608 (the ORM's SQL)
        params.extend(part_params)
    with connections[counted[0][0].db].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        return list(cursor.fetchone())


class InboxChangeList(ChangeList):
    """The changelist of the inbox: the page's rows in a fixed number of queries whatever the
    page size or number, and their first words read for those rows only.

    A request carrying `inbox_rows_only` (a set of ticket ids: the live poll's, tickets/admin/
    live.py) reads no page at all: only those of the tickets that the view's filters and search
    still select, each with its place in the inbox's order."""

    now: dt.datetime

    @property
    def sorted_by_inbox_order(self) -> bool:
        """Whether the rows are in the inbox's own order (no column header picked)."""
        return ORDER_VAR not in self.params

    def get_filters(self, request):
        # The live poll's rows of the unfiltered inbox need no filter: building the sidebar's
        # filters reads the services and the URP's people, a third of such a poll's work.
        if getattr(request, "inbox_rows_only", None) is not None and not self.get_filters_params():
            return [], False, {}, False, False
        return super().get_filters(request)

    def get_results(self, request):
        self.now = timezone.now()
        vendor = connections[self.queryset.db].vendor
        only = getattr(request, "inbox_rows_only", None)
        if only is not None:
            self._get_rows_only(only)
        elif vendor == "postgresql" and ORDER_VAR not in self.params:
            if self.query:
                self._get_searched_page(request)
            else:
                self._get_grouped_page(request)
        else:
            if ORDER_VAR not in self.params:
                # Each row's group, for its place (inbox_order_key); the order is the same.
                self.queryset = self.queryset.annotate(inbox_group=inbox_priority(self.now))
            super().get_results(request)
            self.result_count_capped = self.paginator.capped
        self.result_list = inbox_rows_read(list(self.result_list))

    def _get_rows_only(self, ids: set[int]) -> None:
        # A few rows: their relations joined in one query rather than prefetched in three.
        rows = list(
            self.queryset.order_by()
            .filter(pk__in=ids)
            .prefetch_related(None)
            .select_related(*ROW_RELATIONS)
            .annotate(inbox_group=inbox_priority(self.now))
        )
        self.result_count = self.full_result_count = len(rows)
        self.result_count_capped = False
        self.show_full_result_count = self.multi_page = self.can_show_all = False
        self.result_list = rows

    def result_rows(self) -> list[ResultList]:
        """The page's rows as the admin draws them (inbox_cells), each naming its ticket and,
        in the inbox's own order, its place."""
        rows = []
        for ticket, cells in inbox_cells(self.model_admin, self.list_display, self.result_list):
            # Each cell's value escaped by inbox_cells, the markup around it our own.
            row = ResultList(None, [mark_safe(cells)])  # noqa: S308
            # The row's ticket and place, for the live console's patches in place.
            row.ticket_id = ticket.pk  # type: ignore[attr-defined]
            if hasattr(ticket, "inbox_group"):
                row.order_key = inbox_order_key(ticket)  # type: ignore[attr-defined]
            rows.append(row)
        return rows

    # --- PostgreSQL, the default order ------------------------------------------------------------
    def _get_grouped_page(self, request) -> None:
        tickets = self.queryset.order_by().prefetch_related(None)
        groups = inbox_groups(self.now)
        # How many tickets the page may reach, counted only up to the cap (a count of the whole
        # table would cost more than the page), and how many each unfinished group holds up to
        # the page's end: a group with more than that pushes the later ones past the page
        # whatever its size, so the page is the same, and counting a big comune's whole fifth
        # of a year's work (42,000 tickets of 200,000) was the page's dearest statement. All in
        # one statement; the finished tickets, last, are the rest.
        # (Where the page ends is known once the count is: up to here whatever it says.)
        reach = max(self.page_num, 1) * self.list_per_page
        if self.show_all:
            reach = max(reach, self.list_max_show_all)
        total, *sizes = _counts_up_to(
            [(tickets, COUNT_CAP + 1)]
            + [(tickets.filter(condition), reach) for _group, condition in groups[:-1]]
        )
        sizes.append(max(total - sum(sizes), 0))
        paginator = self._paginator(request, min(total, COUNT_CAP))
        start, end = self._page_bounds(paginator)

        # The page's slice of each group, read in deadline order from its index. Two parts of one
        # group (the same rank) interleave: each is read up to the slice's end and the merged
        # group cut here.
        ranks: dict[int, int] = {}
        for (group, _condition), size in zip(groups, sizes, strict=True):
            ranks[group] = ranks.get(group, 0) + size
        first_of_group, offset = {}, 0
        for group, size in ranks.items():
            first_of_group[group] = offset
            offset += size
        parts = [group for group, _condition in groups]
        branches = []
        for group, condition in groups:
            low = max(start - first_of_group[group], 0)
            high = min(end - first_of_group[group], ranks[group])
            if low >= high:
                continue
            shared = parts.count(group) > 1
            branches.append(
                tickets.filter(condition)
                .annotate(inbox_group=Value(group))
                .order_by("due_at", "pk")[0 if shared else low : high]
            )
        rows: list[Ticket] = []
        if branches:
            page = branches[0]  # sorted already when alone
            if len(branches) > 1:
                page = page.union(*branches[1:], all=True).order_by("inbox_group", "due_at", "pk")
            fetched = list(page)
            for group in ranks:
                in_group = [ticket for ticket in fetched if ticket.inbox_group == group]
                if parts.count(group) > 1:
                    low = max(start - first_of_group[group], 0)
                    in_group = in_group[low : low + end - start]
                rows.extend(in_group)
        rows = rows[: end - start]
        prefetch_related_objects(rows, *ROW_RELATIONS)
        self._set_results(paginator, rows, capped=total > COUNT_CAP)

    # --- PostgreSQL, a search ---------------------------------------------------------------------
    def _get_searched_page(self, request) -> None:
        # How many tickets match. A narrow search's (a word in at most a few thousand chats) are
        # counted and sorted whole, read by their keys. Another's are counted up to the cap: a
        # common word's (a "buca" in most chats) are read group by group in deadline order, as
        # the default view does, never all sorted for one page.
        if ticket_search_is_narrow(term=self.query):
            found, capped = self.queryset.order_by().count(), False
        else:
            found = self.queryset.order_by().values("pk")[: SEARCH_COUNT_CAP + 1].count()
            capped = found > SEARCH_COUNT_CAP
            found = min(found, SEARCH_COUNT_CAP)
        paginator = self._paginator(request, found)
        start, end = self._page_bounds(paginator)
        if capped:
            rows = self._searched_slice(start, end)
        else:
            rows = list(
                self.queryset.annotate(inbox_group=inbox_priority(self.now)).order_by(
                    *inbox_ordering(self.now)
                )[start:end]
            )
        self._set_results(paginator, rows, capped=capped)

    def _searched_slice(self, start: int, end: int) -> list[Ticket]:
        """Rows `start` to `end` of many matching tickets in the inbox's order: each group's
        first `end` from its deadline index, the search checked ticket by ticket on the way (a
        common word is found within a few tickets), then merged. The finished tickets, four
        fifths of the inbox and last in its order, are read only when the page reaches them:
        a word found mostly in recent chats would otherwise be looked for through all of them."""
        tickets = self.queryset.order_by().prefetch_related(None)
        groups = inbox_groups(self.now)
        at_work = tickets.filter(state__in=TicketState.unfinished()).values("pk")[:end].count()
        if at_work >= end:
            groups = groups[:-1]
        branches = [
            tickets.filter(condition)
            .annotate(inbox_group=Value(group))
            .order_by("due_at", "pk")[:end]
            for group, condition in groups
        ]
        page = branches[0].union(*branches[1:], all=True).order_by("inbox_group", "due_at", "pk")
        with _serial_plan(page.db):
            rows = list(page[start:end])
        prefetch_related_objects(rows, *ROW_RELATIONS)
        return rows

    # --- shared -----------------------------------------------------------------------------------
    def _paginator(self, request, count: int) -> Paginator:
        paginator = self.model_admin.get_paginator(request, self.queryset, self.list_per_page)
        paginator.count = count  # known already: the paginator must not count again
        return paginator

    def _page_bounds(self, paginator: Paginator) -> tuple[int, int]:
        if self.show_all and paginator.count <= self.list_max_show_all:
            return 0, max(paginator.count, 1)
        if paginator.count <= self.list_per_page:  # one page: Django's admin ignores the number
            return 0, self.list_per_page
        try:
            number = paginator.validate_number(self.page_num)
        except InvalidPage as error:
            raise IncorrectLookupParameters from error
        start = (number - 1) * self.list_per_page
        return start, start + self.list_per_page

    def _set_results(self, paginator: Paginator, rows: list[Ticket], *, capped: bool) -> None:
        count = paginator.count
        self.result_count = count
        self.result_count_capped = capped
        self.show_full_result_count = False
        self.show_admin_actions = True
        self.full_result_count = None
        self.result_list = rows
        self.can_show_all = count <= self.list_max_show_all
        self.multi_page = count > self.list_per_page
        self.paginator = paginator
