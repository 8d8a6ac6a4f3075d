"""On Twilio a template is a Content API item: written in the product, created and sent for
WhatsApp's approval against the fake Twilio, followed by the sync, and sent by its Content SID,
which stays apart from our name."""

import json

import pytest

from broadcasts import services
from broadcasts.services.template_review import message_template_submit
from broadcasts.states import CampaignState, TemplateApproval, TemplateCategory
from tests.fixtures.fake_twilio import ACCOUNT_SID

from .factories import CampaignFactory, MessageTemplateFactory, subscribers_bulk

pytestmark = pytest.mark.django_db


def written(**kwargs):
    values = {
        "name": "raccolta_rifiuti",
        "body": "Gentile cittadino, {{1}} il {{2}}.",
        "examples": ["la raccolta è sospesa", "25 aprile"],
        "approval_status": TemplateApproval.DRAFT,
        "category": TemplateCategory.UTILITY,
    }
    values.update(kwargs)
    return MessageTemplateFactory(**values)


def test_a_template_becomes_a_content_item_sent_for_whatsapps_approval(fake_twilio, administrator):
    template = written(footer="Comune di Cagliari", quick_replies=["Cancellami"])

    message_template_submit(template_id=template.pk, actor=administrator)

    create, approval = fake_twilio.content_requests()
    assert create.path == "/v1/Content"
    assert create.headers["Authorization"].startswith("Basic ")
    assert json.loads(create.body) == {
        "friendly_name": "raccolta_rifiuti",
        "language": "it",
        "variables": {"1": "la raccolta è sospesa", "2": "25 aprile"},
        "types": {
            "twilio/card": {
                "title": "Gentile cittadino, {{1}} il {{2}}.",
                "subtitle": "Comune di Cagliari",
                "actions": [{"type": "QUICK_REPLY", "title": "Cancellami", "id": "Cancellami"}],
            }
        },
    }
    [sid] = fake_twilio.contents
    assert approval.path == f"/v1/Content/{sid}/ApprovalRequests/whatsapp"
    assert json.loads(approval.body) == {"name": "raccolta_rifiuti", "category": "UTILITY"}
    template.refresh_from_db()
    assert (template.approval_status, template.provider_id) == (TemplateApproval.PENDING, sid)
    assert template.name == "raccolta_rifiuti"  # our name stays ours


def test_the_sync_follows_the_verdict_and_an_approved_template_goes_by_its_content_sid(
    fake_twilio, administrator, municipality, communications, django_capture_on_commit_callbacks
):
    approved, rejected = written(), written(name="promo_sagra", body="Sagra {{1}}.", examples=["x"])
    for template in (approved, rejected):
        message_template_submit(template_id=template.pk, actor=administrator)
        template.refresh_from_db()
    fake_twilio.review(approved.provider_id, "approved")
    fake_twilio.review(rejected.provider_id, "rejected", "Il modello è promozionale")

    matched = services.template_sync_statuses()

    approved.refresh_from_db()
    rejected.refresh_from_db()
    assert matched == 2
    assert approved.approval_status == TemplateApproval.APPROVED
    assert (rejected.approval_status, rejected.rejection_reason) == (
        TemplateApproval.REJECTED,
        "Il modello è promozionale",
    )
    assert {r.path for r in fake_twilio.content_requests() if r.method == "GET"} == {
        f"/v1/Content/{approved.provider_id}/ApprovalRequests",
        f"/v1/Content/{rejected.provider_id}/ApprovalRequests",
    }

    subscribers_bulk(2)
    campaign = CampaignFactory(
        template=approved,
        parameters=["la raccolta è sospesa", "1 maggio"],
        state=CampaignState.APPROVED,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_start(campaign_id=campaign.pk, actor=communications)
    sends = fake_twilio.sent()
    assert len(sends) == 2
    for send in sends:
        assert send.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
        assert send.form["ContentSid"] == approved.provider_id
        assert json.loads(send.form["ContentVariables"]) == {
            "1": "la raccolta è sospesa",
            "2": "1 maggio",
        }
        assert "Body" not in send.form


def test_an_edited_twilio_template_is_a_new_content_item_approved_again(fake_twilio, administrator):
    template = written()
    message_template_submit(template_id=template.pk, actor=administrator)
    template.refresh_from_db()
    first_sid = template.provider_id
    fake_twilio.review(first_sid, "approved")
    services.template_sync_statuses()
    template.refresh_from_db()

    template.body = "Gentile cittadino, {{1}} dal {{2}}."
    services.message_template_text_changed(template=template)
    template.save()
    message_template_submit(template_id=template.pk, actor=administrator)

    template.refresh_from_db()
    assert template.provider_id != first_sid
    assert template.approval_status == TemplateApproval.PENDING
    new_item = fake_twilio.contents[template.provider_id]
    assert new_item["types"] == {"twilio/text": {"body": "Gentile cittadino, {{1}} dal {{2}}."}}
