"""A citizen's GDPR export is in the audit trail, whichever door it went through."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from subscribers.tests.factories import SubscriberFactory
from urp_portal.accounts.roles import Role
from urp_portal.accounts.services import api_token_create
from urp_portal.accounts.tests.factories import UserFactory
from urp_portal.audit.models import AuditEvent
from urp_portal.audit.states import AuditAction, AuditChannel

pytestmark = pytest.mark.django_db


@pytest.fixture
def maria(municipality):
    return SubscriberFactory(first_name="Maria", last_name="Pinna")


def test_an_export_from_the_admin_is_audited_with_the_address(client, maria):
    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR], username="dpo"))

    client.post(
        reverse("admin:subscribers_subscriber_export", args=[maria.pk]),
        {"reason": "prot. 2026/9"},
        REMOTE_ADDR="10.4.4.4",
    )

    event = AuditEvent.objects.get(action=AuditAction.SUBSCRIBER_EXPORTED)
    assert (event.actor_label, event.channel, event.ip) == ("dpo", AuditChannel.CONSOLE, "10.4.4.4")
    assert (event.target_type, event.target_id) == ("subscribers.subscriber", str(maria.pk))
    assert event.details == {"reason": "prot. 2026/9"}
    assert "Pinna" not in event.target_repr


def test_an_export_through_the_api_is_audited_as_the_token(client, maria):
    _token, key = api_token_create(name="protocollo", role=Role.ADMINISTRATOR)

    response = client.get(
        f"/api/v1/subscribers/{maria.pk}/export/",
        {"reason": "prot. 1"},
        HTTP_AUTHORIZATION=f"Token {key}",
    )

    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.SUBSCRIBER_EXPORTED)
    assert event.channel == AuditChannel.API
    assert "protocollo" in event.actor_label


def test_an_export_from_the_command_line_is_audited_as_the_command(maria, capsys):
    UserFactory(username="segreteria")

    call_command("export_subscriber", number=maria.number, reason="prot. 2", by="segreteria")

    event = AuditEvent.objects.get(action=AuditAction.SUBSCRIBER_EXPORTED)
    assert (event.actor_label, event.channel, event.ip) == (
        "segreteria",
        AuditChannel.COMMAND,
        None,
    )


def test_an_erasure_is_in_the_trail_without_the_citizens_name(client, maria):
    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR], username="dpo"))

    call_command("erase_subscriber", number=maria.number, reason="prot. 3", by="dpo")

    event = AuditEvent.objects.get(action=AuditAction.SUBSCRIBER_ERASED)
    assert (event.actor_label, event.channel, event.target_id) == (
        "dpo",
        AuditChannel.COMMAND,
        str(maria.pk),
    )
    assert "Maria" not in event.target_repr and "Pinna" not in event.target_repr
