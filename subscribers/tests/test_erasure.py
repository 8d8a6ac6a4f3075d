import json
import os

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from tests.fixtures.conversation import outbox, receive
from urp_portal.gateway.models import InboundMessage, OutboundMessage, WebhookEvent
from urp_portal.gateway.states import MessageKind, OutboundState
from urp_portal.gateway.tasks import outbound_message_send

from ..models import DataSubjectRequest, OutboundScrub, Subscriber
from ..services import outbound_scrub_sent, subscriber_erase
from ..signals import erase_personal_data, erasure_blockers
from ..states import (
    ConsentChannel,
    ConsentKind,
    DataSubjectRequestKind,
    DataSubjectRequestOutcome,
    SubscriberStatus,
)
from .factories import OutboundMessageFactory, SubscriberFactory, WebhookEventFactory
from .personal_data import personal_data_left

CITIZEN = "+393471234567"
NEIGHBOUR = "+393479999999"
# What must be gone: the number as WhatsApp and Twilio write it, and the citizen's names.
NEEDLES = ["393471234567", "3471234567", "eufrasia", "pitzalis"]


@pytest.fixture
def known_citizen(assemini, settings, tmp_path):
    """An Assemini citizen with everything the product can hold: a webhook body, a photo, the
    identity answers, a subscription, a reply naming them, a status callback naming the number."""
    settings.MEDIA_ROOT = tmp_path
    event = WebhookEventFactory(
        body=json.dumps(
            {
                "contacts": [{"wa_id": CITIZEN[1:], "profile": {"name": "Eufrasia P."}}],
                "messages": [{"from": CITIZEN[1:], "text": {"body": "Sono Eufrasia Pitzalis"}}],
            }
        ).encode()
    )
    first = receive(
        CITIZEN,
        "Sono Eufrasia Pitzalis, vorrei il certificato di residenza",
        profile_name="Eufrasia P.",
        event=event,
    )
    photo = receive(CITIZEN, "", kind=MessageKind.IMAGE, media_filename="pitzalis.jpg")
    photo.media_file.save("pitzalis.jpg", ContentFile(b"jpeg"), save=True)
    for answer in ("Eufrasia", "Pitzalis", "12/03/1965"):
        receive(CITIZEN, answer)
    receive(CITIZEN, "Iscrivimi")
    OutboundMessageFactory(
        to=CITIZEN, text="Gentile Eufrasia Pitzalis, il certificato è pronto.", state="read"
    )
    WebhookEventFactory(
        body=json.dumps({"statuses": [{"recipient_id": CITIZEN[1:], "status": "read"}]}).encode()
    )
    receive(NEIGHBOUR, "Buongiorno")
    return {"first": first, "photo": photo}


def test_unsubscribing_leaves_no_personal_data_in_any_table(
    known_citizen, eager_tasks, django_capture_on_commit_callbacks, fake_graph, settings
):
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 0
    photo_path = known_citizen["photo"].media_file.path
    assert personal_data_left(NEEDLES)

    with django_capture_on_commit_callbacks(execute=True):
        receive(CITIZEN, "Cancellami")

    assert personal_data_left(NEEDLES) == []
    confirmation = OutboundMessage.objects.get(purpose="unsubscribed")
    assert confirmation.state == OutboundState.SENT
    assert confirmation.text == "[cancellato]"
    assert not OutboundScrub.objects.exists()
    assert not os.path.exists(photo_path)
    # Nobody else's data went with it.
    assert InboundMessage.objects.filter(sender=NEIGHBOUR, text="Buongiorno").exists()
    subscriber = Subscriber.objects.get(status=SubscriberStatus.ANONYMISED)
    assert list(subscriber.consent_records.values_list("kind", flat=True)) == [
        # Their first message was a question: the notice at first contact (issue #22).
        ConsentKind.NOTICE_SENT,
        ConsentKind.NOTICE_ACKNOWLEDGED,
        ConsentKind.BROADCAST_OPT_IN,
        ConsentKind.BROADCAST_OPT_OUT,
        ConsentKind.ERASURE,
    ]


def test_the_confirmation_keeps_its_recipient_until_it_is_sent(known_citizen, fake_graph, settings):
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 0
    receive(CITIZEN, "Cancellami")
    confirmation = OutboundMessage.objects.get(purpose="unsubscribed")

    assert outbound_scrub_sent() == 0
    assert OutboundMessage.objects.get(pk=confirmation.pk).to == CITIZEN
    outbound_message_send(confirmation.pk)
    # Meta says "sent" before the scrub runs: a new raw body naming the erased number.
    callback = WebhookEventFactory(
        body=json.dumps({"statuses": [{"recipient_id": CITIZEN[1:], "status": "sent"}]}).encode()
    )
    assert outbound_scrub_sent() == 1
    assert bytes(WebhookEvent.objects.get(pk=callback.pk).body) == b""

    confirmation.refresh_from_db()
    assert (confirmation.to, confirmation.state) == ("", OutboundState.SENT)
    assert personal_data_left(NEEDLES) == []


def test_erasure_from_the_command_line_is_audited(known_citizen):
    subscriber = Subscriber.objects.get(number=CITIZEN)

    call_command("erase_subscriber", number="347 123 4567", reason="Prot. 1234/2026")

    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.ANONYMISED
    request = DataSubjectRequest.objects.get()
    assert (request.kind, request.outcome) == (
        DataSubjectRequestKind.ERASURE,
        DataSubjectRequestOutcome.DONE,
    )
    assert request.reason == "Prot. 1234/2026"
    assert request.channel == ConsentChannel.COMMAND
    assert "riga di comando" in request.actor
    # Queued messages to an erased number are not sent; the scan finds nothing after the scrub.
    outbound_scrub_sent()
    assert personal_data_left(NEEDLES) == []


def test_erasure_waits_when_another_app_still_needs_the_data(known_citizen):
    def legal_hold(sender, subscriber, **kwargs):
        return ["Segnalazione all'autorità giudiziaria in corso."]

    erasure_blockers.connect(legal_hold, dispatch_uid="legal_hold")
    try:
        with pytest.raises(CommandError, match="autorità giudiziaria"):
            call_command("erase_subscriber", number=CITIZEN, reason="Richiesta via PEC")
    finally:
        erasure_blockers.disconnect(dispatch_uid="legal_hold")

    subscriber = Subscriber.objects.get(number=CITIZEN)
    assert subscriber.first_name == "Eufrasia"
    request = DataSubjectRequest.objects.get()
    assert request.outcome == DataSubjectRequestOutcome.POSTPONED
    assert request.details == {"reasons": ["Segnalazione all'autorità giudiziaria in corso."]}


def test_other_apps_erase_their_part_in_the_same_transaction(known_citizen):
    seen = []

    def tickets_part(sender, subscriber, **kwargs):
        seen.append((subscriber.pk, subscriber.number))

    erase_personal_data.connect(tickets_part, dispatch_uid="tickets_part")
    try:
        result = subscriber_erase(
            subscriber=Subscriber.objects.get(number=CITIZEN),
            reason="Prot. 1/2026",
            channel=ConsentChannel.ADMIN,
            actor="capo",
        )
    finally:
        erase_personal_data.disconnect(dispatch_uid="tickets_part")

    # Receivers see the citizen before anonymisation, to find what is theirs.
    assert seen == [(result.subscriber.pk, CITIZEN)]
    assert result.erased


def test_erasing_twice_changes_nothing(known_citizen):
    subscriber = Subscriber.objects.get(number=CITIZEN)
    subscriber_erase(subscriber=subscriber, reason="1", channel=ConsentChannel.ADMIN, actor="a")

    again = subscriber_erase(
        subscriber=subscriber, reason="2", channel=ConsentChannel.ADMIN, actor="a"
    )

    assert not again.erased
    assert DataSubjectRequest.objects.count() == 1


def test_a_queued_broadcast_to_an_erased_number_is_cancelled(municipality):
    subscriber = SubscriberFactory(number=CITIZEN, subscribed=True)
    broadcast = OutboundMessageFactory(to=CITIZEN, purpose="broadcast", text="Allerta meteo")

    subscriber_erase(subscriber=subscriber, reason="1", channel=ConsentChannel.ADMIN, actor="a")

    broadcast.refresh_from_db()
    assert broadcast.state == OutboundState.CANCELLED
    assert broadcast.to == ""
    assert outbox(CITIZEN) == []


def test_a_webhook_from_another_citizen_is_kept(known_citizen):
    other = WebhookEventFactory(body=b'{"messages": [{"from": "393479999999"}]}')

    subscriber_erase(
        subscriber=Subscriber.objects.get(number=CITIZEN),
        reason="1",
        channel=ConsentChannel.ADMIN,
        actor="a",
    )

    assert (
        bytes(WebhookEvent.objects.get(pk=other.pk).body)
        == b'{"messages": [{"from": "393479999999"}]}'
    )
