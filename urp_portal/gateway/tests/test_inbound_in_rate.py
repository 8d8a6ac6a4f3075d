"""Meta counts a number's throughput inbound and outbound together: each message a citizen
writes takes a slot of its number's rate, so the broadcast at the rate's edge gives it room."""

from __future__ import annotations

import time

import pytest

from tests.fixtures.webhooks import meta_text_body, post_signed_webhook
from urp_portal.gateway import ratelimit
from urp_portal.gateway.lanes import SendClass
from urp_portal.gateway.models import WebhookEvent
from urp_portal.gateway.services import webhook_event_process


def _interval(settings) -> float:
    return 1.0 / (settings.WHATSAPP_RATE_PER_SECOND * ratelimit.HEADROOM)


@pytest.mark.django_db(transaction=True)
def test_messages_received_push_the_next_send_of_their_number_by_their_slots(settings):
    settings.WHATSAPP_RATE_PER_SECOND = 2
    interval = _interval(settings)

    ratelimit.take_inbound_slots(3)
    broadcast = ratelimit.take_slot(interval, SendClass.BULK)
    reply = ratelimit.take_slot(interval, SendClass.INTERACTIVE)

    # Three slots spent by what citizens wrote: a broadcast is told to come back, a reply
    # waits for the slot after them. Nobody waited to count them.
    assert broadcast < 0
    assert reply == pytest.approx(3 * interval, abs=0.05)


@pytest.mark.django_db(transaction=True)
def test_messages_to_another_number_leave_this_numbers_rate_alone(settings):
    settings.WHATSAPP_RATE_PER_SECOND = 2

    ratelimit.take_inbound_slots(5, number="200000000000002")
    started = time.monotonic()
    wait = ratelimit.take_slot(_interval(settings), SendClass.BULK)

    assert wait == pytest.approx(0, abs=0.05)
    assert time.monotonic() - started < 0.5


@pytest.mark.django_db(transaction=True)
def test_no_rate_no_count(settings):
    settings.WHATSAPP_RATE_PER_SECOND = 0

    ratelimit.take_inbound_slots(50)
    settings.WHATSAPP_RATE_PER_SECOND = 2

    assert ratelimit.take_slot(_interval(settings), SendClass.BULK) == pytest.approx(0, abs=0.05)


@pytest.mark.django_db(transaction=True)
def test_a_processed_webhook_spends_one_slot_per_message_and_a_reprocessing_none(
    client, municipality, settings
):
    # A slot every few seconds: longer than processing one webhook takes even on a busy
    # machine, so a slot taken or not is told apart without timing the processing itself.
    settings.WHATSAPP_RATE_PER_SECOND = 0.25
    interval = _interval(settings)
    post_signed_webhook(
        client,
        meta_text_body(wamid="wamid.rate1", sender="+393470000009", text="Buongiorno", timestamp=1),
    )
    event = WebhookEvent.objects.get()

    before = time.monotonic()
    webhook_event_process(event_id=event.pk)
    first_asked = time.monotonic()
    first_slot = first_asked + ratelimit.take_slot(interval, SendClass.INTERACTIVE)
    webhook_event_process(event_id=event.pk)  # done already: counts nothing again
    second_asked = time.monotonic()
    second_slot = second_asked + ratelimit.take_slot(interval, SendClass.INTERACTIVE)

    # The citizen's message took a slot while it was processed, between `before` and
    # `first_asked`; the first send the next one, the second send the one after it (the
    # pipeline's replies are in the outbox, not yet sent: they have taken none).
    assert before + interval - 0.1 <= first_slot <= first_asked + interval + 0.1
    assert second_slot - first_slot == pytest.approx(interval, abs=0.1)
