"""The citizen's phone: staff only, shows the chat both ways, posts real signed webhooks."""

import hashlib
import hmac
import json
import re
from pathlib import Path

import pytest

from urp_portal.simulator.demo import SAMPLES
from urp_portal.simulator.models import SimulatedMessage
from urp_portal.simulator.states import Direction, SimulatedStatus

from .factories import SimulatedMessageFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("urp_portal.simulator.tests.urls")]

# Meta's sample payloads, kept in the repository (tests/data/cloud_api, see its SOURCES.md).
FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "data" / "cloud_api"


def keys_of(value):
    """The shape of a JSON value: its keys, recursively (lists by their first item)."""
    if isinstance(value, dict):
        return {key: keys_of(item) for key, item in value.items()}
    if isinstance(value, list):
        return [keys_of(value[0])] if value else []
    return None


def send(client, **data):
    form = {"number": "+39 320 555 0101", "profile_name": "Maria Rossi", "text": "", "sample": ""}
    form.update(data)
    return client.post("/simulator/phone/send/", data=form, headers={"Accept": "application/json"})


def test_the_phone_requires_a_staff_login(client, django_user_model):
    anonymous = client.get("/simulator/")
    citizen_user = django_user_model.objects.create_user(username="u", password="x" * 12)
    client.force_login(citizen_user)
    not_staff = client.get("/simulator/")
    sent = client.post("/simulator/phone/send/", data={"number": "+393205550101", "text": "x"})

    assert anonymous.status_code == not_staff.status_code == sent.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")
    assert not SimulatedMessage.objects.exists()


def test_the_phone_shows_the_conversation_both_ways(staff_client, django_assert_max_num_queries):
    SimulatedMessageFactory(body="C'è una buca in via Roma")
    SimulatedMessageFactory(
        direction=Direction.OUT, body="Grazie, la segnaliamo ai Lavori pubblici"
    )
    SimulatedMessageFactory(number="+393205550199", body="Un'altra chat")

    with django_assert_max_num_queries(8):
        page = staff_client.get("/simulator/?number=%2B393205550101")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Telefono del cittadino" in html
    initial = json.loads(re.search(r'id="sim-initial"[^>]*>(.*?)</script>', html, re.S).group(1))
    polled = staff_client.get("/simulator/phone/conversation/?number=%2B393205550101").json()
    expected = [
        (True, "C'è una buca in via Roma"),
        (False, "Grazie, la segnaliamo ai Lavori pubblici"),
    ]
    assert [(m["mine"], m["body"]) for m in initial] == expected
    assert [(m["mine"], m["body"]) for m in polled["messages"]] == expected


def test_sending_a_text_posts_a_signed_meta_body_to_the_webhook(
    staff_client, settings, webhook_receiver, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(staff_client, text="Quando apre l'anagrafe?")

    assert response.status_code == 201
    (request,) = webhook_receiver.requests
    assert request.path == "/webhooks/whatsapp/meta/"
    expected = hmac.new(settings.WHATSAPP_APP_SECRET.encode(), request.body, hashlib.sha256)
    assert request.headers["X-Hub-Signature-256"] == "sha256=" + expected.hexdigest()
    body = request.json()
    fixture = json.loads((FIXTURES / "text.json").read_text())
    value = body["entry"][0]["changes"][0]["value"]
    fixture_value = fixture["entry"][0]["changes"][0]["value"]
    assert keys_of(value["messages"]) == keys_of(fixture_value["messages"])
    assert set(keys_of(value["contacts"])[0]) <= set(keys_of(fixture_value["contacts"])[0])
    assert body["object"] == "whatsapp_business_account"
    assert value["messages"][0]["text"]["body"] == "Quando apre l'anagrafe?"
    assert value["messages"][0]["from"] == "393205550101"
    assert value["contacts"][0] == {"profile": {"name": "Maria Rossi"}, "wa_id": "393205550101"}
    message = SimulatedMessage.objects.get()
    assert message.wamid == value["messages"][0]["id"]
    assert message.status == SimulatedStatus.DELIVERED


def test_a_photo_is_posted_like_meta_and_served_by_the_fake_graph_api(
    staff_client, webhook_receiver, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(staff_client, text="Ecco la buca", sample="photo")

    (request,) = webhook_receiver.requests
    raw = request.json()["entry"][0]["changes"][0]["value"]["messages"][0]
    fixture = json.loads((FIXTURES / "image.json").read_text())
    fixture_raw = fixture["entry"][0]["changes"][0]["value"]["messages"][0]
    assert set(raw) == set(fixture_raw)
    assert raw["type"] == "image"
    assert raw["image"]["mime_type"] == "image/jpeg"
    assert raw["image"]["caption"] == "Ecco la buca"
    info = staff_client.get(f"/simulator/graph/v23.0/{raw['image']['id']}").json()
    download = staff_client.get(info["url"])
    assert b"".join(download.streaming_content) == SAMPLES["photo"].read()


def test_a_voice_note_is_posted_as_audio_with_voice_and_its_text_follows(
    staff_client, webhook_receiver, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(staff_client, text="Vi ho mandato un vocale", sample="voice")

    raws = [
        r.json()["entry"][0]["changes"][0]["value"]["messages"][0]
        for r in webhook_receiver.requests
    ]
    fixture = json.loads((FIXTURES / "audio_voice.json").read_text())
    fixture_audio = fixture["entry"][0]["changes"][0]["value"]["messages"][0]["audio"]
    assert [r["type"] for r in raws] == ["audio", "text"]
    assert set(raws[0]["audio"]) == set(fixture_audio)
    assert raws[0]["audio"]["voice"] is True
    assert raws[0]["audio"]["mime_type"] == "audio/ogg; codecs=opus"


def test_a_refused_webhook_shows_the_message_as_failed(
    staff_client, webhook_receiver, eager_celery, django_capture_on_commit_callbacks
):
    webhook_receiver.answer_status = 403

    with django_capture_on_commit_callbacks(execute=True):
        send(staff_client, text="Ciao")

    message = SimulatedMessage.objects.get()
    assert message.status == SimulatedStatus.FAILED
    assert "403" in message.error


@pytest.mark.parametrize(
    ("data", "field"),
    [({"number": "12", "text": "x"}, "number"), ({"text": ""}, "__all__")],
    ids=["bad-number", "nothing-to-send"],
)
def test_an_invalid_message_is_refused_in_italian(staff_client, data, field):
    response = send(staff_client, **data)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not SimulatedMessage.objects.exists()
