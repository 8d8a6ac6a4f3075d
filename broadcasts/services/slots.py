"""The scheduler's side: start what is due, warn about empty broadcast slots."""

import datetime as dt
import logging
from functools import partial

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from urp_portal.accounts.roles import GROUP_NAMES, Role
from urp_portal.municipality.errors import NoActiveMunicipality, UserError
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.selectors import municipality_get_active

from ..models import Campaign, SlotWarning
from ..states import CampaignState
from ..timing import slot_occurrences

logger = logging.getLogger(__name__)

# A slot is warned about this long before it comes.
WARN_AHEAD = dt.timedelta(days=1)


def campaigns_due(*, now: dt.datetime | None = None) -> list[int]:
    """Scheduled campaigns whose time has come."""
    now = now or timezone.now()
    return list(
        Campaign.objects.filter(state=CampaignState.SCHEDULED, scheduled_at__lte=now)
        .order_by("-is_emergency", "scheduled_at")
        .values_list("pk", flat=True)
    )


def communications_staff_emails(municipality: Municipality | None = None) -> list[str]:
    """The communications staff of `municipality` (its members; for the active comune also
    those who belong to no comune: StaffMembership); all of them without a comune."""
    staff = get_user_model().objects.filter(
        is_active=True, groups__name=GROUP_NAMES[Role.COMMUNICATIONS], email__gt=""
    )
    if municipality is not None:
        of_comune = Q(comune_memberships__comune=municipality)
        if municipality.is_active:
            of_comune |= Q(comune_memberships__isnull=True)
        staff = staff.filter(of_comune)
    return list(staff.values_list("email", flat=True).distinct())


def broadcast_slots_warn_empty(*, now: dt.datetime | None = None) -> int:
    """Warn the communications staff of every slot in the next 24 hours with nothing scheduled
    into it, once per occurrence of the slot. Returns how many warnings went out."""
    now = now or timezone.now()
    try:
        municipality = municipality_get_active()
    except NoActiveMunicipality:
        return 0
    warned = 0
    for occurrence in slot_occurrences(municipality, after=now, until=now + WARN_AHEAD):
        scheduled = Campaign.objects.filter(
            scheduled_at=occurrence.at,
            state__in=[CampaignState.SCHEDULED, CampaignState.SENDING, CampaignState.SENT],
        ).exists()
        if scheduled:
            continue
        try:
            with transaction.atomic():
                SlotWarning.objects.create(slot=occurrence.slot, occurrence=occurrence.at)
                waiting = Campaign.objects.filter(state=CampaignState.APPROVED).count()
                when = date_format(timezone.localtime(occurrence.at), "l j F \\a\\l\\l\\e H:i")
                transaction.on_commit(
                    partial(
                        _send_slot_warning,
                        municipality=municipality,
                        when=when,
                        waiting=waiting,
                    )
                )
        except IntegrityError:
            continue  # warned already (another beat, or an earlier run)
        warned += 1
    return warned


def _send_slot_warning(*, municipality: Municipality, when: str, waiting: int) -> None:
    municipality_name = municipality.name
    recipients = communications_staff_emails(municipality)
    if not recipients:
        logger.warning("Broadcast slot %s is empty and nobody in communications has an email", when)
        return
    if waiting:
        hint = _(
            "Ci sono %(n)d campagne approvate non ancora programmate: programmane una "
            "nell'appuntamento."
        ) % {"n": waiting}
    else:
        hint = _("Non ci sono campagne approvate in attesa: scrivine una e falla approvare.")
    send_mail(
        subject=_("%(comune)s: l'appuntamento broadcast di %(when)s è vuoto")
        % {"comune": municipality_name, "when": when},
        message=_(
            "Per l'appuntamento broadcast di %(when)s non c'è ancora nessuna campagna "
            "programmata.\n\n%(hint)s\n"
        )
        % {"when": when, "hint": hint},
        from_email=None,
        recipient_list=recipients,
    )


def campaign_start_due(*, campaign_id: int) -> None:
    """The scheduler's start. A campaign that can no longer go (its template lost its approval,
    a parameter is missing) goes back to "approved" with the reason, for a person to see,
    instead of failing again every minute."""
    from .campaigns import campaign_start
    from .transitions import campaign_transition

    try:
        campaign_start(campaign_id=campaign_id, reason=_("all'orario programmato"))
    except UserError as error:
        with transaction.atomic():
            campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
            if campaign.state != CampaignState.SCHEDULED:
                return
            campaign.scheduled_at = None
            campaign.slot = None
            campaign_transition(
                campaign=campaign,
                to=CampaignState.APPROVED,
                actor=None,
                reason=_("non è partita: %(error)s") % {"error": error.message},
                fields=["scheduled_at", "slot"],
            )
