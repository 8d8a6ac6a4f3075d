"""Issue 21, point 3: four eyes for emergency alerts in the API too, through the API's door:
an alert waits for a second person or system; the author cannot confirm it; the comune's
configuration may name one system that sends alone, which the audit trail then shows; and the
optional four-eyes rule for normal campaigns."""

import pytest

from broadcasts.models import Campaign
from broadcasts.states import CampaignState, TemplateApproval
from broadcasts.tests.factories import MessageTemplateFactory
from subscribers.tests.factories import SubscriberFactory
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory, client_with_key, make_api_token
from urp_portal.audit.models import AuditEvent
from urp_portal.audit.states import AuditAction
from urp_portal.gateway.models import OutboundMessage

pytestmark = pytest.mark.django_db

ALERTS = "/api/v1/alerts/"
CAMPAIGNS = "/api/v1/campaigns/"
ALERT = {"template": "allerta_meteo", "parameters": ["rossa", "domani"]}


@pytest.fixture(autouse=True)
def comune(municipality, eager_tasks):
    municipality.quiet_hours_start = municipality.quiet_hours_end
    municipality.save()
    MessageTemplateFactory(
        name="allerta_meteo",
        body="Allerta {{1}} per {{2}}.",
        approval_status=TemplateApproval.APPROVED,
    )
    SubscriberFactory.create_batch(3, subscribed=True)
    return municipality


def system(name: str, role: str = Role.COMMUNICATIONS):
    _token, key = make_api_token(role, name=name)
    return client_with_key(key)


def test_an_alert_from_the_api_waits_and_sends_nothing_until_confirmed():
    response = system("gestionale comunicazione").post(ALERTS, ALERT)

    assert response.status_code == 201
    assert response.json()["state"] == "draft"
    assert not OutboundMessage.objects.exists()


def test_the_token_that_wrote_the_alert_cannot_confirm_it():
    author = system("gestionale comunicazione")
    alert_id = author.post(ALERTS, ALERT).json()["id"]

    response = author.post(f"{ALERTS}{alert_id}/confirm/", {})

    assert response.status_code == 400
    assert response.json()["code"] == "two_person_rule"
    assert Campaign.objects.get(pk=alert_id).state == CampaignState.DRAFT
    assert not OutboundMessage.objects.exists()


def test_a_second_system_confirms_and_every_subscriber_gets_the_alert():
    alert_id = system("gestionale comunicazione").post(ALERTS, ALERT).json()["id"]

    response = system("sala operativa").post(f"{ALERTS}{alert_id}/confirm/", {})

    assert response.status_code == 202
    assert response.json()["state"] in {"sending", "sent"}
    assert OutboundMessage.objects.filter(purpose="broadcast").count() == 3
    assert not AuditEvent.objects.filter(action=AuditAction.ALERT_SENT_ALONE).exists()


def test_a_person_in_the_console_confirms_an_alert_written_by_a_system(client):
    alert_id = system("gestionale comunicazione").post(ALERTS, ALERT).json()["id"]
    client.force_login(UserFactory(roles=[Role.COMMUNICATIONS], is_staff=True))

    response = client.post(f"{ALERTS}{alert_id}/confirm/", {}, content_type="application/json")

    assert response.status_code == 202


def test_confirming_twice_is_a_conflict_and_sends_once():
    alert_id = system("gestionale comunicazione").post(ALERTS, ALERT).json()["id"]
    confirmer = system("sala operativa")
    confirmer.post(f"{ALERTS}{alert_id}/confirm/", {})

    again = system("altro sistema").post(f"{ALERTS}{alert_id}/confirm/", {})

    assert again.status_code == 409
    assert again.json()["code"] == "alert_not_waiting"
    assert OutboundMessage.objects.filter(purpose="broadcast").count() == 3


def test_an_operator_cannot_confirm_and_a_normal_campaign_is_not_an_alert():
    alert_id = system("gestionale comunicazione").post(ALERTS, ALERT).json()["id"]
    campaign = system("gestionale").post(
        CAMPAIGNS, {"title": "Mercato", "template": "allerta_meteo", "parameters": ["a", "b"]}
    )

    operator = system("sportello", Role.OPERATOR).post(f"{ALERTS}{alert_id}/confirm/", {})
    not_alert = system("sala operativa").post(f"{ALERTS}{campaign.json()['id']}/confirm/", {})

    assert operator.status_code == 403
    assert not_alert.status_code == 404


def test_the_system_named_by_the_comune_sends_alone_and_the_audit_trail_says_so(comune):
    comune.emergency_integration_name = "protezione civile"
    comune.save()

    response = system("protezione civile").post(ALERTS, ALERT)
    other = system("gestionale comunicazione").post(ALERTS, ALERT)

    assert response.status_code == 201
    assert response.json()["state"] in {"sending", "sent"}
    assert other.json()["state"] == "draft"
    event = AuditEvent.objects.get(action=AuditAction.ALERT_SENT_ALONE)
    assert event.target_id == str(response.json()["id"])
    assert event.details["token"] == "protezione civile"
    assert "protezione civile" in event.actor_label
    reasons = list(
        Campaign.objects.get(pk=response.json()["id"]).events.values_list("reason", flat=True)
    )
    assert any("senza seconda conferma" in reason for reason in reasons)


def test_normal_campaigns_keep_one_approver_unless_the_comune_asks_for_four_eyes(comune):
    author = system("gestionale")
    body = {"title": "Mercato", "template": "allerta_meteo", "parameters": ["a", "b"]}
    first = author.post(CAMPAIGNS, body).json()["id"]
    own_approval = author.post(f"{CAMPAIGNS}{first}/approve/")
    comune.campaign_four_eyes = True
    comune.save()
    second = author.post(CAMPAIGNS, body).json()["id"]

    refused = author.post(f"{CAMPAIGNS}{second}/approve/")
    by_another = system("ufficio stampa").post(f"{CAMPAIGNS}{second}/approve/")

    assert own_approval.status_code == 200
    assert refused.status_code == 400
    assert refused.json()["code"] == "two_person_rule"
    assert by_another.status_code == 200
    assert by_another.json()["state"] == "approved"
