"""The broadcasts' models: templates (templates.py) and campaigns with their deliveries, events,
slot warnings, rate card and counters (campaigns.py)."""

from .campaigns import (
    Campaign,
    CampaignEvent,
    CampaignStateCount,
    Delivery,
    RateCard,
    SlotWarning,
)
from .templates import PARAMETER_PATTERN, MessageTemplate, OwnedByTheScopesComune

__all__ = [
    "PARAMETER_PATTERN",
    "Campaign",
    "CampaignEvent",
    "CampaignStateCount",
    "Delivery",
    "MessageTemplate",
    "OwnedByTheScopesComune",
    "RateCard",
    "SlotWarning",
]
