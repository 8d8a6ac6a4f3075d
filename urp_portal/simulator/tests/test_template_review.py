"""The simulator reviews templates like Meta: a submitted template is pending, then approved
(or rejected, when its name asks for it) and the verdict comes back as a signed
message_template_status_update webhook, which the product applies."""

import json

import pytest

from broadcasts.models import MessageTemplate
from broadcasts.states import TemplateApproval
from tests.fixtures.webhooks import post_signed_webhook
from urp_portal.simulator.models import SimulatedTemplate

pytestmark = [pytest.mark.django_db, pytest.mark.urls("urp_portal.simulator.tests.urls")]

TEMPLATES = "/simulator/graph/v25.0/simulator/message_templates"


def submit(client, name):
    return client.post(
        TEMPLATES,
        data=json.dumps(
            {
                "name": name,
                "language": "it",
                "category": "UTILITY",
                "components": [
                    {"type": "BODY", "text": "Avviso: {{1}}", "example": {"body_text": [["x"]]}}
                ],
            }
        ),
        content_type="application/json",
    )


def verdicts(receiver):
    return [
        r.json()["entry"][0]["changes"][0]
        for r in receiver.requests
        if r.json()["entry"][0]["changes"][0]["field"] == "message_template_status_update"
    ]


def test_a_template_is_pending_then_approved_by_a_signed_webhook(
    client, webhook_receiver, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = submit(client, "avviso_viabilita").json()

    assert answer["status"] == "PENDING"
    [change] = verdicts(webhook_receiver)
    assert change["value"]["event"] == "APPROVED"
    assert str(change["value"]["message_template_id"]) == answer["id"]
    listed = client.get(TEMPLATES).json()["data"]
    assert [(t["name"], t["status"]) for t in listed] == [("avviso_viabilita", "APPROVED")]


def test_a_template_named_to_be_rejected_is_rejected_with_a_reason(
    client, webhook_receiver, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, "rifiuta_promo")

    [change] = verdicts(webhook_receiver)
    assert (change["value"]["event"], change["value"]["reason"]) == ("REJECTED", "INVALID_FORMAT")
    assert SimulatedTemplate.objects.get().status == "REJECTED"


def test_the_product_applies_the_simulators_verdict(
    client, settings, webhook_receiver, eager_celery, django_capture_on_commit_callbacks
):
    template = MessageTemplate.objects.create(
        name="avviso_viabilita", body="Avviso: {{1}}", approval_status=TemplateApproval.PENDING
    )
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, "avviso_viabilita")
    body = webhook_receiver.requests[-1].body

    with django_capture_on_commit_callbacks(execute=True):
        response = post_signed_webhook(client, body)

    assert response.status_code == 200
    template.refresh_from_db()
    assert template.approval_status == TemplateApproval.APPROVED
    assert template.provider_id == SimulatedTemplate.objects.get().template_id


def test_a_submission_without_components_is_refused_like_meta(client):
    response = client.post(
        TEMPLATES, data=json.dumps({"name": "x", "language": "it"}), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100


def test_a_header_image_uploads_and_an_approved_template_is_edited_and_reviewed_again(
    client, webhook_receiver, eager_celery, django_capture_on_commit_callbacks
):
    session = client.post(
        "/simulator/graph/v25.0/1234/uploads?file_name=a.png&file_length=3&file_type=image/png"
    ).json()["id"]
    handle = client.post(
        f"/simulator/graph/v25.0/{session}",
        data=b"PNG",
        content_type="application/octet-stream",
        headers={"file_offset": "0"},
    ).json()["h"]
    with django_capture_on_commit_callbacks(execute=True):
        template_id = submit(client, "avviso_mercato").json()["id"]
    header = {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": [handle]}}

    with django_capture_on_commit_callbacks(execute=True):
        edited = client.post(
            f"/simulator/graph/v25.0/{template_id}",
            data=json.dumps({"components": [header, {"type": "BODY", "text": "Mercato"}]}),
            content_type="application/json",
        )
    refused = client.post(
        f"/simulator/graph/v25.0/{template_id}",
        data=json.dumps({"components": [header], "category": "MARKETING"}),
        content_type="application/json",
    )

    assert session.startswith("upload:") and handle.startswith("4::")
    assert edited.json() == {"success": True, "id": template_id, "category": "UTILITY"}
    assert [c["value"]["event"] for c in verdicts(webhook_receiver)] == ["APPROVED", "APPROVED"]
    assert refused.status_code == 400  # an approved template keeps its category
    template = SimulatedTemplate.objects.get()
    assert template.components[0] == header
