import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from moderation.selectors import screener_forget
from tests.fixtures.conversation import receive
from tickets.models import Ticket

from .factories import moderator as make_moderator

# A Tuesday morning, the URP of Cagliari open: no out-of-hours replies in the way.
OFFICE_HOURS = dt.datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo("Europe/Rome"))
CITIZEN = "+393331112233"


@pytest.fixture(autouse=True)
def fresh_screener():
    """Each test builds the screener from its own database."""
    screener_forget()
    yield
    screener_forget()


@pytest.fixture
def office_hours():
    with time_machine.travel(OFFICE_HOURS, tick=False) as traveller:
        yield traveller


@pytest.fixture
def moderator(db):
    return make_moderator(username="moderatrice")


@pytest.fixture
def insult(municipality, office_hours):
    """A citizen's insulting message, received through the real pipeline."""
    return receive(
        CITIZEN, "Siete dei coglioni, la buca in via Roma è ancora lì", profile_name="Gigi"
    )


def ticket_of(number: str = CITIZEN) -> Ticket | None:
    return Ticket.objects.filter(subscriber__number=number).first()
