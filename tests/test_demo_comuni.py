"""`make demo` with the four seed comuni side by side (issue #24): each bound to its own simulated
number, each with its own accounts, a provider administrator over them; and the citizen's phone
writing to the comune the visitor picks. Through the real doors: the phone page's form, the
simulator's signed webhook into the product, the pipeline, the sends through the fake Graph
API, the replies back on the phone (tasks run eagerly, HTTP over a live server)."""

from __future__ import annotations

import importlib
import time
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.test import Client

from urp_portal.accounts.models import StaffMembership
from urp_portal.gateway.adapters import clear_adapter_cache
from urp_portal.gateway.models import InboundMessage, OutboundMessage
from urp_portal.municipality.models import Municipality, WhatsAppNumber
from urp_portal.simulator.models import SimulatedMessage
from urp_portal.simulator.states import Direction

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("urp_portal.simulator.tests.urls"),
]

CITIZEN = "+393205550177"
# A transactional test empties the tables the migrations seeded: the demo needs the services.
create_services = importlib.import_module(
    "tickets.migrations.0002_municipal_services"
).create_services


@pytest.fixture
def demo(municipality, settings, live_server):
    """The demo as `make demo` prepares it, served by a live server the simulator posts to."""
    settings.DEBUG = True
    settings.WHATSAPP_GATEWAY = "simulator"
    settings.WHATSAPP_PHONE_NUMBER_ID = "100000000000001"
    settings.WHATSAPP_APP_SECRET = "demo-app-secret"
    settings.WHATSAPP_ACCESS_TOKEN = "demo-access-token"
    settings.WHATSAPP_RATE_PER_SECOND = 0
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 0
    settings.SIMULATOR_GRAPH_URL = f"{live_server.url}/simulator/graph/v25.0"
    settings.SIMULATOR_WEBHOOK_URL = f"{live_server.url}/webhooks/whatsapp/meta/"
    settings.SIMULATOR_STATUS_DELAY_SECONDS = 0
    clear_adapter_cache()
    create_services(django_apps, None)
    out = StringIO()
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo_comuni", stdout=out)
    yield out.getvalue()
    clear_adapter_cache()


def test_the_demo_binds_the_four_comuni_each_with_its_own_accounts(demo):
    bound = dict(WhatsAppNumber.objects.values_list("comune__slug", "phone_number_id"))
    assert bound == {
        "assemini": "100000000000002",
        "ancona": "100000000000003",
        "san-giuliano": "100000000000004",
    }
    assert Municipality.objects.get(is_active=True).slug == "cagliari"
    for slug in ("assemini", "ancona", "san-giuliano"):
        members = StaffMembership.objects.filter(comune__slug=slug)
        assert set(members.values_list("user__username", flat=True)) == {
            f"operatore.{slug}",
            f"admin.{slug}",
        }
    # Printed with their password, like the single comune's accounts; the provider too.
    for username in ("operatore.assemini", "admin.ancona", "operatore.san-giuliano", "fornitore"):
        assert username in demo
    assert "urp-demo-2026" in demo
    # Idempotent: a second run adds nothing.
    call_command("seed_demo_comuni", stdout=StringIO())
    assert WhatsAppNumber.objects.count() == 3
    assert StaffMembership.objects.count() == 6


def _write(client: Client, business_number: str, text: str) -> None:
    response = client.post(
        "/simulator/phone/send/",
        {
            "number": CITIZEN,
            "profile_name": "Gavino",
            "text": text,
            "business_number": business_number,
        },
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201, response.content


def _replies(client: Client, business_number: str) -> list[str]:
    data = client.get(
        "/simulator/phone/conversation/",
        {"number": CITIZEN, "business_number": business_number},
    ).json()
    return [m["body"] for m in data["messages"] if not m["mine"]]


def _wait_for_the_replies(worker, timeout: float = 90) -> None:
    """Until both comuni processed their citizen's message and sent every reply."""
    comuni = ["assemini", "ancona"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processed = InboundMessage.objects.filter(comune__slug__in=comuni, state="processed")
        replies = OutboundMessage.objects.filter(comune__slug__in=comuni)
        answered = set(replies.values_list("comune__slug", flat=True)) == set(comuni)
        pending = replies.filter(state__in=["queued", "sending"]).exists()
        if processed.count() == 2 and answered and not pending:
            return
        time.sleep(0.2)
    sent = list(OutboundMessage.objects.values("comune__slug", "state", "text"))
    raise AssertionError(f"not answered: {sent}\n{worker.log()}")


def test_writing_to_two_comunis_numbers_each_answers_with_its_own_texts(
    demo, settings, celery_worker_process
):
    # A real worker: the simulator's webhook, the pipeline, the sends to the simulator's fake
    # Graph API and its status webhooks, each in its own task, as `make demo` runs them.
    worker = celery_worker_process.start(
        env={
            name: str(getattr(settings, name))
            for name in (
                "WHATSAPP_GATEWAY",
                "WHATSAPP_PHONE_NUMBER_ID",
                "WHATSAPP_ACCESS_TOKEN",
                "WHATSAPP_RATE_PER_SECOND",
                "WHATSAPP_RECIPIENT_INTERVAL_SECONDS",
                "SIMULATOR_GRAPH_URL",
                "SIMULATOR_WEBHOOK_URL",
                "SIMULATOR_STATUS_DELAY_SECONDS",
            )
        }
    )
    assemini = Municipality.objects.get(slug="assemini")
    ancona = Municipality.objects.get(slug="ancona")
    client = Client()
    client.force_login(_staff())
    phone = client.get("/simulator/", {"number": CITIZEN})
    choices = [b.comune_name for b in phone.context["business_numbers"]]
    assert choices == [
        Municipality.objects.get(slug=slug).name
        for slug in ("cagliari", "ancona", "assemini", "san-giuliano")
    ]

    _write(client, "100000000000002", "Buongiorno, come si paga la TARI?")
    _write(client, "100000000000003", "Buongiorno, quando passa la raccolta?")
    _wait_for_the_replies(worker)

    to_assemini = _replies(client, "100000000000002")
    to_ancona = _replies(client, "100000000000003")
    # Each citizen's message reached the comune of the number written to...
    written = InboundMessage.objects.exclude(provider_id__startswith="wamid.DEMO.")
    assert set(written.values_list("comune__slug", flat=True)) == {
        "assemini",
        "ancona",
    }
    # ...and each chat on the phone shows that comune's own texts, from its own number only:
    # its own privacy notice, and Assemini's identity questions (Ancona asks none).
    own = {
        "assemini": [assemini.privacy_notice_text[:60], assemini.identity_request_text[:60]],
        "ancona": [ancona.privacy_notice_text[:60]],
    }
    assert all(own.values()) and all(all(beginnings) for beginnings in own.values())
    for beginning in own["assemini"]:
        assert any(t.startswith(beginning) for t in to_assemini)
        assert not any(t.startswith(beginning) for t in to_ancona)
    for beginning in own["ancona"]:
        assert any(t.startswith(beginning) for t in to_ancona)
        assert not any(t.startswith(beginning) for t in to_assemini)
    assert not any("Ancona" in t for t in to_assemini)
    assert not any("Assemini" in t for t in to_ancona)
    sent_from = set(
        SimulatedMessage.objects.filter(direction=Direction.OUT).values_list(
            "business_number", flat=True
        )
    )
    assert sent_from == {"100000000000002", "100000000000003"}
    # Nothing reached the deployment's own (Cagliari's) chat.
    assert _replies(client, "") == []


def _staff():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="operatore")


def test_the_phone_refuses_a_number_of_no_comune(demo):
    client = Client()
    client.force_login(_staff())

    response = client.post(
        "/simulator/phone/send/",
        {"number": CITIZEN, "text": "Ciao", "business_number": "999"},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 400
    assert not SimulatedMessage.objects.exists()


def test_the_demo_provider_sees_the_four_comuni_with_their_numbers(demo):
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username="fornitore"))

    page = client.get("/admin/fornitore/")

    rows = {row.comune.slug: row.phone_number_ids for row in page.context["health"].comuni}
    assert rows == {
        "cagliari": [],
        "assemini": ["100000000000002"],
        "ancona": ["100000000000003"],
        "san-giuliano": ["100000000000004"],
    }
    # Counts only: the demo's citizens are nowhere on the page.
    assert "Maria Rossi" not in page.content.decode()
    assert "+393401234501" not in page.content.decode()


def test_make_demo_runs_again_over_the_four_comuni(demo):
    # A second `make demo` seeds the active comune again, in its scope, once the other comuni
    # are served (unscoped reads would fail closed): nothing is added, nothing raises.
    from broadcasts.models import MessageTemplate

    before = MessageTemplate.all_comuni.count()

    call_command("run_demo", "--prepare-only", stdout=StringIO())

    assert MessageTemplate.all_comuni.count() == before
    assert WhatsAppNumber.objects.count() == 3
