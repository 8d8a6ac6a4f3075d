"""After each send the simulator posts signed status webhooks back: sent, delivered, read."""

import hashlib
import hmac
import json

import pytest

from urp_portal.simulator.services import simulated_status_advance
from urp_portal.simulator.states import Direction, SimulatedStatus

from .factories import SimulatedMessageFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("urp_portal.simulator.tests.urls")]


def signed_correctly(request, secret):
    expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    return request.headers.get("X-Hub-Signature-256") == expected


def send_text(client):
    return client.post(
        "/simulator/graph/v23.0/simulator/messages",
        data=json.dumps(
            {
                "messaging_product": "whatsapp",
                "to": "393205550101",
                "type": "text",
                "text": {"body": "La sua pratica è pronta."},
            }
        ),
        content_type="application/json",
    )


def test_a_send_posts_sent_delivered_read_in_order_and_signed(
    client, settings, webhook_receiver, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send_text(client)
    wamid = response.json()["messages"][0]["id"]

    statuses = [
        r.json()["entry"][0]["changes"][0]["value"]["statuses"][0]
        for r in webhook_receiver.requests
    ]
    assert [s["status"] for s in statuses] == ["sent", "delivered", "read"]
    assert {s["id"] for s in statuses} == {wamid}
    assert {s["recipient_id"] for s in statuses} == {"393205550101"}
    assert all(signed_correctly(r, settings.WHATSAPP_APP_SECRET) for r in webhook_receiver.requests)
    assert all(r.headers["Content-Type"] == "application/json" for r in webhook_receiver.requests)
    assert webhook_receiver.requests[0].json()["object"] == "whatsapp_business_account"
    message = SimulatedMessageFactory._meta.model.objects.get(wamid=wamid)
    assert message.status == SimulatedStatus.READ


def test_a_refused_status_webhook_stops_the_sequence_and_is_recorded(
    client, webhook_receiver, eager_celery, django_capture_on_commit_callbacks
):
    webhook_receiver.answer_status = 403

    with django_capture_on_commit_callbacks(execute=True):
        wamid = send_text(client).json()["messages"][0]["id"]

    assert len(webhook_receiver.requests) == 1
    message = SimulatedMessageFactory._meta.model.objects.get(wamid=wamid)
    assert message.status == SimulatedStatus.PENDING
    assert "403" in message.error


def test_a_status_already_passed_is_not_posted_again(webhook_receiver):
    message = SimulatedMessageFactory(direction=Direction.OUT, status=SimulatedStatus.READ)

    following = simulated_status_advance(message_id=message.pk, status="delivered")

    assert following is None
    assert webhook_receiver.requests == []


def test_a_rerun_of_the_last_posted_status_names_the_next_without_posting(webhook_receiver):
    # A worker killed after posting "sent" but before enqueuing "delivered" is redelivered.
    message = SimulatedMessageFactory(direction=Direction.OUT, status=SimulatedStatus.SENT)

    following = simulated_status_advance(message_id=message.pk, status="sent")

    assert following == "delivered"
    assert webhook_receiver.requests == []
