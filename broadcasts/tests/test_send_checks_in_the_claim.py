"""The last-moment check (gateway/services/send_checks.py) riding on the send's claim, the fast
path, ends where the plain path ends (claim, check in Python, cancel): a recipient who left is
stopped with the check's reason, everyone else gets the message once; with one statement less
per message."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from broadcasts import services
from broadcasts.models import Delivery
from broadcasts.services import fanout
from broadcasts.states import CampaignState
from subscribers.models import Subscriber
from subscribers.states import SubscriberStatus
from urp_portal.gateway.services import outbox_batch
from urp_portal.gateway.states import OutboundState

from .factories import CampaignFactory, subscribers_bulk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_recipient_pace(settings):
    # Sent in the batch itself, not deferred to keep a recipient's pace.
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 0


@pytest.fixture(params=[True, False], ids=["fast", "plain"])
def path(request, settings):
    settings.URP_DATABASE_FAST_PATHS = request.param
    return request.param


def handed_batch(monkeypatch, django_capture_on_commit_callbacks, communications) -> list[int]:
    """A started campaign's first batch, handed off and not sent yet: its message ids."""
    handed: list[int] = []
    monkeypatch.setattr(fanout, "hand_to_gateway", handed.extend)
    monkeypatch.setattr(fanout, "enqueue_send_batch", lambda pk, **kwargs: None)
    campaign = CampaignFactory(state=CampaignState.APPROVED)
    services.campaign_start(campaign_id=campaign.pk, actor=communications)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_send_next_batch(campaign_id=campaign.pk, batch_size=100)
    return handed


def test_a_recipient_who_left_after_the_hand_off_is_stopped_at_the_claim_on_either_path(
    path, municipality, communications, fake_graph, monkeypatch, django_capture_on_commit_callbacks
):
    subscribers = subscribers_bulk(4)
    handed = handed_batch(monkeypatch, django_capture_on_commit_callbacks, communications)
    # Left by writes that cancel nothing (statuses set behind the services' back): only the
    # last-moment check stands between them and the message.
    Subscriber.objects.filter(pk=subscribers[0].pk).update(status=SubscriberStatus.UNSUBSCRIBED)
    Subscriber.objects.filter(pk=subscribers[1].pk).update(
        status=SubscriberStatus.ANONYMISED, number=None
    )

    outbox_batch.outbound_messages_send_batch(message_ids=handed)

    ends = {
        d.subscriber_id: (d.message.state, d.message.error_message)
        for d in Delivery.objects.select_related("message")
    }
    for left in subscribers[:2]:
        state, reason = ends[left.pk]
        assert state == OutboundState.CANCELLED
        assert "lasciato la lista" in reason
    assert [ends[s.pk][0] for s in subscribers[2:]] == [OutboundState.SENT] * 2
    sent_to = sorted(r.to for r in fake_graph.sent_messages())
    assert sent_to == sorted(s.number for s in subscribers[2:])


def test_the_fast_path_sends_with_one_statement_less_per_message(
    municipality, communications, fake_graph, monkeypatch, settings,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    subscribers_bulk(6)
    statements = {}
    for fast in (True, False):
        settings.URP_DATABASE_FAST_PATHS = fast
        Delivery.objects.all().delete()
        handed = handed_batch(monkeypatch, django_capture_on_commit_callbacks, communications)
        with CaptureQueriesContext(connection) as queries:
            outbox_batch.outbound_messages_send_batch(message_ids=handed)
        statements[fast] = len(queries)

    assert statements[True] == statements[False] - 6
