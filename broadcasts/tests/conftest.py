import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from broadcasts.states import CampaignState
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory

from .factories import CampaignFactory, MessageTemplateFactory


@pytest.fixture(autouse=True)
def office_hours():
    """Every test starts on a Tuesday morning, clock running: a campaign started "now" must not
    fall in the comune's quiet hours (21:00-08:00) because the suite runs at night. Tests about
    quiet hours travel to their own time, which takes precedence."""
    with time_machine.travel(dt.datetime(2026, 11, 24, 10, 30, tzinfo=ZoneInfo("Europe/Rome"))):
        yield


@pytest.fixture(autouse=True)
def eager(fake_graph, settings, eager_tasks):
    """Tasks run in the test's own process, at once: no broker, no worker (the real-worker
    tests live with the gateway's fixture). Sends reach the fake Graph API on loopback, with
    the rate limiter off so 2,000 sends do not wait 25 seconds."""
    settings.WHATSAPP_RATE_PER_SECOND = 0


@pytest.fixture
def san_giuliano(db):
    """San Giuliano Milanese: broadcasts on Tuesday and Friday at 10:00, quiet 21:00-08:00."""
    from urp_portal.municipality.services import municipality_load_preset

    return municipality_load_preset(slug="san_giuliano")


@pytest.fixture
def communications(db):
    return UserFactory(roles=[Role.COMMUNICATIONS])


@pytest.fixture
def colleague(db):
    return UserFactory(roles=[Role.COMMUNICATIONS])


@pytest.fixture
def administrator(db):
    return UserFactory(roles=[Role.ADMINISTRATOR])


@pytest.fixture
def template(db):
    return MessageTemplateFactory()


@pytest.fixture
def approved_campaign(db, communications):
    return CampaignFactory(
        state=CampaignState.APPROVED, created_by=communications, approved_by=communications
    )
