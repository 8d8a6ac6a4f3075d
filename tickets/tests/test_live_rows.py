"""The live poll's second round (issue 20, point 6): nothing changed costs one cache read, and a
change carries the inbox's changed rows, drawn once and placed by their order key, so a
console patches them in place. The browser side is in test_live_browser.py."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from tickets import live, services
from tickets.admin import live_rows
from tickets.live import console_cursor
from tickets.models import Ticket
from tickets.states import TicketState
from tickets.tests.factories import MunicipalServiceFactory, TicketFactory, service_staff

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
    draw = live_rows._draw
    monkeypatch.setattr(live_rows, "_draw", lambda *a: drawn.append(a[3]) or draw(*a))

    one = _poll(urp, start, inbox="")
    other = _poll(urp, start, inbox="")

    assert drawn == [{ticket.pk}]
    assert _rows(one)[ticket.pk] == _rows(other)[ticket.pk]
