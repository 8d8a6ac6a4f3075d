"""The communications staff compose, approve and send from the admin; an emergency alert written
by one person is confirmed by another."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from broadcasts.models import Campaign, MessageTemplate
from broadcasts.states import CampaignState, TemplateApproval

from .factories import CampaignFactory, MessageTemplateFactory, subscribers_bulk

pytestmark = pytest.mark.django_db


def action(client, campaign, name, **data):
    return client.post(
        reverse("admin:broadcasts_campaign_action", args=[campaign.pk, name]), data, follow=True
    )


def test_composing_a_campaign_saves_a_draft_with_its_parameters(client, communications, template):
    client.force_login(communications)

    response = client.post(
        reverse("admin:broadcasts_campaign_add"),
        {
            "title": "Rifiuti",
            "template": template.pk,
            "parameters": "la raccolta è sospesa\r\n25 aprile\r\n",
            "text": "",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.parameters == ["la raccolta è sospesa", "25 aprile"]
    assert campaign.created_by == communications
    assert campaign.events.count() == 1


def test_the_compose_form_refuses_a_missing_parameter(client, communications, template):
    client.force_login(communications)

    response = client.post(
        reverse("admin:broadcasts_campaign_add"),
        {"title": "Rifiuti", "template": template.pk, "parameters": "solo uno", "text": ""},
    )

    assert response.status_code == 200
    assert "{{2}}" in response.content.decode()
    assert not Campaign.objects.exists()


def test_the_change_page_has_the_live_preview_and_the_buttons(client, communications):
    campaign = CampaignFactory(created_by=communications)
    client.force_login(communications)

    response = client.get(reverse("admin:broadcasts_campaign_change", args=[campaign.pk]))

    html = response.content.decode()
    assert "broadcasts/preview.js" in html
    assert 'id="wa-template-bodies"' in html
    assert reverse("admin:broadcasts_campaign_action", args=[campaign.pk, "approve"]) in html
    assert finders.find("broadcasts/preview.js")


def test_approve_then_schedule_into_the_next_slot_from_the_admin(
    client, communications, colleague, san_giuliano
):
    campaign = CampaignFactory(created_by=communications)
    client.force_login(colleague)

    action(client, campaign, "approve")
    action(client, campaign, "schedule", at="")

    campaign.refresh_from_db()
    assert campaign.state == CampaignState.SCHEDULED
    assert campaign.slot is not None


def test_an_emergency_alert_needs_a_second_person_in_the_admin(
    client, communications, colleague, municipality, eager, django_capture_on_commit_callbacks
):
    subscribers_bulk(4)
    alert = CampaignFactory(created_by=communications, is_emergency=True)
    client.force_login(communications)

    refused = action(client, alert, "approve")

    assert "persona diversa" in refused.content.decode()
    assert Campaign.objects.get(pk=alert.pk).state == CampaignState.DRAFT

    client.force_login(colleague)
    with django_capture_on_commit_callbacks(execute=True):
        action(client, alert, "approve")

    alert.refresh_from_db()
    assert alert.state == CampaignState.SENT
    assert alert.deliveries.count() == 4


def test_editing_an_approved_templates_text_sends_it_back_to_draft(admin_client):
    template = MessageTemplateFactory(approval_status=TemplateApproval.APPROVED)

    admin_client.post(
        reverse("admin:broadcasts_messagetemplate_change", args=[template.pk]),
        {
            "name": template.name,
            "language": "it",
            "category": "utility",
            "body": "Nuovo testo {{1}}",
        },
    )

    assert MessageTemplate.objects.get(pk=template.pk).approval_status == TemplateApproval.DRAFT


def test_the_template_list_page_is_a_few_queries(admin_client, django_assert_max_num_queries):
    MessageTemplateFactory.create_batch(10)

    with django_assert_max_num_queries(8):
        response = admin_client.get(reverse("admin:broadcasts_messagetemplate_changelist"))

    assert response.status_code == 200
