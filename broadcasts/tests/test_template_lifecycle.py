"""Templates reviewed by Meta from the product: written here, submitted with the right
components, followed from Meta's signed webhooks and the periodic sync; the category decides the
route (marketing through /marketing_messages) and an alert needs a utility template."""

import json

import pytest

from broadcasts import services
from broadcasts.models import MessageTemplate
from broadcasts.services.template_review import message_template_submit
from broadcasts.states import CampaignState, TemplateApproval, TemplateCategory
from tests.fixtures.fake_graph import template_webhook_body
from tests.fixtures.webhooks import post_signed_webhook as _post_signed
from urp_portal.municipality.errors import UserError

from .factories import CampaignFactory, MessageTemplateFactory, subscribers_bulk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def signed(settings):
    settings.WHATSAPP_APP_SECRET = "test-app-secret"


@pytest.fixture
def post_signed_webhook(django_capture_on_commit_callbacks):
    """The signed webhook into the view, its processing run on commit as a worker would."""

    def post(client, body):
        with django_capture_on_commit_callbacks(execute=True):
            return _post_signed(client, body)

    return post


def draft_template(**kwargs):
    values = {
        "name": "raccolta_rifiuti",
        "body": "Gentile cittadino, {{1}} il {{2}}.",
        "examples": ["la raccolta è sospesa", "25 aprile"],
        "footer": "Comune di Cagliari",
        "quick_replies": ["Cancellami"],
        "approval_status": TemplateApproval.DRAFT,
        "category": TemplateCategory.UTILITY,
    }
    values.update(kwargs)
    return MessageTemplateFactory(**values)


def test_a_template_is_submitted_with_its_components_and_waits_for_review(
    fake_graph, administrator
):
    template = draft_template()

    message_template_submit(template_id=template.pk, actor=administrator)

    [request] = fake_graph.template_submissions()
    assert request.path.endswith("/v25.0/9988776655443/message_templates")
    assert request.headers["Authorization"] == "Bearer test-access-token"
    assert request.json == {
        "name": "raccolta_rifiuti",
        "language": "it",
        "category": "UTILITY",
        "components": [
            {
                "type": "BODY",
                "text": "Gentile cittadino, {{1}} il {{2}}.",
                "example": {"body_text": [["la raccolta è sospesa", "25 aprile"]]},
            },
            {"type": "FOOTER", "text": "Comune di Cagliari"},
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Cancellami"}]},
        ],
    }
    template.refresh_from_db()
    assert template.approval_status == TemplateApproval.PENDING
    assert template.provider_id == fake_graph.templates[0]["id"]


def test_a_template_without_an_example_per_parameter_is_not_submitted(fake_graph, administrator):
    template = draft_template(examples=["solo uno"])

    with pytest.raises(UserError) as error:
        message_template_submit(template_id=template.pk, actor=administrator)

    assert error.value.code == "template_examples"
    assert fake_graph.template_submissions() == []


def _status_update(template, event, reason="NONE"):
    return template_webhook_body(
        "message_template_status_update",
        {
            "event": event,
            "message_template_id": int(template.provider_id),
            "message_template_name": template.name,
            "message_template_language": template.language,
            "message_template_category": template.category.upper(),
            "reason": reason,
        },
    )


def test_a_signed_approval_makes_it_usable_and_a_rejection_shows_the_reason(
    post_signed_webhook, client, fake_graph, administrator
):
    approved = draft_template()
    rejected = draft_template(name="promo_sagra")
    for template in (approved, rejected):
        message_template_submit(template_id=template.pk, actor=administrator)
        template.refresh_from_db()

    assert post_signed_webhook(client, _status_update(approved, "APPROVED")).status_code == 200
    assert (
        post_signed_webhook(
            client, _status_update(rejected, "REJECTED", "INVALID_FORMAT")
        ).status_code
        == 200
    )

    approved.refresh_from_db()
    rejected.refresh_from_db()
    assert approved.approval_status == TemplateApproval.APPROVED
    assert approved.rejection_reason == ""
    assert rejected.approval_status == TemplateApproval.REJECTED
    assert rejected.rejection_reason == "INVALID_FORMAT"


def test_a_paused_template_cannot_start_a_campaign(
    post_signed_webhook, client, fake_graph, communications
):
    template = MessageTemplateFactory(provider_id="4455")
    campaign = CampaignFactory(template=template, state=CampaignState.APPROVED)

    post_signed_webhook(client, _status_update(template, "PAUSED"))

    template.refresh_from_db()
    assert template.approval_status == TemplateApproval.PAUSED
    with pytest.raises(UserError):
        services.campaign_start(campaign_id=campaign.pk, actor=communications)


def test_a_category_update_moves_the_sends_to_the_marketing_endpoint(
    post_signed_webhook,
    client,
    fake_graph,
    municipality,
    communications,
    django_capture_on_commit_callbacks,
):
    subscribers_bulk(3)
    template = MessageTemplateFactory(provider_id="7788", category=TemplateCategory.UTILITY)
    body = template_webhook_body(
        "template_category_update",
        {
            "message_template_id": 7788,
            "message_template_name": template.name,
            "message_template_language": "it",
            "previous_category": "UTILITY",
            "new_category": "MARKETING",
        },
    )

    post_signed_webhook(client, body)

    template.refresh_from_db()
    assert (template.category, template.previous_category) == ("marketing", "utility")
    campaign = CampaignFactory(template=template, state=CampaignState.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_start(campaign_id=campaign.pk, actor=communications)
    assert len(fake_graph.marketing_requests()) == 3
    assert fake_graph.message_requests() == []
    assert fake_graph.marketing_requests()[0].json["type"] == "template"


def test_an_impending_category_change_does_not_change_the_route(
    post_signed_webhook, client, fake_graph
):
    template = MessageTemplateFactory(provider_id="7789", category=TemplateCategory.UTILITY)
    body = template_webhook_body(
        "template_category_update",
        {
            "message_template_id": 7789,
            "message_template_name": template.name,
            "message_template_language": "it",
            "correct_category": "MARKETING",
            "new_category": "UTILITY",
            "category_update_timestamp": 1767225600,
        },
    )

    post_signed_webhook(client, body)

    template.refresh_from_db()
    assert template.category == TemplateCategory.UTILITY


def test_a_quality_update_is_kept(post_signed_webhook, client, fake_graph):
    template = MessageTemplateFactory(provider_id="7790")
    body = template_webhook_body(
        "message_template_quality_update",
        {
            "previous_quality_score": "GREEN",
            "new_quality_score": "YELLOW",
            "message_template_id": 7790,
            "message_template_name": template.name,
            "message_template_language": "it",
        },
    )

    post_signed_webhook(client, body)

    template.refresh_from_db()
    assert template.quality == "YELLOW"


def test_the_periodic_sync_reads_the_verdicts_from_graph(fake_graph, administrator):
    template = draft_template()
    message_template_submit(template_id=template.pk, actor=administrator)
    fake_graph.templates[0].update(status="APPROVED", category="MARKETING")

    matched = services.template_sync_statuses()

    template.refresh_from_db()
    assert matched == 1
    assert template.approval_status == TemplateApproval.APPROVED
    assert template.category == TemplateCategory.MARKETING
    assert any(r.method == "GET" for r in fake_graph.requests if "message_templates" in r.path)


def test_a_late_verdict_on_the_old_text_does_not_approve_the_new_one(
    post_signed_webhook, client, fake_graph
):
    template = MessageTemplateFactory(provider_id="7791", approval_status=TemplateApproval.DRAFT)

    post_signed_webhook(client, _status_update(template, "APPROVED"))

    template.refresh_from_db()
    assert template.approval_status == TemplateApproval.DRAFT


def test_an_alert_with_a_marketing_template_is_refused_in_italian(fake_graph, administrator):
    template = MessageTemplateFactory(category=TemplateCategory.MARKETING)

    with pytest.raises(UserError) as error:
        services.alert_create(template=template, parameters=["a", "b"], actor=administrator)

    assert error.value.code == "alert_needs_utility_template"
    assert "servizio" in error.value.message
    assert not MessageTemplate.objects.filter(campaigns__is_emergency=True).exists()


def test_the_template_webhook_body_is_meta_shaped():
    body = json.loads(template_webhook_body("message_template_status_update", {"event": "X"}))
    assert body["object"] == "whatsapp_business_account"
    assert body["entry"][0]["changes"][0]["field"] == "message_template_status_update"
