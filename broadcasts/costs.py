"""This month's messages by Meta's category and what Meta will charge for them: delivered
template messages, at the rate card in force (outlook.rate_card_in_force).

Meta bills a delivered template message by its category; a utility template delivered inside
the citizen's open 24-hour window is free (Pricing on the WhatsApp Business Platform, since
1 Jul 2025). What Meta's status webhooks said of a message (`pricing_category`, `pricing_type`,
`billable`) wins; a message no status has priced yet is read from what we sent: the template's
category (kept current from Meta's template_category_update) and, for utility, whether the
citizen's window was closed (`reach_counted_at`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, F, Q, When
from django.utils import timezone

from urp_portal.gateway.models import OutboundMessage
from urp_portal.gateway.states import OutboundState
from urp_portal.municipality.calendar import ROME

from .outlook import rate_card_in_force
from .states import TemplateCategory

DELIVERED = [OutboundState.DELIVERED, OutboundState.READ]
# Meta's `pricing.type` ("regular" is charged, "free_customer_service" and "free_entry_point"
# are not), or the older `billable` flag where a status carried only that.
_SAID_CHARGED = Q(pricing_type="regular") | Q(pricing_type="", billable=True)
_UNPRICED = Q(pricing_type="", billable__isnull=True)


@dataclass(frozen=True)
class CategoryCost:
    category: str
    label: str
    delivered: int
    charged: int
    rate: Decimal | None
    cost: Decimal | None


def month_start(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now, ROME)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def messages_cost_this_month(*, now: dt.datetime | None = None) -> list[CategoryCost]:
    """Per category: delivered template messages this month, those Meta charges, the cost."""
    now = now or timezone.now()
    rows = {
        row["billed_as"]: row
        for row in OutboundMessage.objects.filter(
            created_at__gte=month_start(now), state__in=DELIVERED
        )
        .exclude(template_name="")
        .order_by()
        .annotate(
            billed_as=Case(
                When(~Q(pricing_category=""), then=F("pricing_category")),
                default=F("template_category"),
            )
        )
        .values("billed_as")
        .annotate(
            delivered=Count("id"),
            said_charged=Count("id", filter=_SAID_CHARGED),
            unpriced=Count("id", filter=_UNPRICED),
            unpriced_outside=Count("id", filter=_UNPRICED & Q(reach_counted_at__isnull=False)),
        )
    }
    card = rate_card_in_force(on=timezone.localdate(now))
    free_inside = card is None or card.utility_free_in_window
    result = []
    for category in TemplateCategory:
        row = rows.get(category.value)
        if row is None:
            continue
        unpriced_charged = (
            row["unpriced_outside"]
            if category == TemplateCategory.UTILITY and free_inside
            else row["unpriced"]
        )
        charged = row["said_charged"] + unpriced_charged
        rate = card.rate(category.value) if card else None
        result.append(
            CategoryCost(
                category=category.value,
                label=str(category.label),
                delivered=row["delivered"],
                charged=charged,
                rate=rate,
                cost=(rate * charged).quantize(Decimal("0.01")) if rate is not None else None,
            )
        )
    return result
