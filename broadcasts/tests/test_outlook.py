"""Before approval the campaign page says how many citizens it reaches, how Meta's messaging
limit spreads them over days, what Meta will charge, and how few a free text reaches."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from broadcasts.models import RateCard
from broadcasts.outlook import campaign_outlook
from broadcasts.states import CampaignState, TemplateCategory
from urp_portal.gateway.models import InboundMessage
from urp_portal.gateway.states import MessageKind

from .factories import CampaignFactory, MessageTemplateFactory, subscribers_bulk

pytestmark = pytest.mark.django_db


def wrote_recently(subscribers):
    now = timezone.now()
    InboundMessage.objects.bulk_create(
        InboundMessage(
            provider_id=f"wamid.o{i}",
            sender=s.number,
            sent_at=now - dt.timedelta(hours=3),
            kind=MessageKind.TEXT,
            text="Salve",
        )
        for i, s in enumerate(subscribers)
    )


def test_the_page_plans_6000_on_a_2000_limit_over_three_days_with_the_cost(
    municipality, admin_client
):
    municipality.messaging_limit = 2000
    municipality.save(update_fields=["messaging_limit"])
    subscribers = subscribers_bulk(6000)
    wrote_recently(subscribers[:200])
    RateCard.objects.create(
        valid_from=dt.date(2026, 7, 1),
        marketing=Decimal("0.0600"),
        utility=Decimal("0.0200"),
        authentication=Decimal("0.0200"),
    )
    template = MessageTemplateFactory(category=TemplateCategory.UTILITY)
    campaign = CampaignFactory(template=template, state=CampaignState.DRAFT)

    outlook = campaign_outlook(campaign=campaign)
    page = admin_client.get(reverse("admin:broadcasts_campaign_change", args=[campaign.pk]))

    assert (outlook.recipients, outlook.inside_window, outlook.outside_window) == (6000, 200, 5800)
    assert [day.count for day in outlook.days] == [2000, 2000, 1800]
    # Utility templates inside the window are free: 5,800 at 0.02.
    assert outlook.estimated_cost == Decimal("116.00")
    html = page.content.decode()
    assert "oggi dalle" in html and "domani dalle" in html
    assert "Costo stimato: 116,00 EUR" in html


def test_the_estimate_charges_utility_inside_the_window_when_the_card_says_so(municipality):
    subscribers = subscribers_bulk(10)
    wrote_recently(subscribers[:4])
    RateCard.objects.create(
        valid_from=dt.date(2026, 10, 1),
        marketing=Decimal("0.0600"),
        utility=Decimal("0.0200"),
        authentication=Decimal("0.0200"),
        utility_free_in_window=False,
    )
    campaign = CampaignFactory(template=MessageTemplateFactory(category=TemplateCategory.UTILITY))

    outlook = campaign_outlook(campaign=campaign)

    assert (outlook.inside_window, outlook.estimated_cost) == (4, Decimal("0.20"))


def test_a_free_text_campaign_warns_how_few_it_reaches(municipality, admin_client, settings):
    settings.WHATSAPP_GATEWAY = "simulator"
    subscribers = subscribers_bulk(3)
    wrote_recently(subscribers[:1])
    campaign = CampaignFactory(template=None, text="Domani acqua sospesa", parameters=[])

    page = admin_client.get(reverse("admin:broadcasts_campaign_change", args=[campaign.pk]))

    assert "solo a chi ha scritto nelle ultime 24 ore: 1 su 3" in page.content.decode()
