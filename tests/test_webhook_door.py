"""The webhook's door holds against bad input: every signed body is stored before anything can
fail, what cannot be read is a 400 and kept, a NUL loses no message, another business's number
is kept and not processed, a failure is shown and retryable, and the media download gives our
token to no one else and reads no more than the cap (issue #19)."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from django.urls import reverse

from tests.fixtures.webhooks import post_signed_webhook
from tickets.models import Message, Ticket
from urp_portal.gateway.models import InboundMessage, OutboundMessage, WebhookEvent
from urp_portal.gateway.services import webhook_event_process, webhook_event_reprocess

OURS = "1122334455667"
NUMBER = "393000000111"


def body_with(message: dict, *, phone_number_id: str = OURS) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "390700000000", "phone_number_id": phone_number_id},
        "contacts": [{"profile": {"name": "Efisio"}, "wa_id": NUMBER}],
        "messages": [{"from": NUMBER, "timestamp": "1796400000"} | message],
    }
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
        }
    ).encode()


def text_body(text: str, *, wamid: str = "wamid.DOOR1", phone_number_id: str = OURS) -> bytes:
    return body_with(
        {"id": wamid, "type": "text", "text": {"body": text}}, phone_number_id=phone_number_id
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


# --- media ------------------------------------------------------------------------------------


class MediaHost:
    """A loopback HTTP server standing for whatever host a media lookup may name: it records
    each request's headers, and streams `size` bytes without a Content-Length."""

    def __init__(self, *, size: int = 0) -> None:
        self.requests: list[dict[str, str]] = []
        self.bytes_written = 0
        self.size = size
        host = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self):
                host.requests.append(dict(self.headers.items()))
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.end_headers()
                chunk = b"\xff\xd8\xff\xe0" + b"\x00" * (64 * 1024 - 4)
                try:
                    while host.bytes_written < host.size:
                        self.wfile.write(chunk)
                        host.bytes_written += len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/file.jpg"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def media_host():
    hosts: list[MediaHost] = []

    def start(**kwargs) -> MediaHost:
        hosts.append(MediaHost(**kwargs))
        return hosts[-1]

    yield start
    for host in hosts:
        host.close()


def lookup_points_to(fake_graph, media_id: str, url: str, **fields) -> None:
    """The fake Graph API's lookup of `media_id` answers with `url` (and `fields`)."""
    original = fake_graph._answer

    def answer(request):
        if request.method == "GET" and request.path.rstrip("/").endswith(f"/{media_id}"):
            fake_graph.requests.append(request)
            request.status = 200
            return (
                200,
                {"messaging_product": "whatsapp", "url": url, "id": media_id} | fields,
                ("application/json"),
            )
        return original(request)

    fake_graph._answer = answer


def photo_message(media_id: str) -> bytes:
    return body_with({"id": f"wamid.PHOTO{media_id}", "type": "image", "image": {"id": media_id}})


def bubble_html(ticket: Ticket) -> str:
    from tickets.tests.factories import operator

    browser = Client()
    browser.force_login(operator())
    page = browser.get(reverse("admin:tickets_ticket_conversation", args=[ticket.pk]))
    return page.content.decode()


@pytest.mark.parametrize(
    "foreign", ["https://evil.example/steal.jpg", "http://lookaside.fbsbx.com/x.jpg", "live"]
)
def test_a_media_lookup_naming_a_foreign_host_never_gets_our_token(
    whatsapp, municipality, media_host, settings, foreign
):
    host = media_host(size=1024)
    url = host.url if foreign == "live" else foreign
    lookup_points_to(whatsapp.graph, "8101", url)

    whatsapp.post(photo_message("8101"))

    assert host.requests == []
    message = InboundMessage.objects.get()
    assert not message.media_file
    assert message.extra["media_error_code"] == "host_not_allowed"
    html = bubble_html(Ticket.objects.get())
    assert "non è dei suoi server" in html
    assert "in scaricamento" not in html


def test_a_media_answer_over_the_cap_is_stopped_early_and_the_operator_told(
    whatsapp, municipality, media_host, settings, monkeypatch
):
    from urp_portal.gateway.adapters import meta

    settings.URP_MEDIA_MAX_BYTES = 1024 * 1024
    host = media_host(size=20 * 1024 * 1024)
    # The host stands for Meta's media server: allowed, like lookaside.fbsbx.com.
    monkeypatch.setattr(meta.Adapter, "_graph_origin", lambda self: host.url.rsplit("/", 1)[0])
    lookup_points_to(whatsapp.graph, "8102", host.url)

    whatsapp.post(photo_message("8102"))

    message = InboundMessage.objects.get()
    assert message.extra["media_error_code"] == "too_large"
    assert not message.media_file
    # Stopped soon after the cap, far from the 20 MB the host would have sent.
    assert host.requests and host.requests[0]["Authorization"].startswith("Bearer ")
    assert host.bytes_written < 8 * 1024 * 1024
    html = bubble_html(Ticket.objects.get())
    assert "troppo grande" in html
    assert "in scaricamento" not in html


def test_a_media_declared_over_the_cap_is_not_downloaded(
    whatsapp, municipality, media_host, settings, monkeypatch
):
    from urp_portal.gateway.adapters import meta

    settings.URP_MEDIA_MAX_BYTES = 1024 * 1024
    host = media_host(size=2 * 1024 * 1024)
    monkeypatch.setattr(meta.Adapter, "_graph_origin", lambda self: host.url.rsplit("/", 1)[0])
    lookup_points_to(whatsapp.graph, "8103", host.url, file_size=2 * 1024 * 1024)

    whatsapp.post(photo_message("8103"))

    assert host.requests == []
    message = InboundMessage.objects.get()
    assert message.extra["media_error_code"] == "too_large"
    assert "2,0 MB" in message.extra["media_error"]


def test_a_media_download_that_redirects_is_not_followed_with_the_token(
    whatsapp, municipality, media_host, monkeypatch
):
    target = media_host(size=1024)

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(302)
            self.send_header("Location", target.url)
            self.end_headers()

        def log_message(self, *args):
            pass

    redirector = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=redirector.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{redirector.server_port}"
    from urp_portal.gateway.adapters import meta

    monkeypatch.setattr(meta.Adapter, "_graph_origin", lambda self: origin)
    lookup_points_to(whatsapp.graph, "8104", f"{origin}/file.jpg")
    try:
        whatsapp.post(photo_message("8104"))
    finally:
        redirector.shutdown()
        redirector.server_close()

    assert target.requests == []
    assert InboundMessage.objects.get().extra["media_error_code"] == "host_not_allowed"


def test_twilio_credentials_go_to_its_api_only_and_not_through_the_redirect(db, fake_twilio):
    from urp_portal.gateway.adapters import get_adapter

    media_url = fake_twilio.add_media(
        "MM9", "ME9", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image/jpeg"
    )

    content, _mime, _name = get_adapter().fetch_media(media_url)

    first, second = fake_twilio.requests[:2]
    assert first.headers["Authorization"].startswith("Basic ")
    assert second.status == 200 and "Authorization" not in second.headers
    assert content.startswith(b"\xff\xd8")


def test_a_twilio_media_url_on_another_host_is_refused_before_any_request(db, fake_twilio):
    from urp_portal.gateway.adapters import get_adapter
    from urp_portal.gateway.adapters.base import MediaHostRefused

    with pytest.raises(MediaHostRefused):
        get_adapter().fetch_media("https://evil.example/2010-04-01/Accounts/AC1/Media/ME1")

    assert fake_twilio.requests == []


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

    response = post_signed_webhook(client, text_body("Orari\u0000 anagrafe?", wamid="wamid.NULW"))
    reply = wait_until(
        lambda: OutboundMessage.objects.filter(state="sent").first(),
        timeout=60,
        message=lambda: f"no reply: {list(WebhookEvent.objects.values())}\n{worker.log()}",
    )

    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert (message.state, message.text) == ("processed", "Orari anagrafe?")
    assert reply.text == "Ricevuto: Orari anagrafe?"
