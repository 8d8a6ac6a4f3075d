"""The one door through which a campaign changes state."""

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from urp_portal.accounts.principals import actor_account, actor_label
from urp_portal.audit.services import audit_record
from urp_portal.audit.states import AuditAction
from urp_portal.municipality.errors import UserError

from ..models import Campaign, CampaignEvent
from ..states import CAMPAIGN_TRANSITIONS, CampaignState


def campaign_transition(
    *,
    campaign: Campaign,
    to: str,
    actor: Any,
    reason: str = "",
    fields: Sequence[str] = (),
) -> Campaign:
    """Move a locked campaign to `to`, saving `fields` with it and writing the event row."""
    if to not in CAMPAIGN_TRANSITIONS[campaign.state]:
        raise UserError(
            _("Una campagna «%(from)s» non può passare a «%(to)s».")
            % {"from": CampaignState(campaign.state).label, "to": CampaignState(to).label},
            code="campaign_transition",
        )
    from_state = campaign.state
    campaign.state = to
    campaign.save(update_fields=["state", *fields, "updated_at"])
    CampaignEvent.objects.create(
        campaign=campaign,
        from_state=from_state,
        to_state=to,
        by=actor_account(actor),
        # One of the comune's systems has no account to point to: its token's name says who.
        reason=" · ".join(part for part in (reason, actor_label(actor)) if part)[:300],
    )
    audit_record(
        actor=actor,
        action=AuditAction.STATE_CHANGED,
        target=campaign,
        details={"from": from_state, "to": to},
    )
    return campaign
