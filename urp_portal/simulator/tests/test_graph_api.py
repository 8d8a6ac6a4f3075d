"""The fake Graph API answers like Meta's Cloud API: shapes, errors, bearer token."""

import base64
import datetime as dt
import hashlib
import json

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from urp_portal.simulator.demo import SAMPLES
from urp_portal.simulator.models import SimulatedMessage
from urp_portal.simulator.states import Direction, SimulatedStatus

pytestmark = [pytest.mark.django_db, pytest.mark.urls("urp_portal.simulator.tests.urls")]

GRAPH = "/simulator/graph/v23.0"


def post_json(client, path, payload, **headers):
    body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    return client.post(path, data=body, content_type="application/json", headers=headers)


def text_payload(**overrides):
    payload = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "393205550101",
        "type": "text",
        "text": {"body": "Buongiorno, abbiamo ricevuto la sua segnalazione.", "preview_url": False},
    }
    payload.update(overrides)
    return payload


def test_a_text_send_answers_like_meta_and_is_kept(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_json(client, f"{GRAPH}/simulator/messages", text_payload())

    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == {"messaging_product", "contacts", "messages"}
    assert answer["messaging_product"] == "whatsapp"
    assert answer["contacts"] == [{"input": "393205550101", "wa_id": "393205550101"}]
    wamid = answer["messages"][0]["id"]
    assert wamid.startswith("wamid.SIM")
    kept = SimulatedMessage.objects.get(wamid=wamid)
    assert (kept.direction, kept.number, kept.kind) == (Direction.OUT, "+393205550101", "text")
    assert kept.body == "Buongiorno, abbiamo ricevuto la sua segnalazione."
    assert kept.status == SimulatedStatus.PENDING
    # The status webhooks are the worker's job, enqueued after commit, never in the request.
    assert len(callbacks) == 1


def test_a_template_send_is_kept_readable(client):
    payload = text_payload(
        type="template",
        template={
            "name": "avviso_viabilita",
            "language": {"code": "it"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "via Roma"}]}],
        },
    )
    del payload["text"]

    response = post_json(client, f"{GRAPH}/simulator/messages", payload)

    assert response.status_code == 200
    kept = SimulatedMessage.objects.get(wamid=response.json()["messages"][0]["id"])
    assert kept.kind == "template"
    assert "avviso_viabilita" in kept.body and "via Roma" in kept.body


def test_an_image_by_link_is_kept_with_its_caption(client):
    payload = text_payload(
        type="image", image={"link": "https://comune.example.it/a.jpg", "caption": "Mappa"}
    )
    del payload["text"]

    response = post_json(client, f"{GRAPH}/simulator/messages", payload)

    assert response.status_code == 200
    kept = SimulatedMessage.objects.get()
    assert (kept.kind, kept.media_link, kept.body) == (
        "image",
        "https://comune.example.it/a.jpg",
        "Mappa",
    )


@pytest.mark.parametrize(
    ("payload", "expected_code"),
    [
        (b"{not json", 100),
        ({"to": "393205550101", "type": "text", "text": {"body": "x"}}, 100),
        (text_payload(to=""), 100),
        (text_payload(to="not-a-number"), 100),
        (text_payload(type="carousel"), 100),
        (text_payload(text={"body": "   "}), 100),
        (text_payload(text={"body": "x" * 4097}), 100),
        (text_payload(type="image", image={}), 100),
        (text_payload(type="image", image={"id": "404404"}), 100),
        (text_payload(type="audio", audio={"link": "https://x.it/a.ogg", "caption": "no"}), 100),
    ],
    ids=[
        "malformed-json",
        "no-messaging-product",
        "no-recipient",
        "bad-recipient",
        "unknown-type",
        "empty-text",
        "text-too-long",
        "media-without-id-or-link",
        "unknown-media-id",
        "caption-on-audio",
    ],
)
def test_a_bad_request_gets_a_graph_error_body(client, payload, expected_code):
    response = post_json(client, f"{GRAPH}/simulator/messages", payload)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == expected_code
    assert error["type"] == "OAuthException"
    assert error["message"].startswith("(#100)")
    assert error["fbtrace_id"]
    assert not SimulatedMessage.objects.exists()


def test_the_bearer_token_is_checked_when_one_is_configured(client, settings):
    settings.WHATSAPP_ACCESS_TOKEN = "the-right-token"
    path = f"{GRAPH}/simulator/messages"

    missing = post_json(client, path, text_payload())
    wrong = post_json(client, path, text_payload(), Authorization="Bearer a-wrong-token")
    right = post_json(client, path, text_payload(), Authorization="Bearer the-right-token")

    assert missing.status_code == wrong.status_code == 401
    assert missing.json()["error"]["code"] == wrong.json()["error"]["code"] == 190
    assert right.status_code == 200
    assert SimulatedMessage.objects.count() == 1


def test_another_phone_number_id_is_refused_when_one_is_configured(client, settings):
    settings.WHATSAPP_PHONE_NUMBER_ID = "1122334455667"

    other = post_json(client, f"{GRAPH}/999/messages", text_payload())
    ours = post_json(client, f"{GRAPH}/1122334455667/messages", text_payload())

    assert other.status_code == 400
    assert other.json()["error"]["type"] == "GraphMethodException"
    assert ours.status_code == 200


def upload(client, content, mime_type, **headers):
    return client.post(
        f"{GRAPH}/simulator/media",
        data={
            "messaging_product": "whatsapp",
            "type": mime_type,
            "file": SimpleUploadedFile("avviso.pdf", content, content_type=mime_type),
        },
        headers=headers,
    )


def test_uploaded_media_is_described_and_downloadable_with_the_token(client, settings):
    settings.WHATSAPP_ACCESS_TOKEN = "tok"
    bearer = {"Authorization": "Bearer tok"}
    content = b"%PDF-1.4\n% avviso del comune\n"
    media_id = upload(client, content, "application/pdf", **bearer).json()["id"]

    lookup = client.get(f"{GRAPH}/{media_id}", headers=bearer)

    assert lookup.status_code == 200
    info = lookup.json()
    assert set(info) == {"url", "mime_type", "sha256", "file_size", "id", "messaging_product"}
    assert info["id"] == media_id
    assert info["mime_type"] == "application/pdf"
    assert info["file_size"] == len(content)
    assert info["sha256"] == base64.b64encode(hashlib.sha256(content).digest()).decode()
    assert info["url"].startswith("http://testserver/simulator/lookaside/")
    assert client.get(info["url"]).status_code == 401
    download = client.get(info["url"], headers=bearer)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == content


def test_a_media_url_expires_after_five_minutes(client):
    media_id = upload(client, SAMPLES["photo"].read(), "image/jpeg").json()["id"]
    url = client.get(f"{GRAPH}/{media_id}").json()["url"]

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=301)):
        expired = client.get(url)

    assert expired.status_code == 404
    assert expired.json()["error"]["message"] == "URL signature expired"


def test_an_unknown_media_id_gets_a_graph_error(client):
    response = client.get(f"{GRAPH}/123456")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100


def test_a_message_can_carry_uploaded_media_by_id(client):
    media_id = upload(client, b"%PDF-1.4\n", "application/pdf").json()["id"]
    payload = text_payload(type="document", document={"id": media_id, "filename": "avviso.pdf"})
    del payload["text"]

    response = post_json(client, f"{GRAPH}/simulator/messages", payload)

    assert response.status_code == 200
    assert SimulatedMessage.objects.get().media.media_id == media_id
