"""Emergency alerts from the comune's systems (the API's door), under the four-eyes rule.

An alert written through the API waits, as one written in the console does, for a second
person or another system holding the emergency permission to confirm it
(`POST /api/v1/alerts/{id}/confirm/`); only then does it go, at once, ahead of any campaign.
One exception, which the comune must write in its configuration: the system it names there
(`Municipality.emergency_integration_name`, the civil protection's) sends alone, and each such
alert is recorded in the audit trail as sent without a second confirmation.
"""

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from urp_portal.audit.services import audit_record
from urp_portal.audit.states import AuditAction
from urp_portal.municipality.errors import UserError
from urp_portal.municipality.selectors import municipality_get_active

from ..models import Campaign, MessageTemplate
from ..states import CampaignState
from .approval import campaign_approve
from .authors import token_of
from .campaigns import (
    _locked,
    _require,
    _require_sendable_content,
    campaign_create,
    campaign_start,
)
from .transitions import campaign_transition


class AlertNotWaiting(UserError):
    http_status = 409


def _sends_alone(actor: Any) -> bool:
    token = token_of(actor)
    if token is None:
        return False
    named = municipality_get_active().emergency_integration_name.strip()
    return bool(named) and token.name == named


def alert_create(
    *,
    template: MessageTemplate | None,
    parameters: Sequence[str],
    actor: Any,
    text: str = "",
    title: str = "",
) -> Campaign:
    """A new emergency alert: waiting for a second person's confirmation, or, from the system
    the comune's configuration names, sent at once and audited as such."""
    _require(
        actor,
        "broadcasts.send_emergency_alert",
        _("Non hai il permesso di inviare avvisi di emergenza."),
    )
    now = timezone.now()
    with transaction.atomic():
        campaign = campaign_create(
            title=title
            or _("Avviso di emergenza del %(when)s")
            % {"when": date_format(timezone.localtime(now), "d/m/Y H:i")},
            actor=actor,
            template=template,
            parameters=parameters,
            text=text,
            is_emergency=True,
        )
        # Refused now, not at the confirmation: who confirms must find an alert that can go.
        _require_sendable_content(campaign)
        if not _sends_alone(actor):
            return campaign
        campaign = _locked(campaign.pk)
        campaign.approved_at = now
        campaign_transition(
            campaign=campaign,
            to=CampaignState.APPROVED,
            actor=actor,
            reason=_(
                "avviso di emergenza senza seconda conferma: sistema autorizzato dalla "
                "configurazione del comune"
            ),
            fields=["approved_at"],
        )
        audit_record(
            actor=actor,
            action=AuditAction.ALERT_SENT_ALONE,
            target=campaign,
            details={"token": token_of(actor).name},  # type: ignore[union-attr]
        )
        return campaign_start(campaign_id=campaign.pk, actor=actor, reason=_("avviso di emergenza"))


def alert_confirm(*, campaign_id: int, actor: Any) -> Campaign:
    """The second pair of eyes: another person or system with the emergency permission confirms
    a waiting alert, which then goes at once."""
    campaign = Campaign.objects.filter(pk=campaign_id, is_emergency=True).first()
    if campaign is None:
        raise Campaign.DoesNotExist
    if campaign.state != CampaignState.DRAFT:
        raise AlertNotWaiting(
            _("Questo avviso non attende una conferma (stato: %(state)s).")
            % {"state": campaign.get_state_display()},
            code="alert_not_waiting",
        )
    return campaign_approve(campaign_id=campaign_id, actor=actor)
