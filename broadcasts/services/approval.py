"""Approving a campaign: a second person or system for emergency alerts (and for every campaign
when the comune asks for four eyes). The API's alerts are in alerts.py."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from urp_portal.accounts.principals import actor_account
from urp_portal.municipality.errors import UserError
from urp_portal.municipality.selectors import municipality_get_active

from ..models import Campaign
from ..states import CampaignState
from .authors import campaign_written_by
from .campaigns import _locked, _require, _require_sendable_content, campaign_start
from .transitions import campaign_transition as _transition


def campaign_approve(*, campaign_id: int, actor: Any) -> Campaign:
    """Approve a draft. An emergency alert is confirmed by a second person with the emergency
    permission (never the one who wrote it) and then goes out at once."""
    with transaction.atomic():
        campaign = _locked(campaign_id)
        if campaign.is_emergency:
            _require(
                actor,
                "broadcasts.send_emergency_alert",
                _("Non hai il permesso di confermare un avviso di emergenza."),
            )
            # Another person or another system (token) than the author: four eyes.
            if campaign_written_by(campaign, actor):
                raise UserError(
                    _(
                        "Un avviso di emergenza va confermato da una persona diversa da chi "
                        "l'ha scritto."
                    ),
                    code="two_person_rule",
                )
        else:
            _require(
                actor,
                "broadcasts.approve_campaign",
                _("Non hai il permesso di approvare campagne."),
            )
            if municipality_get_active().campaign_four_eyes and campaign_written_by(
                campaign, actor
            ):
                raise UserError(
                    _("La campagna va approvata da una persona diversa da chi l'ha scritta."),
                    code="two_person_rule",
                )
        _require_sendable_content(campaign)
        campaign.approved_by = actor_account(actor)
        campaign.approved_at = timezone.now()
        _transition(
            campaign=campaign,
            to=CampaignState.APPROVED,
            actor=actor,
            reason=_("avviso di emergenza confermato") if campaign.is_emergency else "",
            fields=["approved_by", "approved_at"],
        )
    if campaign.is_emergency:
        return campaign_start(campaign_id=campaign.pk, actor=actor, reason=_("avviso di emergenza"))
    return campaign
