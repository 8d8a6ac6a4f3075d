"""Meta's messaging limit: unique citizens outside their 24-hour window per moving 24 hours. A
campaign that does not fit goes out over days and never above the limit; citizens inside their
window are not counted."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from broadcasts import services
from broadcasts.services import fanout
from broadcasts.states import CampaignState
from urp_portal.gateway import reach
from urp_portal.gateway.models import InboundMessage, OutboundMessage
from urp_portal.gateway.states import MessageKind, OutboundState

from .factories import CampaignFactory, subscribers_bulk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def batches_driven_by_the_test(monkeypatch):
    # The tests drive the batches themselves (and the clock): no chain of batch tasks.
    monkeypatch.setattr(fanout, "enqueue_send_batch", lambda pk, **kwargs: None)


def run_batches(campaign, capture, *, batch_size=1000):
    """Hand batches to the gateway (each sent on its commit) until the campaign finishes or
    waits for the limit."""
    while True:
        with capture(execute=True):
            outcome = fanout.campaign_send_next_batch(
                campaign_id=campaign.pk, batch_size=batch_size
            )
        if outcome.finished or not outcome.handed_off:
            return outcome


def sent_in_the_last_24_hours(now):
    return (
        OutboundMessage.objects.filter(
            purpose="broadcast", sent_at__gt=now - dt.timedelta(hours=24)
        )
        .values("to")
        .distinct()
        .count()
    )


def test_6000_subscribers_on_a_2000_limit_go_out_over_three_days_and_never_more(
    municipality, communications, fake_graph, settings, django_capture_on_commit_callbacks
):
    settings.BROADCAST_MAX_IN_FLIGHT = 10_000
    municipality.messaging_limit = 2000
    municipality.save(update_fields=["messaging_limit"])
    subscribers_bulk(6000)
    campaign = CampaignFactory(state=CampaignState.APPROVED)
    start = timezone.now()

    handed_each_day = []
    with time_machine.travel(start, tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=False):
            services.campaign_start(campaign_id=campaign.pk, actor=communications)
        for day in range(4):
            outcome = run_batches(campaign, django_capture_on_commit_callbacks)
            now = timezone.now()
            handed_each_day.append(
                OutboundMessage.objects.filter(
                    purpose="broadcast", reach_counted_at__gt=now - dt.timedelta(hours=24)
                ).count()
            )
            assert sent_in_the_last_24_hours(now) <= 2000
            if outcome.finished:
                break
            # Waiting for the oldest counted send to turn 24 hours old, and not before.
            assert outcome.next_in == pytest.approx(24 * 3600, abs=2)
            traveller.shift(dt.timedelta(hours=23))
            assert run_batches(campaign, django_capture_on_commit_callbacks).handed_off == 0
            traveller.shift(dt.timedelta(hours=1, seconds=1))

    assert handed_each_day[:3] == [2000, 2000, 2000]
    assert len(fake_graph.sent_messages()) == 6000
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.SENT


def test_subscribers_inside_their_window_are_not_counted(
    municipality, communications, fake_graph, settings, django_capture_on_commit_callbacks
):
    municipality.messaging_limit = 250
    municipality.save(update_fields=["messaging_limit"])
    subscribers = subscribers_bulk(300)
    now = timezone.now()
    InboundMessage.objects.bulk_create(
        InboundMessage(
            provider_id=f"wamid.in{i}",
            sender=s.number,
            sent_at=now - dt.timedelta(hours=2),
            kind=MessageKind.TEXT,
            text="Buongiorno",
        )
        for i, s in enumerate(subscribers[:100])
    )
    campaign = CampaignFactory(state=CampaignState.APPROVED)

    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_start(campaign_id=campaign.pk, actor=communications)
    run_batches(campaign, django_capture_on_commit_callbacks, batch_size=400)

    # 100 inside their window plus 200 others: all within a limit of 250 counted ones.
    assert OutboundMessage.objects.filter(state=OutboundState.SENT).count() == 300
    assert reach.reach_used(now=timezone.now()) == 200
    assert reach.reach_left(now=timezone.now()) == 50


def test_the_plan_spreads_what_does_not_fit_across_days(municipality):
    now = timezone.now()

    days = reach.reach_plan(outside_window=5800, now=now, limit=2000)

    assert [d.count for d in days] == [2000, 2000, 1800]
    assert [d.starts_at - now for d in days] == [
        dt.timedelta(0),
        dt.timedelta(hours=24),
        dt.timedelta(hours=48),
    ]


def test_the_limit_is_read_from_meta_where_it_says_it(municipality, fake_graph):
    fake_graph.messaging_limit = "TIER_2K"

    assert reach.messaging_limit_refresh() is True

    municipality.refresh_from_db()
    assert (municipality.messaging_limit, municipality.messaging_limit_from_provider) == (
        2000,
        True,
    )
    assert reach.messaging_limit() == 2000


def test_where_meta_does_not_say_the_configured_limit_stays(municipality, fake_graph):
    municipality.messaging_limit = 250
    municipality.save(update_fields=["messaging_limit"])

    assert reach.messaging_limit_refresh() is False

    municipality.refresh_from_db()
    assert municipality.messaging_limit == 250
