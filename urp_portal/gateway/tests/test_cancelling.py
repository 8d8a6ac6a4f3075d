"""`outbound_messages_cancel`: the one door by which other apps stop a message from leaving."""

import pytest

from subscribers.tests.factories import OutboundMessageFactory
from urp_portal.gateway.models import OutboundMessage
from urp_portal.gateway.services import outbound_messages_cancel
from urp_portal.gateway.states import OutboundState

pytestmark = pytest.mark.django_db


def test_only_messages_no_worker_has_taken_are_cancelled():
    queued = OutboundMessageFactory()
    sending = OutboundMessageFactory(state=OutboundState.SENDING)
    sent = OutboundMessageFactory(state=OutboundState.SENT, provider_id="wamid.sent")
    untouched = OutboundMessageFactory()

    cancelled = outbound_messages_cancel(message_ids=[queued.pk, sending.pk, sent.pk])

    assert cancelled == 1
    states = dict(OutboundMessage.objects.values_list("pk", "state"))
    assert states == {
        queued.pk: OutboundState.CANCELLED,
        sending.pk: OutboundState.SENDING,
        sent.pk: OutboundState.SENT,
        untouched.pk: OutboundState.QUEUED,
    }


def test_cancelling_nothing_or_twice_is_harmless():
    message = OutboundMessageFactory()

    assert outbound_messages_cancel(message_ids=[]) == 0
    assert outbound_messages_cancel(message_ids=[message.pk]) == 1
    assert outbound_messages_cancel(message_ids=[message.pk]) == 0
