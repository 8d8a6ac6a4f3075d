"""Choices and the allowed transitions of the broadcasts app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TemplateCategory(models.TextChoices):
    # Meta's categories: what the template is for decides its price and its review.
    UTILITY = "utility", _("Servizio (pubblica utilità)")
    MARKETING = "marketing", _("Promozionale")
    AUTHENTICATION = "authentication", _("Autenticazione")


class TemplateApproval(models.TextChoices):
    # Written here, not yet sent to the provider for review.
    DRAFT = "draft", _("bozza")
    # Submitted: the provider (Meta) is reviewing it; it cannot be used yet.
    PENDING = "pending", _("in revisione")
    # Usable to start a conversation with any subscriber.
    APPROVED = "approved", _("approvato")
    # Refused by the provider; fix the text and submit again.
    REJECTED = "rejected", _("rifiutato")


TEMPLATE_TRANSITIONS: dict[str, set[str]] = {
    TemplateApproval.DRAFT: {TemplateApproval.PENDING, TemplateApproval.APPROVED},
    TemplateApproval.PENDING: {
        TemplateApproval.APPROVED,
        TemplateApproval.REJECTED,
        TemplateApproval.DRAFT,
    },
    # An approved template whose text changes must be reviewed again.
    TemplateApproval.APPROVED: {TemplateApproval.DRAFT, TemplateApproval.REJECTED},
    TemplateApproval.REJECTED: {TemplateApproval.DRAFT, TemplateApproval.PENDING},
}


class CampaignState(models.TextChoices):
    # Being written; nothing goes out.
    DRAFT = "draft", _("bozza")
    # Someone with the approval permission read it and agreed; waiting for a time.
    APPROVED = "approved", _("approvata")
    # Has a time (a broadcast slot or a chosen one); the scheduler starts it then.
    SCHEDULED = "scheduled", _("programmata")
    # Its deliveries are written and are being handed to the gateway in batches.
    SENDING = "sending", _("in invio")
    # Stopped by a person while sending; what was not yet handed to the gateway waits.
    PAUSED = "paused", _("in pausa")
    # Every delivery was handed to the gateway and left the outbox (sent, failed or cancelled).
    SENT = "sent", _("inviata")
    # Stopped for good; deliveries not yet handed to the gateway are cancelled.
    CANCELLED = "cancelled", _("annullata")


CAMPAIGN_TRANSITIONS: dict[str, set[str]] = {
    CampaignState.DRAFT: {CampaignState.APPROVED, CampaignState.CANCELLED},
    # Back to draft: the text changes, so it must be approved again.
    CampaignState.APPROVED: {
        CampaignState.DRAFT,
        CampaignState.SCHEDULED,
        CampaignState.SENDING,
        CampaignState.CANCELLED,
    },
    # scheduled -> scheduled: moved to another time.
    CampaignState.SCHEDULED: {
        CampaignState.APPROVED,
        CampaignState.SCHEDULED,
        CampaignState.SENDING,
        CampaignState.CANCELLED,
    },
    CampaignState.SENDING: {CampaignState.PAUSED, CampaignState.SENT, CampaignState.CANCELLED},
    CampaignState.PAUSED: {CampaignState.SENDING, CampaignState.CANCELLED},
    CampaignState.SENT: set(),
    CampaignState.CANCELLED: set(),
}


def campaign_verb(current: str, new: str) -> str | None:
    """The name of the person's action that takes a campaign along an arrow of the table (the
    change page's buttons and the API's actions), None for an arrow no button takes (the product
    finishes a campaign; editing an approved one sends it back to draft)."""
    if new == CampaignState.CANCELLED:
        return "cancel"
    if new == CampaignState.PAUSED:
        return "pause"
    if new == CampaignState.SCHEDULED:
        return "schedule"
    if new == CampaignState.SENDING:
        return "resume" if current == CampaignState.PAUSED else "send"
    if new == CampaignState.APPROVED:
        return "unschedule" if current == CampaignState.SCHEDULED else "approve"
    return None


def campaign_verbs(current: str) -> set[str]:
    """The actions a person may take on a campaign in `current`: read off the table."""
    verbs = (campaign_verb(current, new) for new in CAMPAIGN_TRANSITIONS[current])
    return {verb for verb in verbs if verb}


# A campaign in one of these has its content fixed.
CAMPAIGN_LOCKED_STATES = {
    CampaignState.SENDING,
    CampaignState.PAUSED,
    CampaignState.SENT,
    CampaignState.CANCELLED,
}


class Audience(models.TextChoices):
    # Every subscriber on the broadcast list who is not blocked (later: topics).
    ALL_SUBSCRIBED = "all", _("Tutti gli iscritti")


class DeliveryState(models.TextChoices):
    # Written at the campaign's start; not yet handed to the gateway.
    QUEUED = "queued", _("in coda")
    # Handed to the gateway's send; from here its outbox message tells what happened.
    HANDED_OFF = "handed_off", _("affidato al gateway")
    # Not sent: the citizen unsubscribed or was blocked before their turn, or the campaign
    # was cancelled.
    CANCELLED = "cancelled", _("annullato")
