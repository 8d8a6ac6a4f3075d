"""A campaign's change of state is in the audit trail, with who decided it."""

from broadcasts import services
from urp_portal.audit.models import AuditEvent
from urp_portal.audit.states import AuditAction

from .factories import CampaignFactory


def test_approving_a_campaign_is_in_the_audit_trail(municipality, communications, colleague):
    campaign = CampaignFactory(created_by=communications)

    services.campaign_approve(campaign_id=campaign.pk, actor=colleague)

    event = AuditEvent.objects.get(action=AuditAction.STATE_CHANGED)
    assert (event.actor_label, event.target_type, event.target_id) == (
        colleague.username,
        "broadcasts.campaign",
        str(campaign.pk),
    )
    assert event.details == {"from": "draft", "to": "approved"}
