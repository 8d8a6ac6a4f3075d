"""The webhook door: signatures, storage first, the formats of every sample payload."""

import threading

import pytest
from django.db import connection
from django.test import Client

from tests.fixtures.webhooks import (
    cloud_api_fixture,
    cloud_api_fixture_names,
    meta_signature,
    meta_status_body,
    meta_text_body,
    post_signed_twilio_webhook,
    post_signed_webhook,
)
from urp_portal.gateway.models import InboundMessage, OutboundMessage, PendingStatus, WebhookEvent
from urp_portal.gateway.services import webhook_event_process

# What each shared sample must become: an inbound message of a kind, or a status.
EXPECTED = {
    "audio_voice.json": ("message", "voice"),
    "button_quick_reply.json": ("message", "button"),
    "document.json": ("message", "document"),
    "image.json": ("message", "image"),
    "image_caption.json": ("message", "image"),
    "interactive_button_reply.json": ("message", "interactive"),
    "interactive_list_reply.json": ("message", "interactive"),
    "location.json": ("message", "location"),
    "reaction.json": ("message", "reaction"),
    "sticker.json": ("message", "sticker"),
    "text.json": ("message", "text"),
    "text_bsuid_v25.json": ("message", "text"),
    "unsupported.json": ("message", "unsupported"),
    "video.json": ("message", "video"),
    "status_sent.json": ("status", "sent"),
    "status_delivered.json": ("status", "delivered"),
    "status_read.json": ("status", "read"),
    "status_failed.json": ("status", "failed"),
    # Written from Meta's reference for issue #19 (tests/test_whatsapp_update_types.py shows
    # what the operator sees of each).
    "call_permission_reply.json": ("message", "call_perm"),
    "contacts.json": ("message", "contacts"),
    "edit.json": ("message", "edit"),
    "location_coordinates.json": ("message", "location"),
    "nfm_reply.json": ("message", "flow_reply"),
    "order.json": ("message", "order"),
    "request_welcome.json": ("message", "welcome_req"),
    "revoke.json": ("message", "revoke"),
    "system_user_changed_number.json": ("message", "system"),
    "unknown_type.json": ("message", "unsupported"),
    "user_preferences_resume.json": ("message", "preference"),
    "user_preferences_stop.json": ("message", "preference"),
    "status_deleted.json": ("ignored", ""),
    "status_group.json": ("ignored", ""),
    "status_played.json": ("ignored", ""),
    "status_warning.json": ("ignored", ""),
}


def test_every_shared_sample_has_an_expectation():
    assert sorted(EXPECTED) == cloud_api_fixture_names()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_sample_posted_signed_is_stored_and_parsed_to_its_kind(client, municipality, name):
    body = cloud_api_fixture(name)

    response = post_signed_webhook(client, body)
    event = WebhookEvent.objects.get()
    webhook_event_process(event_id=event.pk)

    assert response.status_code == 200
    assert bytes(event.body) == body
    event.refresh_from_db()
    assert event.state == WebhookEvent.State.PROCESSED
    what, kind = EXPECTED[name]
    if what == "message":
        message = InboundMessage.objects.get()
        assert message.kind == kind
        assert message.event == event
        assert message.state == "processed"
    elif what == "ignored":
        # A status that moves nothing of ours: accepted, and nothing kept waiting.
        assert InboundMessage.objects.count() == 0
        assert not PendingStatus.objects.exists()
    else:
        # No outbound message has that id: the status waits for it.
        assert InboundMessage.objects.count() == 0
        assert PendingStatus.objects.get().status == kind


def test_a_caption_media_and_reply_context_are_parsed(client, municipality):
    post_signed_webhook(client, cloud_api_fixture("document.json"))
    post_signed_webhook(client, cloud_api_fixture("interactive_list_reply.json"))
    for event in WebhookEvent.objects.all():
        webhook_event_process(event_id=event.pk)

    document = InboundMessage.objects.get(kind="document")
    choice = InboundMessage.objects.get(kind="interactive")

    assert (document.text, document.media_id, document.media_filename) == (
        "caption",
        "1234567890987654321",
        "filename.pdf",
    )
    assert document.media_mime_type == "application/pdf"
    assert document.sender == "+972987654321"
    assert document.profile_name == "Test Name"
    assert choice.text == "title"
    assert choice.extra["reply_id"] == "callback_data"
    assert choice.reply_to_provider_id == "wamid.xyzxyz"


def test_a_sender_known_only_by_user_id_is_identified_by_it(client, municipality):
    body = cloud_api_fixture("text_bsuid_v25.json").replace(b'"from": "16315551181",', b"")
    body = body.replace(b'"wa_id": "16315551181",', b"")

    post_signed_webhook(client, body)
    webhook_event_process(event_id=WebhookEvent.objects.get().pk)

    message = InboundMessage.objects.get()
    assert message.sender == "US.13491208655302741918"
    assert message.sender_user_id == "US.13491208655302741918"
    assert message.profile_name == "test user name"


def test_integer_timestamps_are_accepted(client, municipality):
    body = cloud_api_fixture("text.json").replace(b'"1697043223"', b"1697043223")

    post_signed_webhook(client, body)
    webhook_event_process(event_id=WebhookEvent.objects.get().pk)

    assert InboundMessage.objects.get().sent_at.timestamp() == 1697043223


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": "not-a-signature"},
    ],
)
def test_a_bad_or_missing_signature_gets_403_and_nothing_is_stored(db, client, headers):
    body = cloud_api_fixture("text.json")

    response = client.post(
        "/webhooks/whatsapp/meta/", data=body, content_type="application/json", headers=headers
    )

    assert response.status_code == 403
    assert WebhookEvent.objects.count() == 0


def test_a_body_signed_with_another_secret_gets_403(db, client):
    response = post_signed_webhook(client, cloud_api_fixture("text.json"), secret="other")

    assert response.status_code == 403
    assert WebhookEvent.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"object": "page", "entry": []}', b"[1, 2, 3]", b'"just a string"'],
)
def test_a_body_not_in_the_gateways_format_gets_400_and_is_kept(db, client, body):
    response = post_signed_webhook(client, body)

    assert response.status_code == 400
    event = WebhookEvent.objects.get()
    assert event.state == WebhookEvent.State.REJECTED
    assert bytes(event.body) == body
    assert event.error


def test_the_same_body_twice_is_one_event(db, client):
    body = cloud_api_fixture("text.json")

    first = post_signed_webhook(client, body)
    second = post_signed_webhook(client, body)

    assert (first.status_code, second.status_code) == (200, 200)
    assert WebhookEvent.objects.count() == 1


def test_reprocessing_an_event_stores_nothing_twice(client, municipality):
    post_signed_webhook(client, cloud_api_fixture("image_caption.json"))
    event = WebhookEvent.objects.get()
    webhook_event_process(event_id=event.pk)

    WebhookEvent.objects.filter(pk=event.pk).update(state=WebhookEvent.State.RECEIVED)
    webhook_event_process(event_id=event.pk)

    assert InboundMessage.objects.count() == 1


def test_the_same_message_in_two_different_bodies_is_one_message(client, municipality):
    body = meta_text_body(wamid="wamid.same", sender="+393330000001", text="Ciao", timestamp=1)
    again = body.replace(b'"Cittadino"', b'"Cittadino "')

    post_signed_webhook(client, body)
    post_signed_webhook(client, again)
    for event in WebhookEvent.objects.all():
        webhook_event_process(event_id=event.pk)

    assert WebhookEvent.objects.count() == 2
    assert InboundMessage.objects.count() == 1


def test_the_same_body_posted_three_times_at_once_is_one_event_and_one_message(
    transactional_db, municipality
):
    body = meta_text_body(
        wamid="wamid.concurrent", sender="+393330000002", text="Tre volte", timestamp=1700000000
    )
    barrier = threading.Barrier(3)
    answers: list[int] = []

    def post() -> None:
        try:
            barrier.wait()
            answers.append(post_signed_webhook(Client(), body).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for event in WebhookEvent.objects.all():
        webhook_event_process(event_id=event.pk)

    assert answers == [200, 200, 200]
    assert WebhookEvent.objects.count() == 1
    assert InboundMessage.objects.filter(provider_id="wamid.concurrent").count() == 1


def test_the_verification_handshake_echoes_the_challenge(client, settings):
    response = client.get(
        "/webhooks/whatsapp/meta/",
        {
            "hub.mode": "subscribe",
            "hub.verify_token": settings.WHATSAPP_VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )

    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert response["Content-Type"].startswith("text/plain")


def test_the_verification_handshake_with_a_wrong_token_gets_403(client):
    response = client.get(
        "/webhooks/whatsapp/meta/",
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
    )

    assert response.status_code == 403


def test_an_unknown_gateway_is_not_found(db, client):
    body = cloud_api_fixture("text.json")

    response = client.post(
        "/webhooks/whatsapp/nothere/",
        data=body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": meta_signature(body)},
    )

    assert response.status_code == 404


def test_a_twilio_message_and_its_status_callback_are_understood(
    client, municipality, twilio_settings
):
    inbound = {
        "AccountSid": twilio_settings.TWILIO_ACCOUNT_SID,
        "MessageSid": "SM0001",
        "From": "whatsapp:+393331112222",
        "To": "whatsapp:+390700000000",
        "Body": "Buongiorno",
        "NumMedia": "1",
        "MediaUrl0": "https://api.twilio.com/media/ME1",
        "MediaContentType0": "image/jpeg",
        "ProfileName": "Maria",
        "WaId": "393331112222",
        "SmsStatus": "received",
    }
    status = {
        "AccountSid": twilio_settings.TWILIO_ACCOUNT_SID,
        "MessageSid": "SM0002",
        "MessageStatus": "undelivered",
        "ErrorCode": "63016",
        "To": "whatsapp:+393331112222",
    }

    answers = [post_signed_twilio_webhook(client, p).status_code for p in (inbound, status)]
    for event in WebhookEvent.objects.all():
        webhook_event_process(event_id=event.pk)

    assert answers == [200, 200]
    message = InboundMessage.objects.get()
    assert (message.sender, message.kind, message.text, message.profile_name) == (
        "+393331112222",
        "image",
        "Buongiorno",
        "Maria",
    )
    assert message.media_id == "https://api.twilio.com/media/ME1"
    pending = PendingStatus.objects.get()
    assert (pending.provider_id, pending.status, pending.error_code) == (
        "SM0002",
        "failed",
        "63016",
    )


def test_a_twilio_post_with_a_wrong_signature_gets_403(db, client, twilio_settings):
    response = client.post(
        "/webhooks/whatsapp/twilio/",
        data={"AccountSid": "AC1", "MessageSid": "SM1", "Body": "x"},
        headers={"X-Twilio-Signature": "bm90LWl0"},
    )

    assert response.status_code == 403
    assert WebhookEvent.objects.count() == 0


def test_a_status_about_an_erased_recipient_moves_the_message_but_keeps_no_raw_body(
    client, municipality
):
    # The subscribers' erasure leaves a sent message with no recipient (GDPR art. 17).
    erased = OutboundMessage.objects.create(
        to="", purpose="unsubscribed", text="[cancellato]", state="sent", provider_id="wamid.e1"
    )
    kept = OutboundMessage.objects.create(
        to="+393479999999", purpose="reply", text="Ciao", state="sent", provider_id="wamid.k1"
    )
    for message, number in ((erased, "+393471234567"), (kept, "+393479999999")):
        body = meta_status_body(
            wamid=message.provider_id, status="read", recipient=number, timestamp=1767261600
        )
        post_signed_webhook(client, body)

    for event in WebhookEvent.objects.order_by("pk"):
        webhook_event_process(event_id=event.pk)

    erased_event, kept_event = WebhookEvent.objects.order_by("pk")
    assert bytes(erased_event.body) == b""
    assert b"393479999999" in bytes(kept_event.body)
    assert erased_event.state == kept_event.state == WebhookEvent.State.PROCESSED
    erased.refresh_from_db()
    kept.refresh_from_db()
    assert erased.state == kept.state == "read"
