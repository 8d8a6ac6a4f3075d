import pytest
from django.contrib.auth import get_user_model

from tickets.models import Ticket
from tickets.states import TicketState
from urp_portal.demo.seed import DEMO_USERS, seed_demo
from urp_portal.gateway.models import OutboundMessage

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_every_role_and_realistic_tickets(municipality):
    seed_demo()

    assert (
        get_user_model().objects.filter(username__in=[u.username for u in DEMO_USERS]).count() == 5
    )
    states = set(Ticket.objects.values_list("state", flat=True))
    assert {
        TicketState.RESOLVED,
        TicketState.FORWARDED,
        TicketState.ANSWERED_BY_SERVICE,
        TicketState.NEW,
    } <= states
    assert OutboundMessage.objects.filter(purpose="reply").exists()


def test_seeding_twice_adds_nothing(municipality):
    seed_demo()
    counts = (Ticket.objects.count(), OutboundMessage.objects.count())

    seed_demo()

    assert (Ticket.objects.count(), OutboundMessage.objects.count()) == counts
