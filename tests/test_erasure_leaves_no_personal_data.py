"""GDPR art. 17 across the whole product: after a citizen's erasure, no text, JSON, file name or
raw body of any model of any installed app (apps.get_models()) holds their number or name.

The citizen first leaves traces everywhere, through the real doors: signed webhooks (text, a
photo, identity answers, an insult the screening flags, "Iscrivimi"), Meta's status callbacks,
an operator's reply naming them, a forward to a municipal service and its answer, an API reply
stored under an Idempotency-Key, a rectification logged by the admin, the simulator's chat log.

The documented exception: while a moderation case about the citizen is open, nothing is erased
(legal hold, GDPR art. 17(3)(e)); sealed evidence packages are files for the judicial authority,
never rewritten, and outside the database this scan reads; the moderation audit is append-only,
so a moderator's note that named the citizen would stay (notes here do not).
"""

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib import admin
from django.core.files.base import ContentFile
from django.test import RequestFactory

from moderation.models import ScreeningFlag
from moderation.services import case_close, flag_dismiss
from moderation.tests.factories import moderator as make_moderator
from subscribers.models import Subscriber
from subscribers.states import ConsentKind, SubscriberStatus
from subscribers.tasks import subscribers_erase_expired_task
from subscribers.tests.personal_data import personal_data_left, scanned_models
from tests.fixtures.conversation import WhatsApp
from tickets.models import MunicipalService, Ticket
from tickets.services import forward_answer, ticket_forward, ticket_reply
from tickets.tests.factories import operator as make_operator
from urp_portal.accounts.tests.factories import UserFactory, client_with_key, make_api_token
from urp_portal.gateway.models import InboundMessage, OutboundMessage
from urp_portal.municipality.services import municipality_load_preset
from urp_portal.simulator.models import SimulatedMedia, SimulatedMessage
from urp_portal.simulator.states import Direction, MediaOrigin

CITIZEN = "+393471234567"
NEIGHBOUR = "+393479999999"
# The number as Meta ("39347..."), Twilio and people write it; the names as given.
NEEDLES = ["393471234567", "3471234567", "eufrasia", "pitzalis", "12/03/1965"]
# A Tuesday morning: Assemini's desk is open.
OFFICE_HOURS = dt.datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Europe/Rome"))


def assert_nothing_left() -> None:
    left = sorted(set(personal_data_left(NEEDLES)))
    if left:
        pytest.fail("personal data left after erasure:\n" + "\n".join(left))


def models_scanned() -> set[str]:
    return {model._meta.label for model in scanned_models()}


@pytest.fixture(autouse=True)
def in_office_hours():
    with time_machine.travel(OFFICE_HOURS, tick=False):
        yield


@pytest.fixture
def assemini(db):
    return municipality_load_preset(slug="assemini")


def simulator_chat(number: str, name: str) -> None:
    """What the demo's citizen's phone keeps: a message written there and one received."""
    photo = SimulatedMedia(
        media_id=number.lstrip("+")[-6:],
        mime_type="image/jpeg",
        sha256="0" * 64,
        file_size=4,
        filename=f"foto {name}.jpg",
        origin=MediaOrigin.CITIZEN,
    )
    photo.file.save("foto.jpg", ContentFile(b"jpeg"), save=False)
    photo.save()
    SimulatedMessage.objects.create(
        direction=Direction.IN,
        number=number,
        profile_name=name,
        kind="image",
        body=f"Sono {name}, scrivo dal simulatore",
        media=photo,
        wamid=f"wamid.sim.in.{number}",
    )
    SimulatedMessage.objects.create(
        direction=Direction.OUT,
        number=number,
        kind="text",
        body=f"Gentile {name}, la richiamiamo",
        wamid=f"wamid.sim.out.{number}",
        payload={"to": number.lstrip("+"), "text": {"body": f"Gentile {name}"}},
    )


@pytest.fixture
def everywhere(
    whatsapp: WhatsApp, assemini, settings, tmp_path, django_capture_on_commit_callbacks
):
    """An Assemini citizen who left a trace in every app, and a neighbour who did not leave."""
    settings.MEDIA_ROOT = tmp_path
    simulator_chat(CITIZEN, "Eufrasia Pitzalis")
    simulator_chat(NEIGHBOUR, "Gavino Sanna")
    citizen = whatsapp.citizen(CITIZEN, name="Eufrasia Pitzalis")
    citizen.says("Buongiorno, sono Eufrasia Pitzalis: mi serve il certificato di residenza")
    for answer in ("Eufrasia", "Pitzalis", "12/03/1965"):
        citizen.says(answer)
    citizen.sends_photo(caption="La buca davanti a casa Pitzalis")
    photo = citizen.last_message
    citizen.says("Siete dei coglioni, Eufrasia Pitzalis aspetta da un mese")
    citizen.says("Iscrivimi")
    whatsapp.citizen(NEIGHBOUR, name="Gavino Sanna").says("Buongiorno, orari della biblioteca?")
    whatsapp.statuses_come_back("sent", "delivered", "read")

    ticket = Ticket.objects.get(subscriber__number=CITIZEN)
    urp = make_operator(username="operatrice")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, actor=urp, text="Gentile Eufrasia Pitzalis, è pronto.")
        forward = ticket_forward(
            ticket=ticket,
            service=MunicipalService.objects.get(slug="anagrafe"),
            note="La signora Pitzalis chiede il certificato",
            actor=urp,
            site_url="http://testserver",
        )
    forward_answer(
        forward=forward,
        actor=urp,
        text="Certificato per Eufrasia Pitzalis pronto allo sportello",
        municipality=assemini,
    )
    _token, key = make_api_token("operator")
    with django_capture_on_commit_callbacks(execute=True):
        api_reply = client_with_key(key).post(
            f"/api/v1/tickets/{ticket.pk}/reply/",
            {"text": "Gentile signora Pitzalis, può passare domani."},
            format="json",
            headers={"Idempotency-Key": "gestionale-risposta-1"},
        )
    assert api_reply.status_code == 200, api_reply.content
    # A rectification (art. 16) in the admin: Django's log keeps the citizen's name.
    subscriber = Subscriber.objects.get(number=CITIZEN)
    request = RequestFactory().post("/admin/")
    request.user = UserFactory(username="amministratrice", is_superuser=True)
    admin.site._registry[Subscriber].log_change(request, subscriber, "Corretto il cognome")

    assert personal_data_left(NEEDLES)
    return {"photo_path": photo.media_file.path, "subscriber": subscriber}


def test_erasure_waits_for_an_open_moderation_case_then_leaves_nothing_anywhere(
    everywhere, whatsapp: WhatsApp, django_capture_on_commit_callbacks
):
    citizen = whatsapp.citizen(CITIZEN)
    # Assemini keeps nothing after "Cancellami", but the insult opened a moderation case.
    (confirmation,) = citizen.says("Cancellami")
    subscriber = Subscriber.objects.get(number=CITIZEN)
    assert "distrutti o resi anonimi" in confirmation
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED
    assert subscribers_erase_expired_task() == 0
    assert any("pitzalis" in hit for hit in personal_data_left(NEEDLES))

    moderator = make_moderator(username="moderatrice")
    flag = ScreeningFlag.objects.get()
    flag_dismiss(flag=flag, actor=moderator, note="Sfogo, nessuna azione")
    case_close(case=flag.case, actor=moderator, categories=["offensive"], note="Chiuso")
    with django_capture_on_commit_callbacks(execute=True):
        assert subscribers_erase_expired_task() == 1
    # Meta's late callbacks for what was sent before the erasure still name the number.
    whatsapp.statuses_come_back("read")

    assert_nothing_left()
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.ANONYMISED
    assert ConsentKind.ERASURE in subscriber.consent_records.values_list("kind", flat=True)
    assert not os.path.exists(everywhere["photo_path"])
    # The neighbour keeps everything.
    assert personal_data_left(["393479999999", "gavino"]) != []
    assert InboundMessage.objects.filter(sender=NEIGHBOUR).exists()
    assert SimulatedMessage.objects.filter(number=NEIGHBOUR).count() == 2
    assert SimulatedMedia.objects.count() == 1


def test_the_confirmation_sent_after_an_immediate_erasure_leaves_nothing_either(
    whatsapp: WhatsApp, settings, django_capture_on_commit_callbacks
):
    cagliari = municipality_load_preset(slug="cagliari")
    citizen = whatsapp.citizen(CITIZEN, name="Eufrasia Pitzalis")
    citizen.says("Iscrivimi")

    (confirmation,) = citizen.says("Cancellami")
    # Meta reports the confirmation sent, delivered and read, after the number was erased.
    whatsapp.statuses_come_back("sent", "delivered", "read")

    assert confirmation == cagliari.unsubscribed_text
    assert_nothing_left()
    assert OutboundMessage.objects.get(purpose="unsubscribed").state == "read"


def test_the_scan_reads_every_app_that_can_hold_a_citizen_s_words(db):
    scanned = models_scanned()

    assert {
        "gateway.WebhookEvent",
        "gateway.InboundMessage",
        "gateway.OutboundMessage",
        "gateway.PendingStatus",
        "simulator.SimulatedMessage",
        "tickets.Message",
        "tickets.Forward",
        "tickets.TicketSearch",
        "moderation.ScreeningFlag",
        "moderation.ModerationAction",
        "moderation.EvidencePackage",
        "api.IdempotencyRecord",
        "admin.LogEntry",
        "subscribers.Subscriber",
        "subscribers.ConsentRecord",
    } <= scanned
