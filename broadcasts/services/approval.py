"""Approving a campaign (a second person for emergency alerts) and the API's emergency alert
sent at once by one person holding the emergency permission."""

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from urp_portal.accounts.principals import actor_account
from urp_portal.municipality.errors import UserError

from ..models import Campaign, MessageTemplate
from ..states import CampaignState
from .campaigns import _locked, _require, _require_sendable_content, campaign_create, campaign_start
from .transitions import campaign_transition as _transition


def campaign_approve(*, campaign_id: int, by: Any) -> Campaign:
    """Approve a draft. An emergency alert is confirmed by a second person with the emergency
    permission (never the one who wrote it) and then goes out at once."""
    with transaction.atomic():
        campaign = _locked(campaign_id)
        if campaign.is_emergency:
            _require(
                by,
                "broadcasts.send_emergency_alert",
                _("Non hai il permesso di confermare un avviso di emergenza."),
            )
            # A system's token has no account: it is never "the same person" as the author, so
            # the API confirms an emergency only through alerts (the permission alone).
            if actor_account(by) is None or by.pk == campaign.created_by_id:
                raise UserError(
                    _(
                        "Un avviso di emergenza va confermato da una persona diversa da chi "
                        "l'ha scritto."
                    ),
                    code="two_person_rule",
                )
        else:
            _require(
                by, "broadcasts.approve_campaign", _("Non hai il permesso di approvare campagne.")
            )
        _require_sendable_content(campaign)
        campaign.approved_by = actor_account(by)
        campaign.approved_at = timezone.now()
        _transition(
            campaign=campaign,
            to=CampaignState.APPROVED,
            actor=by,
            reason=_("avviso di emergenza confermato") if campaign.is_emergency else "",
            fields=["approved_by", "approved_at"],
        )
    if campaign.is_emergency:
        return campaign_start(campaign_id=campaign.pk, by=by, reason=_("avviso di emergenza"))
    return campaign


def alert_send(
    *,
    template: MessageTemplate | None,
    parameters: Sequence[str],
    by: Any,
    text: str = "",
    title: str = "",
) -> Campaign:
    """An emergency alert sent at once by one person holding the emergency permission (the
    API's door; the admin asks for a second person's confirmation instead)."""
    _require(
        by,
        "broadcasts.send_emergency_alert",
        _("Non hai il permesso di inviare avvisi di emergenza."),
    )
    now = timezone.now()
    with transaction.atomic():
        campaign = campaign_create(
            title=title
            or _("Avviso di emergenza del %(when)s")
            % {"when": date_format(timezone.localtime(now), "d/m/Y H:i")},
            by=by,
            template=template,
            parameters=parameters,
            text=text,
            is_emergency=True,
        )
        campaign = _locked(campaign.pk)
        _require_sendable_content(campaign)
        campaign.approved_by = actor_account(by)
        campaign.approved_at = now
        _transition(
            campaign=campaign,
            to=CampaignState.APPROVED,
            actor=by,
            reason=_("avviso di emergenza dall'API, con il permesso di emergenza"),
            fields=["approved_by", "approved_at"],
        )
        return campaign_start(campaign_id=campaign.pk, by=by, reason=_("avviso di emergenza"))
