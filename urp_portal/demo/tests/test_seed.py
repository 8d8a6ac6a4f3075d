from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

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


def test_the_demo_administrator_and_moderator_sign_in_with_the_printed_code(municipality, client):
    seed_demo()
    client.post(reverse("admin:login"), {"username": "admin", "password": "urp-demo-2026"})
    with override_settings(DEBUG=True):
        out = StringIO()
        call_command("demo_totp", stdout=out)
    codes = dict(line.split() for line in out.getvalue().splitlines() if line.startswith("  "))

    verified = client.post(reverse("accounts:second_factor_verify"), {"token": codes["admin"]})

    assert set(codes) == {"admin", "moderatore"}
    assert verified.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_seed_demo_refuses_without_debug_and_creates_no_account(municipality, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="Solo per la demo"):
        call_command("seed_demo", stdout=StringIO())

    assert not get_user_model().objects.filter(username__in=[u.username for u in DEMO_USERS])


def test_seed_demo_runs_with_debug(municipality, settings):
    settings.DEBUG = True

    call_command("seed_demo", stdout=StringIO())

    assert get_user_model().objects.filter(username="admin").exists()
