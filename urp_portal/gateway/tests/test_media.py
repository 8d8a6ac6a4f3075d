"""Inbound media: typed from its bytes, size capped, stored under a random name, refusals
explained; fetched over HTTP from the simulator's fake Graph API."""

import datetime as dt
from importlib import import_module

import pytest
import requests
from django.utils import timezone

from urp_portal.gateway import media as media_module
from urp_portal.gateway.media import (
    MediaRefused,
    inbound_media_download,
    inbound_media_get,
    media_check,
    media_type_from_bytes,
)
from urp_portal.gateway.media_tasks import inbound_media_fetch
from urp_portal.gateway.models import InboundMessage
from urp_portal.simulator.demo import SAMPLES
from urp_portal.simulator.services import simulated_media_store
from urp_portal.simulator.states import MediaOrigin

PAD = b"\x00" * 64
PHOTO = SAMPLES["photo"].read()
VOICE = SAMPLES["voice"].read()


def inbound(**fields):
    values = {
        "provider_id": f"wamid.MEDIA{InboundMessage.objects.count()}",
        "sender": "+393205550101",
        "sent_at": timezone.now(),
        "kind": "image",
        "media_id": "1234567890123456",
        "media_mime_type": "image/jpeg",
        "media_filename": "../../etc/passwd.jpg",
    }
    values.update(fields)
    return InboundMessage.objects.create(**values)


class FakeAdapter:
    """Stands in for the adapter in the unit rules only (the flow test below uses HTTP)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def fetch_media(self, media_id):
        self.calls.append(media_id)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def adapter(monkeypatch):
    def install(*answers):
        fake = FakeAdapter(*answers)
        monkeypatch.setattr(media_module, "get_adapter", lambda: fake)
        return fake

    return install


# --- the type and size rules ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "mime_type"),
    [
        (PHOTO, "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + PAD, "image/png"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 " + PAD, "image/webp"),
        (b"GIF89a" + PAD, "image/gif"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + PAD, "video/mp4"),
        (b"\x00\x00\x00\x14ftyp3gp4\x00\x00\x00\x003gp4" + PAD, "video/3gpp"),
        (VOICE, "audio/ogg"),
        (b"#!AMR\n" + PAD, "audio/amr"),
        (b"ID3\x03\x00\x00\x00\x00\x00\x00" + PAD, "audio/mpeg"),
        (b"\xff\xf1\x50\x80\x02\x1f\xfc" + PAD, "audio/aac"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom" + PAD, "audio/mp4"),
        (b"%PDF-1.4\n" + PAD, "application/pdf"),
    ],
    ids=["jpeg", "png", "webp", "gif", "mp4", "3gp", "ogg-opus", "amr", "mp3", "aac", "m4a", "pdf"],
)
def test_allowed_formats_are_recognised_from_their_bytes(content, mime_type):
    assert media_type_from_bytes(content).mime_type == mime_type


@pytest.mark.parametrize(
    "content",
    [
        b"<html><body><script>alert(1)</script></body></html>",
        b"MZ\x90\x00" + PAD,
        b"PK\x03\x04" + PAD,
        b"RIFF\x24\x00\x00\x00WAVEfmt " + PAD,
        b"just some text, no signature at all",
    ],
    ids=["html", "windows-exe", "zip-office", "wav", "plain-text"],
)
def test_other_formats_are_refused_with_an_italian_explanation(content):
    with pytest.raises(MediaRefused) as refused:
        media_check(content=content)

    assert refused.value.code == "type_not_allowed"
    assert "Tipo di file non accettato" in refused.value.message


def test_a_file_over_the_cap_is_refused_before_its_type_is_read(settings):
    settings.URP_MEDIA_MAX_BYTES = 1024 * 1024

    with pytest.raises(MediaRefused) as refused:
        media_check(content=b"%PDF-1.4\n" + b"x" * (1024 * 1024))

    assert refused.value.code == "too_large"
    assert "troppo grande (1,0 MB): il limite è 1,0 MB" in refused.value.message


def test_a_file_at_the_cap_is_kept(settings):
    settings.URP_MEDIA_MAX_BYTES = len(PHOTO)

    assert media_check(content=PHOTO).mime_type == "image/jpeg"


# --- the service ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_media_is_stored_under_a_random_name_with_the_type_its_bytes_say(adapter):
    fake = adapter((PHOTO, "application/octet-stream", "../../etc/passwd.jpg"))
    message = inbound()

    inbound_media_download(message_id=message.pk)

    message.refresh_from_db()
    assert fake.calls == ["1234567890123456"]
    assert message.media_file.read() == PHOTO
    assert message.media_file.name.startswith("inbound/")
    assert message.media_file.name.endswith(".jpg")
    assert "passwd" not in message.media_file.name and ".." not in message.media_file.name
    assert message.media_mime_type == "image/jpeg"
    assert message.extra["media_declared_mime_type"] == "application/octet-stream"
    assert "media_error" not in message.extra


@pytest.mark.django_db
def test_a_refused_file_is_explained_and_not_stored(adapter):
    adapter((b"MZ\x90\x00" + PAD, "image/jpeg", "foto.jpg"))
    message = inbound()

    inbound_media_download(message_id=message.pk)

    message.refresh_from_db()
    assert not message.media_file
    assert message.extra["media_error_code"] == "type_not_allowed"
    assert message.extra["media_error"].startswith("Tipo di file non accettato")
    assert inbound_media_get(message=message) is None


@pytest.mark.django_db
def test_the_download_runs_once(adapter):
    fake = adapter((PHOTO, "image/jpeg", ""))
    message = inbound()

    inbound_media_download(message_id=message.pk)
    inbound_media_download(message_id=message.pk)

    assert len(fake.calls) == 1


@pytest.mark.django_db
def test_a_message_without_media_is_left_alone(adapter):
    fake = adapter((PHOTO, "image/jpeg", ""))
    message = inbound(kind="text", media_id="", text="Ciao")

    inbound_media_download(message_id=message.pk)

    assert fake.calls == []


@pytest.mark.django_db
def test_a_permanent_provider_refusal_is_recorded(adapter, monkeypatch):
    class Gone(Exception):
        pass

    monkeypatch.setattr(media_module, "PERMANENT_FETCH_ERRORS", (Gone,))
    adapter(Gone("[100] Unsupported get request"))
    message = inbound()

    inbound_media_download(message_id=message.pk)

    message.refresh_from_db()
    assert message.extra["media_error_code"] == "unavailable"
    assert "WhatsApp non ha fornito il file" in message.extra["media_error"]


@pytest.mark.django_db
def test_the_task_retries_transient_errors_then_keeps_the_file(adapter):
    fake = adapter(
        requests.ConnectionError("reset"),
        requests.ConnectionError("reset"),
        (VOICE, "audio/ogg", ""),
    )
    message = inbound(kind="voice", media_mime_type="audio/ogg; codecs=opus")

    inbound_media_fetch.apply(args=(message.pk,))

    message.refresh_from_db()
    assert len(fake.calls) == 3
    assert message.media_file.read() == VOICE
    assert message.media_mime_type == "audio/ogg"


@pytest.mark.django_db
def test_the_task_records_a_failure_when_the_retries_run_out(adapter):
    adapter(requests.ConnectionError("unreachable"))
    message = inbound()

    inbound_media_fetch.apply(args=(message.pk,))

    message.refresh_from_db()
    assert message.extra["media_error_code"] == "download_failed"
    assert not message.media_file


@pytest.mark.django_db
def test_the_selector_gives_the_kept_file_with_a_safe_download_name(adapter):
    adapter((PHOTO, "image/jpeg", "la mia foto.jpg"))
    message = inbound()
    inbound_media_download(message_id=message.pk)
    message.refresh_from_db()

    stored = inbound_media_get(message=message)

    assert stored.mime_type == "image/jpeg"
    assert stored.download_name == f"whatsapp-{message.pk}.jpg"
    assert stored.size == len(PHOTO)
    with stored.file.open("rb") as handle:
        assert handle.read() == PHOTO


# --- the flow over HTTP -------------------------------------------------------------------------
class GraphMediaClient:
    """Stand-in for the gateway branch's Meta adapter until it is merged: the same two HTTP
    calls (`GET /{media-id}`, then its URL, both with the bearer token)."""

    def __init__(self, graph_url, token):
        self.graph_url = graph_url
        self.headers = {"Authorization": f"Bearer {token}"}

    def fetch_media(self, media_id):
        info = requests.get(f"{self.graph_url}/{media_id}", headers=self.headers, timeout=10)
        info.raise_for_status()
        download = requests.get(info.json()["url"], headers=self.headers, timeout=10)
        download.raise_for_status()
        return download.content, info.json()["mime_type"], ""


def graph_adapter_over_http(settings):
    """The configured simulator adapter (gateway branch) or, before the merge, the stand-in."""
    try:
        simulator_adapter = import_module("urp_portal.gateway.adapters.simulator")
    except ImportError:
        return GraphMediaClient(settings.SIMULATOR_GRAPH_URL, settings.WHATSAPP_ACCESS_TOKEN)
    return simulator_adapter.Adapter()


@pytest.mark.urls("urp_portal.simulator.tests.urls")
def test_a_voice_note_is_fetched_over_http_from_the_fake_graph_api(
    transactional_db, live_server, settings, monkeypatch
):
    settings.WHATSAPP_GATEWAY = "simulator"
    settings.WHATSAPP_ACCESS_TOKEN = "flow-token"
    settings.SIMULATOR_GRAPH_URL = f"{live_server.url}/simulator/graph/v23.0"
    sent = simulated_media_store(
        content=VOICE, mime_type="audio/ogg; codecs=opus", origin=MediaOrigin.CITIZEN
    )
    message = inbound(kind="voice", media_id=sent.media_id, media_mime_type=sent.mime_type)
    monkeypatch.setattr(media_module, "get_adapter", lambda: graph_adapter_over_http(settings))

    inbound_media_download(message_id=message.pk)

    message.refresh_from_db()
    assert message.media_file.read() == VOICE
    assert message.media_mime_type == "audio/ogg"
    assert message.extra["media_declared_mime_type"] == "audio/ogg; codecs=opus"
    assert message.sent_at < timezone.now() + dt.timedelta(seconds=1)
