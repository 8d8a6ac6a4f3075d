"""A campaign moves only along its allowed transitions, each recorded; approving and emergency
alerts need their permissions, and the admin's emergency needs a second person."""

import pytest
from django.contrib.auth.models import Permission

from broadcasts import services
from broadcasts.models import Campaign, CampaignEvent
from broadcasts.states import CampaignState, TemplateApproval, campaign_verbs
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory
from urp_portal.municipality.errors import UserError

from .factories import CampaignFactory, MessageTemplateFactory

pytestmark = pytest.mark.django_db


def test_approving_a_draft_records_who_and_when(municipality, communications, colleague):
    campaign = CampaignFactory(created_by=communications)

    services.campaign_approve(campaign_id=campaign.pk, actor=colleague)

    campaign.refresh_from_db()
    assert campaign.state == CampaignState.APPROVED
    assert campaign.approved_by == colleague
    assert campaign.approved_at is not None
    event = CampaignEvent.objects.filter(campaign=campaign).last()
    assert (event.from_state, event.to_state, event.by) == ("draft", "approved", colleague)


def test_approving_needs_the_approve_permission(municipality, communications):
    clerk = UserFactory(roles=[Role.OPERATOR])
    campaign = CampaignFactory(created_by=communications)

    with pytest.raises(UserError, match="permesso"):
        services.campaign_approve(campaign_id=campaign.pk, actor=clerk)

    assert Campaign.objects.get(pk=campaign.pk).state == CampaignState.DRAFT


def test_a_campaign_with_an_unapproved_template_cannot_be_approved(municipality, communications):
    campaign = CampaignFactory(
        template=MessageTemplateFactory(approval_status=TemplateApproval.PENDING)
    )

    with pytest.raises(UserError, match="non è approvato"):
        services.campaign_approve(campaign_id=campaign.pk, actor=communications)


@pytest.mark.parametrize(
    "state,service",
    [
        (CampaignState.DRAFT, services.campaign_pause),
        (CampaignState.DRAFT, services.campaign_resume),
        (CampaignState.SENT, services.campaign_cancel),
        (CampaignState.CANCELLED, services.campaign_pause),
        (CampaignState.APPROVED, services.campaign_resume),
    ],
)
def test_a_transition_that_is_not_allowed_is_refused_and_leaves_no_trace(
    municipality, communications, state, service
):
    campaign = CampaignFactory(state=state)

    with pytest.raises(UserError) as refused:
        service(campaign_id=campaign.pk, actor=communications)

    assert refused.value.code == "campaign_transition"
    assert Campaign.objects.get(pk=campaign.pk).state == state
    assert not CampaignEvent.objects.filter(campaign=campaign).exists()


def test_a_draft_cannot_be_sent(municipality, communications):
    campaign = CampaignFactory()

    with pytest.raises(UserError, match="approvata"):
        services.campaign_start(campaign_id=campaign.pk, actor=communications)


def test_creating_refuses_a_template_with_a_missing_parameter(communications, template):
    with pytest.raises(UserError, match=r"\{\{2\}\}"):
        services.campaign_create(
            title="Rifiuti", template=template, parameters=["solo uno"], actor=communications
        )

    assert not Campaign.objects.exists()


def test_free_text_is_only_for_the_simulator(settings, communications):
    settings.WHATSAPP_GATEWAY = "meta"
    with pytest.raises(UserError, match="simulatore"):
        services.campaign_create(title="Prova", text="Ciao a tutti", actor=communications)

    settings.WHATSAPP_GATEWAY = "simulator"
    campaign = services.campaign_create(title="Prova", text="Ciao a tutti", actor=communications)
    assert campaign.state == CampaignState.DRAFT


def test_editing_an_approved_campaign_sends_it_back_to_draft(municipality, approved_campaign):
    services.campaign_edit(
        campaign_id=approved_campaign.pk,
        actor=approved_campaign.created_by,
        title="Nuovo titolo",
        template=approved_campaign.template,
        parameters=["il mercato è spostato", "sabato"],
    )

    approved_campaign.refresh_from_db()
    assert approved_campaign.state == CampaignState.DRAFT
    assert approved_campaign.approved_by is None


# --- emergency alerts -----------------------------------------------------------------------------


def test_an_emergency_alert_cannot_be_confirmed_by_who_wrote_it(
    municipality, communications, eager
):
    alert = CampaignFactory(is_emergency=True, created_by=communications)

    with pytest.raises(UserError, match="persona diversa"):
        services.campaign_approve(campaign_id=alert.pk, actor=communications)

    assert Campaign.objects.get(pk=alert.pk).state == CampaignState.DRAFT


def test_a_second_person_confirms_an_emergency_alert_and_it_goes_at_once(
    municipality, communications, colleague, eager, django_capture_on_commit_callbacks
):
    alert = CampaignFactory(is_emergency=True, created_by=communications)

    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_approve(campaign_id=alert.pk, actor=colleague)

    alert.refresh_from_db()
    assert alert.approved_by == colleague
    assert alert.state == CampaignState.SENT


def test_confirming_an_emergency_needs_the_emergency_permission(municipality, communications):
    approver = UserFactory()
    approver.user_permissions.add(Permission.objects.get(codename="approve_campaign"))
    alert = CampaignFactory(is_emergency=True, created_by=communications)

    with pytest.raises(UserError, match="emergenza"):
        services.campaign_approve(campaign_id=alert.pk, actor=approver)


def test_an_alert_waits_for_a_second_person_and_then_goes_at_once(
    municipality, communications, colleague, template, eager, django_capture_on_commit_callbacks
):
    alert = services.alert_create(
        template=template, parameters=["l'acqua non è potabile", "oggi"], actor=communications
    )
    assert alert.state == CampaignState.DRAFT
    with pytest.raises(UserError, match="persona diversa"):
        services.alert_confirm(campaign_id=alert.pk, actor=communications)

    with django_capture_on_commit_callbacks(execute=True):
        services.alert_confirm(campaign_id=alert.pk, actor=colleague)

    alert.refresh_from_db()
    assert alert.is_emergency
    assert alert.approved_by == colleague
    assert alert.state == CampaignState.SENT
    assert list(alert.events.values_list("to_state", flat=True)) == [
        "draft",
        "approved",
        "sending",
        "sent",
    ]


def test_an_alert_is_refused_without_the_emergency_permission(municipality, template):
    clerk = UserFactory(roles=[Role.OPERATOR])

    with pytest.raises(UserError, match="permesso"):
        services.alert_create(template=template, parameters=["a", "b"], actor=clerk)

    assert not Campaign.objects.exists()


def test_each_state_s_actions_are_read_off_the_transition_table():
    assert {state: campaign_verbs(state) for state in CampaignState} == {
        CampaignState.DRAFT: {"approve", "cancel"},
        CampaignState.APPROVED: {"schedule", "send", "cancel"},
        CampaignState.SCHEDULED: {"schedule", "unschedule", "send", "cancel"},
        CampaignState.SENDING: {"pause", "cancel"},
        CampaignState.PAUSED: {"resume", "cancel"},
        CampaignState.SENT: set(),
        CampaignState.CANCELLED: set(),
    }
