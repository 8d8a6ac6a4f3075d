"""The `twilio` adapter through its real doors: sends to a fake Twilio API on loopback (basic
auth, form fields), media fetched with the account's credentials, signed form webhooks and status
callbacks moving what was sent."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from tests.fixtures.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, WHATSAPP_FROM
from tests.fixtures.webhooks import TWILIO_WEBHOOK_PATH, post_signed_twilio_webhook
from urp_portal.celery import app
from urp_portal.gateway.adapters import get_adapter
from urp_portal.gateway.adapters.base import Outgoing, PermanentSendError, TransientSendError
from urp_portal.gateway.adapters.twilio import twilio_signature
from urp_portal.gateway.models import InboundMessage, OutboundMessage, WebhookEvent
from urp_portal.gateway.services import webhook_event_process
from urp_portal.gateway.tasks import outbound_message_send as send_task

CITIZEN = "+393339876543"


@pytest.fixture(autouse=True)
def _no_pacing(settings):
    settings.WHATSAPP_RATE_PER_SECOND = 0
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 0


def citizen_wrote() -> None:
    InboundMessage.objects.create(
        provider_id="SMinbound1",
        sender=CITIZEN,
        sent_at=timezone.now() - dt.timedelta(hours=1),
        kind="text",
        text="Buongiorno",
    )


def queued(**fields) -> OutboundMessage:
    fields.setdefault("to", CITIZEN)
    fields.setdefault("purpose", "reply")
    return OutboundMessage.objects.create(**fields)


def test_a_reply_goes_to_twilio_as_a_form_with_basic_auth_and_keeps_its_sid(db, fake_twilio):
    citizen_wrote()
    message = queued(text="La pratica è in corso.")

    send_task.apply((message.pk,))

    (request,) = fake_twilio.sent()
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.form == {
        "From": f"whatsapp:{WHATSAPP_FROM}",
        "To": f"whatsapp:{CITIZEN}",
        "Body": "La pratica è in corso.",
    }
    message.refresh_from_db()
    assert (message.state, message.provider_id) == ("sent", request.sid)


def test_a_template_goes_as_its_content_sid_with_numbered_variables(db, fake_twilio):
    message = queued(
        template_name="avviso_orari",
        template_provider_id="HX0123",
        template_parameters=["martedì", "10:00"],
    )

    send_task.apply((message.pk,))

    (request,) = fake_twilio.sent()
    assert request.form["ContentSid"] == "HX0123"
    assert request.form["ContentVariables"] == '{"1": "marted\\u00ec", "2": "10:00"}'
    assert "Body" not in request.form


def test_an_attachment_link_goes_as_media_url_with_its_caption(db, fake_twilio):
    citizen_wrote()
    message = queued(text="Il modulo", media_url="https://comune.example.it/modulo.pdf")

    send_task.apply((message.pk,))

    (request,) = fake_twilio.sent()
    assert request.form["MediaUrl"] == "https://comune.example.it/modulo.pdf"
    assert request.form["Body"] == "Il modulo"


def test_a_stored_attachment_with_a_public_url_goes_by_that_url(db, fake_twilio, settings):
    settings.MEDIA_URL = "https://files.comune.example.it/media/"
    citizen_wrote()
    message = queued(text="Foto", media_file="outbound/2026/11/buca.jpg")

    send_task.apply((message.pk,))

    (request,) = fake_twilio.sent()
    assert (
        request.form["MediaUrl"]
        == "https://files.comune.example.it/media/outbound/2026/11/buca.jpg"
    )


def test_a_stored_attachment_twilio_cannot_reach_fails_instead_of_going_without_it(db, fake_twilio):
    citizen_wrote()
    message = queued(text="Foto", media_file="outbound/2026/11/buca.jpg")

    send_task.apply((message.pk,))

    assert fake_twilio.sent() == []
    message.refresh_from_db()
    assert (message.state, message.error_code) == ("failed", "media_url")


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [(429, 20429, TransientSendError), (503, 20503, TransientSendError),
     (400, 21211, PermanentSendError), (400, 63016, PermanentSendError)],
)  # fmt: skip
def test_twilio_errors_are_told_apart_by_code_and_status(db, fake_twilio, status, code, expected):
    fake_twilio.fail_next(status=status, code=code)

    with pytest.raises(expected) as raised:
        get_adapter().send(Outgoing.of(queued(text="x")))

    assert raised.value.code == str(code)


def test_the_window_closed_error_fails_the_message_with_the_template_hint(db, fake_twilio):
    citizen_wrote()
    fake_twilio.fail_next(status=400, code=63016, message="Outside the allowed window")
    message = queued(text="Risposta tardiva")

    send_task.apply((message.pk,))

    message.refresh_from_db()
    assert (message.state, message.error_code) == ("failed", "63016")
    assert "modello approvato" in message.error_message


def test_a_throttled_send_is_retried_until_twilio_takes_it(db, fake_twilio):
    citizen_wrote()
    fake_twilio.fail_next(status=429, code=20429)
    message = queued(text="Riprova")
    app.conf.task_always_eager = True
    try:
        send_task.delay(message.pk)
    finally:
        app.conf.task_always_eager = False

    assert [r.status for r in fake_twilio.requests] == [429, 201]
    message.refresh_from_db()
    assert (message.state, message.attempts, message.error_code) == ("sent", 2, "")


def test_inbound_media_is_fetched_with_the_account_credentials_through_the_redirect(
    db, fake_twilio
):
    media_url = fake_twilio.add_media("MM1", "ME1", b"\xff\xd8\xff\xe0fake-jpeg", "image/jpeg")

    content, mime, filename = get_adapter().fetch_media(media_url)

    assert (content, mime, filename) == (b"\xff\xd8\xff\xe0fake-jpeg", "image/jpeg", "ME1.jpg")
    first = fake_twilio.requests[0]
    assert first.status == 307
    assert first.headers["Authorization"].startswith("Basic ")


def test_media_refused_for_wrong_credentials_is_a_permanent_error(db, fake_twilio, settings):
    media_url = fake_twilio.add_media("MM1", "ME2", b"bytes", "image/png")
    settings.TWILIO_AUTH_TOKEN = "wrong-token"

    with pytest.raises(PermanentSendError) as raised:
        get_adapter().fetch_media(media_url)

    assert raised.value.code == "20003"


def test_status_callbacks_move_the_sent_message_to_read(db, client, fake_twilio):
    citizen_wrote()
    message = queued(text="Ecco")
    send_task.apply((message.pk,))
    message.refresh_from_db()

    for status in ("delivered", "read"):
        params = {
            "AccountSid": ACCOUNT_SID,
            "MessageSid": message.provider_id,
            "MessageStatus": status,
            "To": f"whatsapp:{CITIZEN}",
        }
        assert post_signed_twilio_webhook(client, params).status_code == 200
        webhook_event_process(event_id=WebhookEvent.objects.order_by("-pk").first().pk)

    message.refresh_from_db()
    assert message.state == "read"
    assert message.delivered_at and message.read_at


def test_an_undelivered_callback_fails_the_message_with_twilios_code(db, client, fake_twilio):
    citizen_wrote()
    message = queued(text="Ecco")
    send_task.apply((message.pk,))
    message.refresh_from_db()
    params = {
        "AccountSid": ACCOUNT_SID,
        "MessageSid": message.provider_id,
        "MessageStatus": "undelivered",
        "ErrorCode": "63024",
        "ErrorMessage": "Invalid message recipient",
    }

    post_signed_twilio_webhook(client, params)
    webhook_event_process(event_id=WebhookEvent.objects.get().pk)

    message.refresh_from_db()
    assert (message.state, message.error_code) == ("failed", "63024")


def test_a_form_webhook_signed_for_another_url_gets_403_and_is_not_stored(db, client, fake_twilio):
    params = {
        "AccountSid": ACCOUNT_SID,
        "MessageSid": "SM1",
        "From": "whatsapp:+39333",
        "Body": "x",
    }
    signature = twilio_signature(
        auth_token=AUTH_TOKEN,
        url="https://elsewhere.example.org/webhooks/whatsapp/twilio/",
        params=list(params.items()),
    )

    response = client.post(
        TWILIO_WEBHOOK_PATH,
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )

    assert response.status_code == 403
    assert not WebhookEvent.objects.exists()


def test_a_template_without_its_content_sid_fails_with_an_italian_reason(db, fake_twilio):
    message = queued(template_name="avviso_orari", template_parameters=["martedì"])

    send_task.apply((message.pk,))

    assert fake_twilio.sent() == []
    message.refresh_from_db()
    assert (message.state, message.error_code) == ("failed", "content_sid")
    assert "Content SID" in message.error_message


def test_an_operators_template_reply_on_twilio_carries_the_templates_content_sid(
    db, fake_twilio, municipality, django_capture_on_commit_callbacks
):
    from broadcasts.tests.factories import MessageTemplateFactory
    from tickets import services as ticket_services
    from tickets.tests.factories import TicketFactory, operator

    MessageTemplateFactory(
        name="risposta_pratica", body="Gentile {{1}}, pratica {{2}}.", provider_id="HX9f00"
    )
    ticket = TicketFactory(subscriber__number=CITIZEN)

    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_reply(
            ticket=ticket,
            actor=operator(),
            template_name="risposta_pratica",
            template_parameters=["Anna", "#12"],
        )
    send_task.apply((OutboundMessage.objects.get(purpose="reply").pk,))

    (request,) = fake_twilio.sent()
    assert request.form["ContentSid"] == "HX9f00"
    assert request.form["ContentVariables"] == '{"1": "Anna", "2": "#12"}'


def test_reply_buttons_go_as_numbered_choices_twilio_has_no_free_form_buttons(db, fake_twilio):
    citizen_wrote()
    message = queued(
        text="Quanto è soddisfatto?",
        buttons=[{"id": "csat:1:3", "title": "Soddisfatto"}, {"id": "csat:1:1", "title": "No"}],
    )

    send_task.apply((message.pk,))

    (request,) = fake_twilio.sent()
    assert request.form["Body"] == "Quanto è soddisfatto?\n\n1. Soddisfatto\n2. No"
