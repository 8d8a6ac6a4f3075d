"""The inbox's order and its pages: late, then new, then the rest at work, then done, each by
deadline, the same on every page however the groups fall across pages (on PostgreSQL each group
is read apart from its own index and the page pieced together)."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tickets.admin import changelist
from tickets.admin.ticket import TicketAdmin
from tickets.states import TicketState
from tickets.tests.factories import TicketFactory

URL = "/admin/tickets/ticket/"


def _inbox_in_pages(client, params=None):
    listed, queries = [], []
    page = 1
    # The first request reads who may see tickets; with Redis the next ones find it remembered
    # (tickets/access.py): compared here are the pages, not that first read.
    client.get(reverse("admin:tickets_ticket_changelist"))
    while True:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(
                reverse("admin:tickets_ticket_changelist"), {**(params or {}), "p": page}
            )
        assert response.status_code == 200
        queries.append(len(captured))
        cl = response.context["cl"]
        listed.extend(ticket.pk for ticket in cl.result_list)
        if page >= cl.paginator.num_pages:
            return listed, queries, cl
        page += 1


def test_every_page_of_the_inbox_follows_late_new_at_work_done_by_deadline(urp, monkeypatch):
    monkeypatch.setattr(TicketAdmin, "list_per_page", 3)
    now = timezone.now()

    def ticket(state, hours):
        return TicketFactory(state=state, due_at=now + dt.timedelta(hours=hours)).pk

    # Made out of order on purpose; the names say where each belongs.
    done_recent = ticket(TicketState.RESOLVED, -24)
    at_work_later = ticket(TicketState.OPEN, 48)
    new_soon = ticket(TicketState.NEW, 24)
    late_forwarded = ticket(TicketState.FORWARDED, -1)
    waiting_past_due = ticket(TicketState.WAITING_CITIZEN, -5)  # waiting is never late
    done_old = ticket(TicketState.RESOLVED, -240)
    late_open = ticket(TicketState.OPEN, -3)
    at_work_soon = ticket(TicketState.ANSWERED_BY_SERVICE, 2)
    new_later = ticket(TicketState.NEW, 72)
    late_new = ticket(TicketState.NEW, -2)
    waiting_soon = ticket(TicketState.WAITING_CITIZEN, 5)
    done_future = ticket(TicketState.RESOLVED, 24)
    at_work_mid = ticket(TicketState.OPEN, 10)

    listed, queries, cl = _inbox_in_pages(urp)

    assert listed == [
        late_open,
        late_new,
        late_forwarded,
        new_soon,
        new_later,
        waiting_past_due,
        at_work_soon,
        waiting_soon,
        at_work_mid,
        at_work_later,
        done_old,
        done_recent,
        done_future,
    ]
    assert cl.result_count == 13
    assert len(set(queries)) == 1  # the same queries on every page


def test_a_filtered_inbox_keeps_the_order_across_pages(urp, monkeypatch):
    monkeypatch.setattr(TicketAdmin, "list_per_page", 2)
    now = timezone.now()
    later = TicketFactory(state=TicketState.OPEN, due_at=now + dt.timedelta(days=3)).pk
    late = TicketFactory(state=TicketState.OPEN, due_at=now - dt.timedelta(days=1)).pk
    sooner = TicketFactory(state=TicketState.OPEN, due_at=now + dt.timedelta(days=1)).pk
    TicketFactory(state=TicketState.NEW, due_at=now - dt.timedelta(days=1))

    listed, _queries, cl = _inbox_in_pages(urp, {"state__exact": "open"})

    assert listed == [late, sooner, later]
    assert cl.result_count == 3


def test_the_inbox_stops_counting_at_the_cap_and_says_more_than(urp, monkeypatch):
    monkeypatch.setattr(changelist, "COUNT_CAP", 4)
    monkeypatch.setattr(TicketAdmin, "list_per_page", 2)
    for hours in range(6):
        TicketFactory(state=TicketState.OPEN, due_at=timezone.now() + dt.timedelta(hours=hours))

    response = urp.get(reverse("admin:tickets_ticket_changelist"))

    cl = response.context["cl"]
    assert cl.result_count == 4
    assert cl.result_count_capped
    assert "più di 4" in response.content.decode()


def test_a_page_past_the_last_one_is_refused_as_a_bad_address(urp, monkeypatch):
    monkeypatch.setattr(TicketAdmin, "list_per_page", 2)
    TicketFactory.create_batch(3)

    response = urp.get(reverse("admin:tickets_ticket_changelist"), {"p": 5})

    # Django's admin answers an impossible page by sending the user back to the list.
    assert response.status_code == 302
