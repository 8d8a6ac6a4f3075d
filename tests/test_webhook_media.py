"""A citizen's media through the webhook's door: the download gives our token to no one else,
follows no redirect with it, and reads no more than the cap (issue #19)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from django.urls import reverse

from tests.fixtures.webhooks import meta_message_body
from tickets.models import Ticket
from urp_portal.gateway.models import InboundMessage

NUMBER = "393000000111"


# --- the media's host ------------------------------------------------------------------------


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
    return meta_message_body(
        {"id": f"wamid.PHOTO{media_id}", "type": "image", "image": {"id": media_id}},
        sender=NUMBER,
        name="Efisio",
    )


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
