"""This month's template messages by category and what Meta charges for them, on the console's
home page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from broadcasts.costs import messages_cost_this_month
from broadcasts.models import RateCard
from urp_portal.gateway.models import OutboundMessage
from urp_portal.gateway.states import OutboundState

pytestmark = pytest.mark.django_db


def delivered(n, *, category, outside=True, state=OutboundState.DELIVERED, **pricing):
    now = timezone.now()
    OutboundMessage.objects.bulk_create(
        OutboundMessage(
            to=f"+39333{category[:1]}{i:06d}",
            purpose="broadcast",
            template_name="avviso",
            template_category=category,
            state=state,
            reach_counted_at=now if outside else None,
            **pricing,
        )
        for i in range(n)
    )


def test_delivered_templates_are_counted_by_category_and_priced(municipality, admin_client):
    RateCard.objects.create(
        valid_from=dt.date(2026, 7, 1),
        marketing=Decimal("0.0600"),
        utility=Decimal("0.0200"),
        authentication=Decimal("0.0200"),
    )
    delivered(10, category="marketing")
    delivered(4, category="utility")
    delivered(6, category="utility", outside=False)  # inside the window: free
    delivered(3, category="marketing", state=OutboundState.FAILED)  # not delivered: not billed

    costs = {row.category: row for row in messages_cost_this_month()}

    assert (costs["marketing"].delivered, costs["marketing"].cost) == (10, Decimal("0.60"))
    assert (costs["utility"].delivered, costs["utility"].charged) == (10, 4)
    assert costs["utility"].cost == Decimal("0.08")
    page = admin_client.get("/admin/").content.decode()
    assert "Messaggi di questo mese e costo stimato" in page
    assert "0,60 EUR" in page


def test_without_a_rate_card_the_counts_show_without_a_cost(municipality):
    delivered(2, category="marketing", state=OutboundState.READ)

    [row] = messages_cost_this_month()

    assert (row.delivered, row.cost) == (2, None)


def test_what_the_status_webhooks_said_of_the_price_wins_over_what_we_sent(municipality):
    RateCard.objects.create(
        valid_from=dt.date(2026, 7, 1),
        marketing=Decimal("0.0600"),
        utility=Decimal("0.0200"),
        authentication=Decimal("0.0200"),
    )
    # Sent as marketing, billed by Meta as utility (re-categorised) and charged.
    delivered(3, category="marketing", pricing_category="utility", pricing_type="regular")
    # Utility sent outside the window by our count, but Meta says it was free.
    delivered(
        2, category="utility", pricing_category="utility", pricing_type="free_customer_service"
    )
    # Only the older flag.
    delivered(1, category="utility", outside=False, billable=True)

    [row] = messages_cost_this_month()

    assert (row.category, row.delivered, row.charged) == ("utility", 6, 4)
    assert row.cost == Decimal("0.08")


def test_a_card_without_free_utility_in_the_window_charges_those_meta_has_not_priced(municipality):
    RateCard.objects.create(
        valid_from=dt.date(2026, 10, 1),
        marketing=Decimal("0.0600"),
        utility=Decimal("0.0200"),
        authentication=Decimal("0.0200"),
        utility_free_in_window=False,
    )
    delivered(4, category="utility")
    delivered(6, category="utility", outside=False)
    # What Meta's status said still wins.
    delivered(2, category="utility", outside=False, pricing_type="free_customer_service")

    [row] = messages_cost_this_month()

    assert (row.delivered, row.charged, row.cost) == (12, 10, Decimal("0.20"))
