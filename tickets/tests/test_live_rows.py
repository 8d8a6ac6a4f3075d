"""The live poll's second round (issue 20, point 6): nothing changed costs one cache read, and a
change carries the inbox's changed rows, drawn once and placed by their order key, so a
console patches them in place. The browser side is in test_live_browser.py."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tickets import live, services
from tickets.admin import live_rows
from tickets.admin.inbox_order import inbox_group_of, inbox_priority
from tickets.live import console_cursor
from tickets.models import Forward, Ticket
from tickets.states import TicketCategory, TicketState
from tickets.tests.factories import (
    MessageFactory,
    MunicipalServiceFactory,
    TicketFactory,
    operator,
    service_staff,
)

LIVE = "admin:tickets_ticket_live"


def _poll(client, cursor, **params):
    response = client.get(reverse(LIVE), {"m": cursor["m"], "e": cursor["e"], **params})
    assert response.status_code == 200
    return response.json()


def _start():
    top = console_cursor()
    return {"m": top.message, "e": top.event}


def _rows(answer):
    return {row[0]: row for row in answer.get("rows", [])}


@pytest.fixture
def shared_stamp(monkeypatch):
    """The stamp as it runs with Redis: the test's one process shares its local cache."""
    monkeypatch.setattr(live, "console_stamp_shared", lambda: True)
    monkeypatch.setattr(live_rows, "console_stamp_shared", lambda: True)
    cache.clear()


def test_a_follow_up_comes_with_its_row_marked_unread_and_placed_above_a_seen_one(urp, receive):
    now = timezone.now()
    sooner = TicketFactory(state=TicketState.OPEN, due_at=now + dt.timedelta(hours=1))
    first = receive("+393331120001", "Una buca in via Roma")
    ticket = Ticket.objects.get(messages__inbound=first)
    urp.get(reverse("admin:tickets_ticket_conversation", args=[ticket.pk]))  # seen
    Ticket.objects.filter(pk=ticket.pk).update(due_at=now + dt.timedelta(days=3))
    page = urp.get(reverse("admin:tickets_ticket_changelist")).content.decode()
    start = _start()

    receive("+393331120001", "È ancora lì, qualcuno passa?")
    answer = _poll(urp, start, inbox="")

    _pk, cells, order = _rows(answer)[ticket.pk]
    assert "1 non letto" in cells and f'href="/admin/tickets/ticket/{ticket.pk}/' in cells
    sooner_order = page.split(f'data-ticket="{sooner.pk}" data-order="')[1].split('"')[0]
    # The unread follow-up sorts above the ticket due sooner, which nobody touched.
    assert order < sooner_order
    assert sooner.pk not in _rows(answer)


def test_a_resolved_ticket_leaves_a_view_of_open_ones(urp, receive):
    ticket = Ticket.objects.get(messages__inbound=receive("+393331120002", "Buongiorno"))
    start = _start()

    services.ticket_resolve(ticket=ticket, actor=urp.user)
    answer = _poll(urp, start, inbox=f"state__exact={TicketState.NEW}")

    assert _rows(answer)[ticket.pk] == [ticket.pk, None, ""]


def test_an_inbox_sorted_by_a_column_or_on_page_two_is_fetched_whole(urp, receive):
    start = _start()
    receive("+393331120003", "Buongiorno")

    by_column = _poll(urp, start, inbox="o=2")
    page_two = _poll(urp, start, inbox="p=2")

    assert by_column["full"] == page_two["full"] == 1
    assert "rows" not in by_column and "rows" not in page_two


def test_a_change_that_committed_late_is_drawn_when_asked_again(urp, receive):
    ticket = Ticket.objects.get(messages__inbound=receive("+393331120004", "Buongiorno"))
    # The console's cursor is already past the change (it committed after a later one).
    start = _start()

    plain = _poll(urp, start, inbox="")
    asked = _poll(urp, start, inbox="", rows=str(ticket.pk))

    assert "rows" not in plain
    assert _rows(asked)[ticket.pk][1] is not None


def test_a_console_too_far_behind_redraws_whole_and_goes_on_from_now(urp, receive, monkeypatch):
    monkeypatch.setattr(live, "WINDOW", 1)  # an answer carries 4 changes of each kind at most
    start = _start()
    for n in range(6):
        receive(f"+39333112001{n}", "Buongiorno")

    answer = _poll(urp, start, inbox="")

    top = console_cursor()
    assert answer["full"] == 1
    assert (answer["m"], answer["e"]) == (top.message, top.event)


def test_a_services_staff_gets_no_row_of_another_services_ticket(client, municipality, receive):
    roads = MunicipalServiceFactory(slug="strade")
    client.force_login(service_staff(roads))
    start = _start()

    receive("+393331120005", "Una richiesta non inoltrata")
    answer = _poll(client, start, inbox="")

    assert answer.get("rows", []) == []


def test_nothing_changed_is_answered_from_the_stamp_alone(
    urp, receive, shared_stamp, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    first = _poll(urp, _start(), inbox="")
    cursor = {"m": first["m"], "e": first["e"]}

    # The session, the user and whether they are of the URP are read; no ticket, no message.
    with django_assert_max_num_queries(3):
        quiet = _poll(urp, cursor, inbox="", v=first["v"])
    with django_capture_on_commit_callbacks(execute=True):
        ticket = Ticket.objects.get(messages__inbound=receive("+393331120006", "Buongiorno"))
    moved = _poll(urp, cursor, inbox="", v=first["v"])

    assert quiet["v"] == first["v"] and quiet["changes"] == [] and "waiting" not in quiet
    assert moved["v"] != first["v"]
    assert ticket.pk in _rows(moved)


def test_a_row_is_drawn_once_for_every_console_on_the_default_view(
    urp, receive, shared_stamp, monkeypatch
):
    ticket = Ticket.objects.get(messages__inbound=receive("+393331120007", "Buongiorno"))
    start = _start()
    receive("+393331120007", "Ancora io")
    drawn = []
    draw = live_rows._draw_plain
    monkeypatch.setattr(live_rows, "_draw_plain", lambda *a: drawn.append(a[3]) or draw(*a))

    one = _poll(urp, start, inbox="")
    other = _poll(urp, start, inbox="")

    assert drawn == [{ticket.pk}]
    assert _rows(one)[ticket.pk] == _rows(other)[ticket.pk]


def _page_rows(client, query=""):
    """Each row of the inbox page as it draws it: {ticket: (data-order, cells' HTML)}."""
    html = client.get(reverse("admin:tickets_ticket_changelist") + query).content.decode()
    rows = {}
    for part in html.split('<tr data-ticket="')[1:]:
        pk, rest = part.split('" data-order="', 1)
        order, rest = rest.split('">', 1)
        rows[int(pk)] = (order, rest.split("</tr>", 1)[0])
    return rows


def _forward(ticket, service):
    Forward.objects.create(ticket=ticket, service=service, at=timezone.now(), token=f"t{ticket.pk}")


def _varied_tickets(service):
    """Rows with every kind of cell: late, due today, unread, a service and category, an
    assignee, a finished one, a text to escape, a media request without text."""
    now = timezone.now()
    late = TicketFactory(state=TicketState.OPEN, due_at=now - dt.timedelta(hours=1))
    MessageFactory(ticket=late, text="<script>alert('x')</script> & la TARI?")
    unread = TicketFactory(state=TicketState.FORWARDED, unread_count=2, service=service)
    unread.category = TicketCategory.choices[0][0]
    unread.save()
    MessageFactory(ticket=unread, text="Una buca in via Roma")
    assigned = TicketFactory(
        state=TicketState.CLOSED, assignee=operator(first_name="Anna", last_name="Pinna")
    )
    MessageFactory(ticket=assigned, text="", kind="image")
    today = TicketFactory(state=TicketState.NEW, due_at=now + dt.timedelta(minutes=5))
    for ticket in (late, unread, assigned, today):
        _forward(ticket, service)
    return [late, unread, assigned, today]


@pytest.mark.parametrize("shared", [False, True])
def test_the_live_rows_are_the_pages_rows_for_the_urp(urp, shared, monkeypatch):
    monkeypatch.setattr(live_rows, "console_stamp_shared", lambda: shared)
    cache.clear()
    tickets = _varied_tickets(MunicipalServiceFactory(name="Tributi <TARI>"))
    ids = ",".join(str(t.pk) for t in tickets)

    answer = _poll(urp, _start(), inbox="", rows=ids)
    page = _page_rows(urp)

    assert {pk: (order, cells) for pk, cells, order in answer["rows"]} == {
        t.pk: page[t.pk] for t in tickets
    }
    # The URP's rows carry the bulk actions' checkbox, as the page's do.
    assert all('class="action-select"' in cells for _pk, cells, _order in answer["rows"])


def test_a_services_staff_gets_the_pages_rows_of_its_service_alone_from_a_shared_cache(
    urp, client, receive, shared_stamp, django_capture_on_commit_callbacks
):
    roads = MunicipalServiceFactory(slug="strade", name="Strade")
    theirs = Ticket.objects.get(messages__inbound=receive("+393331120011", "Una buca"))
    other = Ticket.objects.get(messages__inbound=receive("+393331120012", "La TARI"))
    _forward(theirs, roads)
    staff = service_staff(roads)
    start = _start()
    with django_capture_on_commit_callbacks(execute=True):
        receive("+393331120011", "È ancora lì")
        receive("+393331120012", "Ancora io")

    # The URP's console draws both rows first: they are in the shared cache.
    by_urp = _rows(_poll(urp, start, inbox=""))
    client.force_login(staff)
    by_staff = _rows(_poll(client, start, inbox=""))
    # Even asked for by number (rows=), whose drawn row is in the shared cache.
    asked = _rows(_poll(client, start, inbox="", rows=str(other.pk)))
    page = _page_rows(client)

    assert set(by_urp) == {theirs.pk, other.pk}
    # Never another service's row: not in its changes, and refused when asked for.
    assert other.pk not in by_staff
    assert asked[other.pk] == [other.pk, None, ""]
    assert set(page) == {theirs.pk}
    _pk, cells, order = by_staff[theirs.pk]
    assert (order, cells) == page[theirs.pk]
    # A service's staff has no bulk actions: no checkbox, though the URP's row had one.
    assert "action-select" not in cells and "action-select" in by_urp[theirs.pk][1]
    # The same cells but for it.
    assert by_urp[theirs.pk][1].endswith(cells)


def test_a_filtered_view_still_draws_the_pages_rows(urp):
    tickets = _varied_tickets(MunicipalServiceFactory())
    ids = ",".join(str(t.pk) for t in tickets)
    query = f"state__exact={TicketState.FORWARDED}"

    answer = _poll(urp, _start(), inbox=query, rows=ids)
    page = _page_rows(urp, "?" + query)

    drawn = {pk: (order, cells) for pk, cells, order in answer["rows"] if cells is not None}
    assert drawn == page and len(page) == 1


def test_drawing_more_changed_rows_takes_no_more_queries(urp):
    tickets = [TicketFactory(assignee=operator()) for _n in range(8)]
    for ticket in tickets:
        MessageFactory(ticket=ticket)
    start = _start()

    def queries(some):
        with CaptureQueriesContext(connection) as captured:
            answer = _poll(urp, start, inbox="", rows=",".join(str(t.pk) for t in some))
        assert all(row[1] for row in answer["rows"])
        return len(captured)

    queries(tickets[:1])  # the session's and the user's first reads
    assert queries(tickets[:2]) == queries(tickets)


def test_a_rows_group_worked_out_in_python_is_the_sqls(db):
    now = timezone.now()
    for state in TicketState.values:
        for due in (now - dt.timedelta(hours=1), now + dt.timedelta(hours=1)):
            for unread in (0, 2):
                TicketFactory(state=state, due_at=due, unread_count=unread)
    tickets = Ticket.objects.annotate(sql_group=inbox_priority(now))

    groups = {t.pk: (t.sql_group, inbox_group_of(t, now)) for t in tickets}

    assert all(sql == python for sql, python in groups.values()), groups
    assert {sql for sql, _python in groups.values()} == {0, 1, 2, 3, 4}
