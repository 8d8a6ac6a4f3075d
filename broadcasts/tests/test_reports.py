"""Per-campaign counts in one query, the time to reach the recipients, the admin's report and
CSV, and the dashboard's numbers."""

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from broadcasts import selectors, services
from broadcasts.models import Delivery
from broadcasts.states import CampaignState
from subscribers.states import SubscriberStatus
from subscribers.tests.factories import SubscriberFactory
from urp_portal.gateway.models import OutboundMessage
from urp_portal.gateway.states import OutboundState

from .factories import CampaignFactory, subscribers_bulk

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(municipality, communications):
    subscribers_bulk(10)
    campaign = CampaignFactory(state=CampaignState.APPROVED)
    services.campaign_start(campaign_id=campaign.pk, actor=communications)
    campaign.refresh_from_db()
    messages = list(OutboundMessage.objects.filter(delivery__campaign=campaign).order_by("pk"))
    t0 = campaign.started_at

    def mark(index, state, seconds, code=""):
        message = messages[index]
        message.state = state
        message.sent_at = t0 + dt.timedelta(seconds=seconds)
        message.error_code = code
        message.save()

    for i in range(4):
        mark(i, OutboundState.SENT, 10 + i)
    mark(4, OutboundState.DELIVERED, 20)
    mark(5, OutboundState.READ, 30)
    mark(6, OutboundState.FAILED, 5, code="131026")
    mark(7, OutboundState.FAILED, 6, code="131026")
    mark(8, OutboundState.CANCELLED, 0)
    return campaign


def test_counts_come_from_one_query_and_the_errors_from_one_more(
    started, django_assert_num_queries
):
    with django_assert_num_queries(1):
        counts = selectors.campaign_counts(campaign=started)
    with django_assert_num_queries(1 if connection.vendor == "sqlite" else 2):
        with_errors = selectors.campaign_counts(campaign=started, errors=True)

    assert counts.as_dict() == {
        "recipients": 9,
        "queued": 1,
        "sent": 4,
        "delivered": 1,
        "read": 1,
        "failed": 2,
    }
    assert with_errors.as_dict() == counts.as_dict()
    assert with_errors.failed_by_error == {"131026": 2}
    assert counts.cancelled == 1


def test_milestones_say_when_half_and_most_recipients_were_reached(started):
    counts = selectors.campaign_counts(campaign=started)

    milestones = selectors.campaign_milestones(campaign=started, counts=counts)

    # 9 recipients: the 5th reached (50%) at 20 s; 90% (9) and 100% not reached yet.
    assert milestones == {50: dt.timedelta(seconds=20), 90: None, 100: None}


def test_the_report_page_shows_progress_and_chart_in_few_queries(
    started, admin_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(15):
        response = admin_client.get(reverse("admin:broadcasts_campaign_report", args=[started.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="progressbar"' in html
    assert "<polyline" in html
    assert "131026" in html


def test_the_csv_export_has_one_row_per_delivery(started, admin_client):
    response = admin_client.get(reverse("admin:broadcasts_campaign_report_csv", args=[started.pk]))

    lines = b"".join(response.streaming_content).decode().lstrip("\ufeff").splitlines()
    assert lines[0].startswith("numero,")
    assert len(lines) == 1 + Delivery.objects.filter(campaign=started).count()
    assert any("131026" in line for line in lines)


def test_the_campaign_list_page_is_one_query_per_page(
    started, admin_client, django_assert_max_num_queries
):
    CampaignFactory.create_batch(5)

    with django_assert_max_num_queries(10):
        response = admin_client.get(reverse("admin:broadcasts_campaign_changelist"))

    assert response.status_code == 200


def test_subscriber_growth_counts_back_from_todays_list():
    today = timezone.localdate()
    now = timezone.now()
    SubscriberFactory.create_batch(3, subscribed=True, subscribed_at=now)
    SubscriberFactory(subscribed=True, subscribed_at=now - dt.timedelta(days=2))
    SubscriberFactory(
        status=SubscriberStatus.UNSUBSCRIBED,
        subscribed_at=now - dt.timedelta(days=5),
        unsubscribed_at=now,
    )

    growth = selectors.subscriber_growth(days=7, today=today)

    assert [p.total for p in growth] == [0, 1, 1, 1, 2, 2, 4]
    assert growth[-1].subscribed == 3
    assert growth[-1].unsubscribed == 1


def test_reach_over_time_counts_recipients_reached_and_read(started):
    points = selectors.broadcast_reach(days=7)

    assert len(points) == 1
    assert (points[0].campaigns, points[0].recipients, points[0].reached, points[0].read) == (
        1,
        9,
        6,
        1,
    )
