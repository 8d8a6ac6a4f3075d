import datetime as dt

import pytest
import time_machine
from django.test import override_settings

from tests.fixtures.conversation import receive, texts
from urp_portal.gateway.models import InboundMessage
from urp_portal.gateway.pipeline import _steps

from ..models import Subscriber
from ..states import IdentityStep
from . import pipeline_probe
from .pipeline_probe import PIPELINE_WITH_PROBE

CITIZEN = "+393471234567"
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def probe():
    pipeline_probe.reached.clear()
    with override_settings(URP_INBOUND_PIPELINE=PIPELINE_WITH_PROBE):
        yield pipeline_probe.reached


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def test_first_message_is_held_and_the_identity_questions_start(assemini, probe):
    first = receive(CITIZEN, "Buongiorno, a che ora apre l'anagrafe?")

    subscriber = Subscriber.objects.get(number=CITIZEN)
    assert subscriber.identity_step == IdentityStep.ASK_FIRST_NAME
    assert subscriber.identity_held_message == first
    assert first.handled_by == "subscribers.inbound.identity"
    assert probe == []
    (question,) = texts(CITIZEN)
    assert question.startswith(assemini.identity_request_text)
    assert "nome" in question


def test_bad_answers_get_a_hint_and_good_ones_release_the_first_message(assemini, probe):
    first = receive(CITIZEN, "Buongiorno, a che ora apre l'anagrafe?")

    receive(CITIZEN, "12345")
    receive(CITIZEN, "mi chiamo eufrasia")
    receive(CITIZEN, "")  # a photo instead of the surname
    receive(CITIZEN, "PITZALIS")
    receive(CITIZEN, "l'anno scorso")
    receive(CITIZEN, "31/02/1965")
    receive(CITIZEN, "12/03/2020")
    assert probe == []
    last = receive(CITIZEN, "12 marzo 1965")

    subscriber = Subscriber.objects.get(number=CITIZEN)
    assert (subscriber.first_name, subscriber.last_name) == ("Eufrasia", "Pitzalis")
    assert subscriber.birth_date == dt.date(1965, 3, 12)
    assert subscriber.identity_step == IdentityStep.COMPLETE
    assert subscriber.identity_held_message is None
    # The first message, not the date of birth, goes on to become the ticket.
    assert probe == [first.pk]
    first.refresh_from_db()
    assert first.handled_by == "subscribers.tests.pipeline_probe.to_ticket"
    assert last.handled_by == "subscribers.inbound.identity"
    replies = texts(CITIZEN)
    assert "numeri" in replies[1]
    assert "cognome" in replies[2]
    assert "testo" in replies[3]
    assert "Non riesco a leggere la data" in replies[5]
    assert "non esiste" in replies[6]
    assert "14 anni" in replies[7]
    assert replies[-1].startswith("Grazie, Eufrasia.")


def test_once_known_the_citizen_s_messages_go_straight_on(assemini, probe):
    receive(CITIZEN, "Buongiorno")
    for answer in ("Eufrasia", "Pitzalis", "12.03.1965"):
        receive(CITIZEN, answer)
    probe.clear()

    later = receive(CITIZEN, "Un'altra domanda")

    assert probe == [later.pk]


def test_a_restart_in_the_middle_loses_nothing(assemini, probe):
    first = receive(CITIZEN, "Buongiorno, serve un certificato")
    receive(CITIZEN, "Eufrasia")
    # A restart: nothing of this process survives, only the rows.
    _steps.cache_clear()
    stored = Subscriber.objects.get(number=CITIZEN)
    assert stored.identity_step == IdentityStep.ASK_LAST_NAME
    assert stored.identity_held_message_id == first.pk

    receive(CITIZEN, "Pitzalis")
    receive(CITIZEN, "12-3-65")

    assert probe == [first.pk]
    assert Subscriber.objects.get(number=CITIZEN).birth_date == dt.date(1965, 3, 12)


def test_comuni_that_do_not_ask_let_the_first_message_through(municipality, probe):
    first = receive(CITIZEN, "Buongiorno")

    assert probe == [first.pk]
    assert texts(CITIZEN) == []


def test_an_erased_held_message_does_not_stop_the_conversation(assemini, probe):
    first = receive(CITIZEN, "Buongiorno")
    InboundMessage.objects.filter(pk=first.pk).delete()

    for answer in ("Eufrasia", "Pitzalis", "12/03/1965"):
        receive(CITIZEN, answer)

    assert probe == []
    assert "ci scriva pure la sua richiesta" in texts(CITIZEN)[-1]
