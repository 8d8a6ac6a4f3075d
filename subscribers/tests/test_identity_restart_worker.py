"""A restart in the middle of the identity questions, with real processes: a Celery worker
runs the conversation, is killed with SIGKILL between two answers, and a new worker process
carries on from what the database holds."""

import pytest

from tests.fixtures.celery_worker import wait_until
from tests.fixtures.conversation import WhatsApp
from urp_portal.gateway.models import InboundMessage, OutboundMessage
from urp_portal.gateway.states import InboundState, OutboundState
from urp_portal.municipality.services import municipality_load_preset

from ..models import Subscriber
from ..states import IdentityStep

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CITIZEN = "+393471234567"
# The real steps up to identity, then a stand-in for the tickets' steps that answers
# "Ricevuto: <text>": no office hours in a worker whose clock cannot be frozen.
PIPELINE = [
    "moderation.inbound.drop_if_blocked",
    "subscribers.inbound.keywords",
    "subscribers.inbound.identity",
    "tests.fixtures.pipeline_steps.auto_reply",
]


def test_a_new_worker_process_carries_on_the_identity_questions_after_a_kill(
    client, fake_graph, celery_worker_process
):
    assemini = municipality_load_preset(slug="assemini")
    worker = celery_worker_process.start(
        graph=fake_graph,
        pipeline=PIPELINE,
        env={"WHATSAPP_RATE_PER_SECOND": "0", "WHATSAPP_RECIPIENT_INTERVAL_SECONDS": "0"},
    )

    def deliver(post):
        """Post, then wait until the worker has run the pipeline and sent every answer."""
        seen = set(InboundMessage.objects.values_list("pk", flat=True))
        post()

        def settled() -> bool:
            new = InboundMessage.objects.exclude(pk__in=seen)
            return (
                new.exists()
                and not new.filter(state=InboundState.RECEIVED).exists()
                and not OutboundMessage.objects.filter(
                    state__in=[OutboundState.QUEUED, OutboundState.SENDING]
                ).exists()
            )

        wait_until(settled, timeout=60, message=worker.log)

    whatsapp = WhatsApp(client=client, graph=fake_graph, deliver=deliver)
    citizen = whatsapp.citizen(CITIZEN, name="Eufrasia P.")
    (question,) = citizen.says("Buongiorno, serve un certificato di residenza")
    (ask_surname,) = citizen.says("Eufrasia")

    worker.kill()
    stored = Subscriber.objects.get(number=CITIZEN)
    assert stored.identity_step == IdentityStep.ASK_LAST_NAME
    worker.start()
    (ask_birth_date,) = citizen.says("Pitzalis")
    # Two sends of one moment: two pool processes may hand them to Graph in either order.
    thanks, first_message_goes_on = sorted(citizen.says("12/03/1965"))

    assert question.startswith(assemini.identity_request_text)
    assert "cognome" in ask_surname
    assert "data di nascita" in ask_birth_date
    assert thanks.startswith("Grazie, Eufrasia.")
    # The first message, held in the database across the kill, went on to the next step.
    assert first_message_goes_on == "Ricevuto: Buongiorno, serve un certificato di residenza"
    subscriber = Subscriber.objects.get(number=CITIZEN)
    assert (subscriber.first_name, subscriber.last_name) == ("Eufrasia", "Pitzalis")
    assert subscriber.identity_step == IdentityStep.COMPLETE
