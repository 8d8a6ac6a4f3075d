"""Templates, campaigns and emergency alerts through the API, with their permission
boundaries: an operator's token cannot send a broadcast; a retried alert sends once."""

import datetime as dt

import pytest
import time_machine

from broadcasts.models import Campaign, CampaignEvent, MessageTemplate
from broadcasts.states import CampaignState, TemplateApproval
from broadcasts.tests.factories import CampaignFactory, MessageTemplateFactory
from subscribers.tests.factories import SubscriberFactory
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import token_client
from urp_portal.municipality.services import municipality_load_preset

pytestmark = pytest.mark.django_db

# Wednesday 5 March 2025, 11:00 in Rome: office hours, far from the quiet hours.
DAYTIME = dt.datetime(2025, 3, 5, 10, 0, tzinfo=dt.UTC)
# Thursday 6 March 2025, 23:30 in Rome: the quiet hours.
NIGHT = dt.datetime(2025, 3, 6, 22, 30, tzinfo=dt.UTC)

TEMPLATES = "/api/v1/templates/"
CAMPAIGNS = "/api/v1/campaigns/"
ALERTS = "/api/v1/alerts/"


@pytest.fixture(autouse=True)
def comune(municipality):
    return municipality


@pytest.fixture
def communications_api():
    return token_client(Role.COMMUNICATIONS)


@pytest.fixture
def approved_template():
    return MessageTemplateFactory(name="avviso_viabilita", body="{{1}} chiusa dalle {{2}}.")


def campaign_url(campaign, action: str = "") -> str:
    return f"{CAMPAIGNS}{campaign.pk}/{action + '/' if action else ''}"


# --- templates ----------------------------------------------------------------------------------


def test_communications_creates_a_draft_template():
    response = token_client(Role.COMMUNICATIONS).post(
        TEMPLATES,
        {"name": "avviso_rifiuti", "language": "it", "category": "utility", "body": "Oggi {{1}}."},
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["approval_status"], body["parameter_count"]) == (
        "avviso_rifiuti",
        "draft",
        1,
    )
    assert MessageTemplate.objects.get(pk=body["id"]).approval_status == TemplateApproval.DRAFT


def test_only_an_administrator_may_create_a_template_already_approved():
    payload = {
        "name": "avviso_rifiuti",
        "language": "it",
        "category": "utility",
        "body": "Oggi {{1}}.",
        "approval_status": "approved",
    }

    refused = token_client(Role.COMMUNICATIONS).post(TEMPLATES, payload)
    accepted = token_client(Role.ADMINISTRATOR).post(TEMPLATES, payload)

    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert accepted.status_code == 201
    assert accepted.json()["approval_status"] == "approved"
    assert MessageTemplate.objects.count() == 1


def test_a_template_name_taken_in_that_language_is_400(approved_template):
    response = token_client(Role.COMMUNICATIONS).post(
        TEMPLATES,
        {"name": "avviso_viabilita", "language": "it", "category": "utility", "body": "Ciao"},
    )

    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert MessageTemplate.objects.count() == 1


def test_a_template_with_a_gap_in_its_parameters_is_400():
    response = token_client(Role.COMMUNICATIONS).post(
        TEMPLATES, {"name": "avviso", "language": "it", "category": "utility", "body": "{{2}}"}
    )

    assert (response.status_code, response.json()["code"]) == (400, "template_parameters_gap")


def test_templates_are_listed_for_operators_but_not_written_by_them(approved_template):
    operator_api = token_client(Role.OPERATOR)

    listed = operator_api.get(TEMPLATES)
    written = operator_api.post(
        TEMPLATES, {"name": "x", "language": "it", "category": "utility", "body": "Ciao"}
    )

    assert [row["name"] for row in listed.json()["results"]] == ["avviso_viabilita"]
    assert written.status_code == 403


# --- campaigns ----------------------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["id", "name"])
def test_a_campaign_is_created_as_a_draft_from_a_template_by_id_or_name(
    communications_api, approved_template, ref
):
    template = approved_template.pk if ref == "id" else "avviso_viabilita"

    response = communications_api.post(
        CAMPAIGNS,
        {"title": "Via Roma", "template": template, "parameters": ["Via Roma", "20:00"]},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "draft"
    campaign = Campaign.objects.get(pk=body["id"])
    assert (campaign.template, campaign.parameters) == (approved_template, ["Via Roma", "20:00"])
    assert campaign.created_by is None


@pytest.mark.parametrize(
    ("template", "parameters"),
    [
        ("non_esiste", ["a", "b"]),
        (True, ["a", "b"]),
        (None, []),
        (2**70, ["a", "b"]),
        ("avviso_viabilita", ["a"]),
    ],
)
def test_a_campaign_with_an_unknown_template_or_missing_parameters_is_400(
    communications_api, approved_template, template, parameters
):
    response = communications_api.post(
        CAMPAIGNS,
        {"title": "Via Roma", "template": template, "parameters": parameters},
        format="json",
    )

    assert response.status_code == 400
    assert not Campaign.objects.exists()


def test_a_campaign_goes_from_draft_to_approved_to_scheduled(communications_api, approved_template):
    campaign = CampaignFactory(template=approved_template, parameters=["Via Roma", "20:00"])
    at = "2025-03-06T10:00:00+01:00"

    with time_machine.travel(DAYTIME, tick=False):
        approved = communications_api.post(campaign_url(campaign, "approve"), {})
        scheduled = communications_api.post(campaign_url(campaign, "schedule"), {"at": at})

    assert (approved.status_code, approved.json()["state"]) == (200, "approved")
    assert (scheduled.status_code, scheduled.json()["state"]) == (200, "scheduled")
    assert scheduled.json()["scheduled_at"] == "2025-03-06T10:00:00+01:00"
    event = CampaignEvent.objects.filter(campaign=campaign).last()
    assert "API:" in event.reason


def test_scheduling_without_a_time_takes_the_next_free_slot(communications_api, approved_template):
    # San Giuliano broadcasts on Tuesdays and Fridays at 10:00.
    municipality_load_preset(slug="san_giuliano")
    campaign = CampaignFactory(
        template=approved_template, parameters=["a", "b"], state=CampaignState.APPROVED
    )

    with time_machine.travel(DAYTIME, tick=False):
        response = communications_api.post(campaign_url(campaign, "schedule"), {})

    assert response.status_code == 200
    assert response.json()["state"] == "scheduled"
    assert response.json()["scheduled_at"] == "2025-03-07T10:00:00+01:00"


def test_scheduling_in_the_quiet_hours_is_400(communications_api, approved_template):
    campaign = CampaignFactory(
        template=approved_template, parameters=["a", "b"], state=CampaignState.APPROVED
    )

    with time_machine.travel(DAYTIME, tick=False):
        response = communications_api.post(
            campaign_url(campaign, "schedule"), {"at": "2025-03-06T23:30:00+01:00"}
        )

    assert (response.status_code, response.json()["code"]) == (400, "quiet_hours")


def test_send_pause_resume_cancel_and_the_progress(communications_api, approved_template):
    SubscriberFactory.create_batch(3, subscribed=True)
    campaign = CampaignFactory(
        template=approved_template, parameters=["a", "b"], state=CampaignState.APPROVED
    )

    with time_machine.travel(DAYTIME, tick=False):
        sent = communications_api.post(campaign_url(campaign, "send"), {})
        paused = communications_api.post(campaign_url(campaign, "pause"), {})
        resumed = communications_api.post(campaign_url(campaign, "resume"), {})
        progress = communications_api.get(campaign_url(campaign))
        cancelled = communications_api.post(campaign_url(campaign, "cancel"), {})

    assert (sent.status_code, sent.json()["state"]) == (202, "sending")
    assert (paused.status_code, paused.json()["state"]) == (200, "paused")
    assert (resumed.status_code, resumed.json()["state"]) == (200, "sending")
    assert progress.json()["counts"]["recipients"] == 3
    assert set(progress.json()["counts"]) == {
        "recipients",
        "queued",
        "sent",
        "delivered",
        "read",
        "failed",
    }
    assert (cancelled.status_code, cancelled.json()["state"]) == (200, "cancelled")


def test_sending_in_the_quiet_hours_waits_for_their_end(communications_api, approved_template):
    campaign = CampaignFactory(
        template=approved_template, parameters=["a", "b"], state=CampaignState.APPROVED
    )

    with time_machine.travel(NIGHT, tick=False):
        response = communications_api.post(campaign_url(campaign, "send"), {})

    assert response.status_code == 202
    assert response.json()["state"] == "scheduled"


def test_sending_a_draft_is_400(communications_api, approved_template):
    campaign = CampaignFactory(template=approved_template, parameters=["a", "b"])

    response = communications_api.post(campaign_url(campaign, "send"), {})

    assert (response.status_code, response.json()["code"]) == (400, "campaign_not_approved")


@pytest.mark.parametrize("action", ["approve", "schedule", "send", "pause", "resume", "cancel"])
def test_an_operators_token_cannot_send_a_broadcast(approved_template, action):
    campaign = CampaignFactory(
        template=approved_template, parameters=["a", "b"], state=CampaignState.APPROVED
    )

    response = token_client(Role.OPERATOR).post(campaign_url(campaign, action), {})

    assert (response.status_code, response.json()["code"]) == (403, "role_not_allowed")
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.APPROVED


def test_an_operators_token_cannot_create_a_campaign_or_an_alert(approved_template):
    client = token_client(Role.OPERATOR)

    created = client.post(
        CAMPAIGNS, {"title": "x", "template": approved_template.pk, "parameters": ["a", "b"]}
    )
    alert = client.post(ALERTS, {"template": approved_template.pk, "parameters": ["a", "b"]})

    assert created.status_code == alert.status_code == 403
    assert not Campaign.objects.exists()


def test_an_unknown_campaign_is_404(communications_api):
    assert communications_api.get(f"{CAMPAIGNS}999999/").status_code == 404
    assert communications_api.post(f"{CAMPAIGNS}999999/send/", {}).status_code == 404


# --- emergency alerts ---------------------------------------------------------------------------


def test_an_alert_confirmed_by_a_second_token_goes_out_at_once_even_at_night(approved_template):
    SubscriberFactory.create_batch(2, subscribed=True)

    with time_machine.travel(NIGHT, tick=False):
        created = token_client(Role.COMMUNICATIONS).post(
            ALERTS, {"template": "avviso_viabilita", "parameters": ["Via Roma", "subito"]}
        )
        confirmed = token_client(Role.COMMUNICATIONS).post(
            f"{ALERTS}{created.json()['id']}/confirm/", {}
        )

    assert created.status_code == 201
    assert created.json()["state"] == "draft"
    assert confirmed.status_code == 202
    assert confirmed.json()["state"] == "sending"
    campaign = Campaign.objects.get(pk=created.json()["id"])
    assert campaign.is_emergency
    assert campaign.recipients_count == 2


def test_a_retried_alert_with_the_same_idempotency_key_creates_one_campaign(approved_template):
    client = token_client(Role.COMMUNICATIONS)
    payload = {"template": approved_template.pk, "parameters": ["Via Roma", "subito"]}

    first = client.post(ALERTS, payload, HTTP_IDEMPOTENCY_KEY="allerta-2025-03-05-1")
    retry = client.post(ALERTS, payload, HTTP_IDEMPOTENCY_KEY="allerta-2025-03-05-1")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Campaign.objects.filter(is_emergency=True).count() == 1


def test_an_alert_with_a_template_not_approved_is_400():
    MessageTemplateFactory(name="bozza", body="{{1}}", approval_status=TemplateApproval.DRAFT)

    response = token_client(Role.ADMINISTRATOR).post(
        ALERTS, {"template": "bozza", "parameters": ["x"]}
    )

    assert (response.status_code, response.json()["code"]) == (400, "template_not_approved")
    assert not Campaign.objects.exists()
