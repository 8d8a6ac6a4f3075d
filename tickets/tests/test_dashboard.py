import datetime as dt

import time_machine
from django.urls import reverse

from tickets.dashboard import dashboard_for
from tickets.states import TicketState
from tickets.tests.factories import MunicipalServiceFactory, TicketFactory, operator


def test_the_dashboard_counts_open_new_late_and_answers_in_time(municipality, rome):
    now = rome(2026, 11, 23, 10, 0)
    roads = MunicipalServiceFactory(name="Strade")
    hour = dt.timedelta(hours=1)
    # Answered in an hour, in time.
    TicketFactory(
        state=TicketState.RESOLVED,
        opened_at=rome(2026, 11, 10, 9, 0),
        due_at=rome(2026, 11, 12, 23, 59),
        first_response_at=rome(2026, 11, 10, 10, 0),
    )
    # Answered after three hours, late; now waiting for the citizen.
    TicketFactory(
        state=TicketState.WAITING_CITIZEN,
        opened_at=rome(2026, 11, 16, 9, 0),
        due_at=rome(2026, 11, 16, 11, 0),
        first_response_at=rome(2026, 11, 16, 12, 0),
    )
    # Unanswered and late, forwarded to a service.
    TicketFactory(
        state=TicketState.FORWARDED,
        service=roads,
        opened_at=rome(2026, 11, 18, 9, 0),
        due_at=rome(2026, 11, 20, 23, 59),
    )
    # New this morning.
    TicketFactory(opened_at=now - hour, due_at=now + dt.timedelta(days=2))

    board = dashboard_for(now=now)

    assert (board.open, board.new_today, board.late) == (3, 1, 1)
    assert board.within_deadline_pct == 33
    assert board.median_first_response == dt.timedelta(hours=3)
    assert {row["service__name"]: (row["open"], row["late"]) for row in board.per_service} == {
        None: (2, 0),
        "Strade": (1, 1),
    }
    assert board.per_day[-1]["n"] == 1


def test_the_admin_index_shows_the_dashboard_to_the_urp(client, municipality, rome):
    client.force_login(operator())
    TicketFactory()

    with time_machine.travel(rome(2026, 11, 23, 10, 0), tick=False):
        response = client.get(reverse("admin:index"))

    assert 'class="tickets-dashboard"' in response.content.decode()
