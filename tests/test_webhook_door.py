"""The webhook's door holds against bad input: every signed body is stored before anything can
fail, what cannot be read is a 400 and kept, a NUL loses no message, another business's number
is kept and not processed, a failure is shown and retryable, and the media download gives our
token to no one else and reads no more than the cap (issue #19; the media's tests are in
test_webhook_media.py)."""

from __future__ import annotations

import logging
import time

import pytest
from django.urls import reverse

from tests.fixtures.webhooks import meta_message_body, post_signed_webhook
from tickets.models import Message, Ticket
from urp_portal.gateway.models import InboundMessage, OutboundMessage, WebhookEvent
from urp_portal.gateway.services import webhook_event_process, webhook_event_reprocess

OURS = "1122334455667"
NUMBER = "393000000111"


def body_with(
    message: dict, *, phone_number_id: str = OURS, timestamp: str = "1796400000"
) -> bytes:
    return meta_message_body(
        message, sender=NUMBER, name="Efisio", phone_number_id=phone_number_id, timestamp=timestamp
    )


def text_body(
    text: str,
    *,
    wamid: str = "wamid.DOOR1",
    phone_number_id: str = OURS,
    timestamp: str = "1796400000",
) -> bytes:
    return body_with(
        {"id": wamid, "type": "text", "text": {"body": text}},
        phone_number_id=phone_number_id,
        timestamp=timestamp,
    )


# --- what cannot be read ---------------------------------------------------------------------


def test_a_text_with_a_nul_is_stored_without_it_and_reaches_the_operator(whatsapp, municipality):
    whatsapp.post(text_body("Buongiorno\u0000, la strada è allagata"))

    message = InboundMessage.objects.get()
    assert message.text == "Buongiorno, la strada è allagata"
    assert message.extra["nul_removed"] == 1
    assert Message.objects.get(inbound=message).text == "Buongiorno, la strada è allagata"
    assert WebhookEvent.objects.get().state == WebhookEvent.State.PROCESSED


def test_a_body_nested_100000_deep_is_a_400_and_kept(db, client, fake_graph):
    body = b'{"object": "whatsapp_business_account", "entry": ' + b"[" * 100_000 + b"]" * 100_000
    body += b"}"

    response = post_signed_webhook(client, body)

    assert response.status_code == 400
    event = WebhookEvent.objects.get()
    assert event.state == WebhookEvent.State.REJECTED
    assert bytes(event.body) == body
    assert "deep" in event.error


def test_a_body_nested_deeper_than_any_webhook_is_a_400_and_kept(db, client, fake_graph):
    body = text_body("ciao").replace(b'"ciao"', b"[" * 40 + b"1" + b"]" * 40)

    response = post_signed_webhook(client, body)

    assert response.status_code == 400
    assert WebhookEvent.objects.get().state == WebhookEvent.State.REJECTED


def test_a_body_that_is_not_utf8_is_a_400_and_kept(db, client, fake_graph):
    body = text_body("caffè").replace(b'"caff\\u00e8"', b'"caff\xe8\xff"')
    assert b"\xe8\xff" in body

    response = post_signed_webhook(client, body)

    assert response.status_code == 400
    event = WebhookEvent.objects.get()
    assert (event.state, bytes(event.body)) == (WebhookEvent.State.REJECTED, body)


def test_the_admin_shows_a_rejected_deep_body_without_failing(admin_client, client, fake_graph):
    body = b"[" * 100_000
    post_signed_webhook(client, body)
    event = WebhookEvent.objects.get()

    response = admin_client.get(reverse("admin:gateway_webhookevent_change", args=[event.pk]))

    assert response.status_code == 200


# --- another business's number, another gateway -------------------------------------------------


def test_a_webhook_for_another_phone_number_id_is_kept_logged_and_not_processed(
    whatsapp, municipality, caplog
):
    with caplog.at_level(logging.WARNING, logger="urp_portal.gateway"):
        whatsapp.post(text_body("Vorrei un preventivo", phone_number_id="9988776655"))

    event = WebhookEvent.objects.get()
    assert event.state == WebhookEvent.State.IGNORED
    assert "9988776655" in event.error
    assert not InboundMessage.objects.exists()
    assert not Ticket.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert whatsapp.graph.sent_messages() == []
    assert any("9988776655" in record.getMessage() for record in caplog.records)


def test_only_the_configured_gateways_webhook_takes_messages(db, client, fake_graph):
    from tests.fixtures.webhooks import post_signed_twilio_webhook

    # Meta is configured (fake_graph): a Twilio form, even well signed, opens nothing.
    response = post_signed_twilio_webhook(
        client, {"MessageSid": "SM1", "From": "whatsapp:+393000000111", "Body": "ciao"}
    )

    assert response.status_code == 404
    assert not WebhookEvent.objects.exists()


def test_the_simulators_webhook_is_closed_while_the_simulator_is_off(db, client, settings):
    settings.WHATSAPP_GATEWAY = "simulator"
    settings.SIMULATOR_ENABLED = False

    response = post_signed_webhook(client, text_body("ciao"), path="/webhooks/whatsapp/simulator/")

    assert response.status_code == 404
    assert not WebhookEvent.objects.exists()


# --- failures are visible and retryable -----------------------------------------------------


def test_a_parser_bug_still_stores_the_body_and_the_failure_shows_and_can_be_retried(
    client, fake_graph, municipality, monkeypatch, admin_client, django_capture_on_commit_callbacks
):
    from urp_portal.gateway import tasks
    from urp_portal.gateway.adapters.meta import adapter as meta_adapter

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug of ours")

    monkeypatch.setattr(meta_adapter, "parse_cloud_api_body", broken)
    response = post_signed_webhook(client, text_body("La mia pratica?"))
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.state == WebhookEvent.State.RECEIVED

    with pytest.raises(ZeroDivisionError):
        tasks.webhook_event_process(event.pk)

    event.refresh_from_db()
    assert event.state == WebhookEvent.State.FAILED
    assert "ZeroDivisionError: a bug of ours" in event.error
    page = admin_client.get(reverse("admin:gateway_webhookevent_changelist")).content.decode()
    assert "ZeroDivisionError: a bug of ours" in page

    monkeypatch.undo()
    webhook_event_reprocess(event_id=event.pk)
    webhook_event_process(event_id=event.pk)

    event.refresh_from_db()
    assert event.state == WebhookEvent.State.PROCESSED
    assert InboundMessage.objects.get().text == "La mia pratica?"


def test_a_twilio_body_with_a_nul_loses_no_message(client, municipality, twilio_settings):
    from tests.fixtures.webhooks import post_signed_twilio_webhook

    response = post_signed_twilio_webhook(
        client,
        {
            "AccountSid": twilio_settings.TWILIO_ACCOUNT_SID,
            "MessageSid": "SM0NUL",
            "From": "whatsapp:+393000000111",
            "To": "whatsapp:+390700000000",
            "ProfileName": "Efi\x00sio",
            "Body": "Allagamento\x00 in via Dante",
            "NumMedia": "0",
        },
    )
    webhook_event_process(event_id=WebhookEvent.objects.get().pk)

    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert (message.text, message.profile_name) == ("Allagamento in via Dante", "Efisio")
    assert message.extra["nul_removed"] == 2
    assert Message.objects.get(inbound=message).text == "Allagamento in via Dante"


def test_an_id_longer_than_its_column_is_stored_under_its_digest(whatsapp, municipality):
    whatsapp.post(text_body("Buongiorno", wamid="wamid." + "X" * 400))

    message = InboundMessage.objects.get()
    assert message.provider_id.startswith("sha256:")
    assert Message.objects.get(inbound=message).text == "Buongiorno"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_nul_text_is_processed_by_a_real_worker(
    municipality, fake_graph, celery_worker_process, client
):
    from tests.fixtures.celery_worker import wait_until

    worker = celery_worker_process.start(
        graph=fake_graph, pipeline=["tests.fixtures.pipeline_steps.auto_reply"]
    )

    # Written now: the worker's free-text answer needs WhatsApp's 24-hour window still open.
    now = str(int(time.time()))
    response = post_signed_webhook(
        client, text_body("Orari\u0000 anagrafe?", wamid="wamid.NULW", timestamp=now)
    )
    reply = wait_until(
        lambda: OutboundMessage.objects.filter(state="sent").first(),
        timeout=60,
        message=lambda: f"no reply: {list(WebhookEvent.objects.values())}\n{worker.log()}",
    )

    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert (message.state, message.text) == ("processed", "Orari anagrafe?")
    assert reply.text == "Ricevuto: Orari anagrafe?"
