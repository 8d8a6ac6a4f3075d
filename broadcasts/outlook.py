"""A campaign's outlook before approval: how many citizens it reaches, who is inside their
24-hour window (free text and no limit for them), how Meta's messaging limit spreads the others
over days ("oggi 2.000, domani 2.000, giovedì 1.800"), and what Meta will charge for it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from urp_portal.gateway import reach
from urp_portal.gateway.models import InboundMessage
from urp_portal.municipality.scope import current_comune, owned_by

from .models import Campaign, RateCard
from .selectors import campaign_recipients


@dataclass
class CampaignOutlook:
    recipients: int
    inside_window: int
    days: list[reach.ReachDay] = field(default_factory=list)
    limit: int | None = None
    free_text: bool = False
    category: str = ""
    rate: Decimal | None = None
    rate_card: RateCard | None = None

    @property
    def outside_window(self) -> int:
        return self.recipients - self.inside_window

    @property
    def estimated_cost(self) -> Decimal | None:
        """Meta charges every delivered template message of its category (utility ones inside
        the window are free where the rate card says so; an estimate, before failures)."""
        if self.rate is None or self.free_text:
            return None
        charged = self.recipients
        free_inside = self.rate_card is None or self.rate_card.utility_free_in_window
        if self.category == "utility" and free_inside:
            charged = self.outside_window
        return (self.rate * charged).quantize(Decimal("0.01"))

    @property
    def spread_over_days(self) -> bool:
        return len(self.days) > 1

    def plan_words(self, *, now: dt.datetime) -> str:
        """ "oggi 2.000, domani 2.000, giovedì 1.800"."""
        today = timezone.localdate(now)
        words = []
        for day in self.days:
            date = timezone.localdate(day.starts_at)
            if date == today:
                when = _("oggi")
            elif date == today + dt.timedelta(days=1):
                when = _("domani")
            else:
                when = date_format(date, "l j F")
            words.append(
                _("%(when)s dalle %(time)s: %(count)s")
                % {
                    "when": when,
                    "time": date_format(timezone.localtime(day.starts_at), "H:i"),
                    "count": number_format(day.count, force_grouping=True),
                }
            )
        return ", ".join(words)


def rate_card_in_force(*, on: dt.date) -> RateCard | None:
    return RateCard.objects.filter(valid_from__lte=on).order_by("-valid_from").first()


def campaign_outlook(*, campaign: Campaign, now: dt.datetime | None = None) -> CampaignOutlook:
    now = now or timezone.now()
    numbers = campaign_recipients(campaign=campaign).values("number")
    recipients = campaign_recipients(campaign=campaign).count()
    inside = (
        InboundMessage.objects.filter(sender__in=numbers, sent_at__gt=now - reach.SERVICE_WINDOW)
        # Written to this comune's number: the window is the business number's.
        .filter(owned_by(current_comune()))
        .values("sender")
        .distinct()
        .count()
    )
    limit = reach.messaging_limit()
    template = campaign.template
    outlook = CampaignOutlook(
        recipients=recipients,
        inside_window=inside,
        limit=limit,
        free_text=template is None,
        category=template.category if template is not None else "",
    )
    if template is not None:
        outlook.days = reach.reach_plan(outside_window=outlook.outside_window, now=now, limit=limit)
        card = rate_card_in_force(on=timezone.localdate(now))
        if card is not None:
            outlook.rate_card = card
            outlook.rate = card.rate(template.category)
    return outlook
