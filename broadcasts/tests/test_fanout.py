"""Starting a campaign writes one delivery and one outbox message per recipient, and the batches
hand them to the gateway: once each, whatever goes wrong."""

import datetime as dt
import threading

import pytest
from django.db import connections
from django.db.models import F
from django.utils import timezone

from broadcasts import services
from broadcasts.models import Campaign, Delivery
from broadcasts.services import fanout
from broadcasts.states import CampaignState, DeliveryState
from subscribers.models import Subscriber
from subscribers.services import subscriber_status_change, subscriber_unsubscribe
from subscribers.states import SubscriberStatus
from urp_portal.gateway.models import OutboundMessage
from urp_portal.gateway.states import OutboundState

from .factories import CampaignFactory, subscribers_bulk

pytestmark = pytest.mark.django_db


def start(campaign, actor=None):
    return services.campaign_start(campaign_id=campaign.pk, actor=actor)


def approved(**kwargs):
    return CampaignFactory(state=CampaignState.APPROVED, **kwargs)


def test_starting_writes_one_delivery_and_one_outbox_message_per_recipient(
    municipality, communications
):
    subscribers_bulk(2000)
    Subscriber.objects.create(number="+393330000001", status=SubscriberStatus.CONTACT)
    Subscriber.objects.create(number="+393330000002", status=SubscriberStatus.BLOCKED)
    campaign = approved()

    start(campaign, actor=communications)

    campaign.refresh_from_db()
    assert campaign.state == CampaignState.SENDING
    assert campaign.recipients_count == 2000
    assert Delivery.objects.filter(campaign=campaign, state=DeliveryState.QUEUED).count() == 2000
    messages = OutboundMessage.objects.filter(delivery__campaign=campaign)
    assert messages.count() == 2000
    assert OutboundMessage.objects.count() == 2000
    # Each delivery's message goes to its own subscriber.
    assert (
        not Delivery.objects.filter(campaign=campaign)
        .exclude(subscriber__number=F("message__to"))
        .exists()
    )
    sample = messages.first()
    assert sample.purpose == "broadcast"
    assert sample.template_name == campaign.template.name
    assert sample.template_parameters == campaign.parameters
    assert sample.priority == fanout.BROADCAST_PRIORITY
    assert sample.state == OutboundState.QUEUED


def test_an_emergency_alerts_messages_have_the_highest_priority(municipality, communications):
    subscribers_bulk(3)
    alert = approved(is_emergency=True)

    start(alert, actor=communications)

    assert set(
        OutboundMessage.objects.filter(delivery__campaign=alert).values_list("priority", flat=True)
    ) == {fanout.EMERGENCY_PRIORITY}


def test_starting_twice_in_a_row_plans_once(municipality, communications):
    subscribers_bulk(50)
    campaign = approved()

    start(campaign, actor=communications)
    start(campaign, actor=communications)

    assert Delivery.objects.filter(campaign=campaign).count() == 50
    assert OutboundMessage.objects.count() == 50
    assert campaign.events.filter(to_state=CampaignState.SENDING).count() == 1


@pytest.mark.django_db(transaction=True)
def test_starting_twice_at_the_same_moment_plans_once(municipality, communications, monkeypatch):
    chains: list[int] = []
    monkeypatch.setattr(fanout, "enqueue_send_batch", lambda pk, **kwargs: chains.append(pk))
    subscribers_bulk(2000)
    campaign = approved()
    barrier = threading.Barrier(2)
    errors = []

    def click():
        try:
            barrier.wait()
            services.campaign_start(campaign_id=campaign.pk, actor=communications)
        except Exception as error:  # a thread's failure must reach the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert chains == [campaign.pk]
    assert Delivery.objects.filter(campaign=campaign).count() == 2000
    assert OutboundMessage.objects.count() == 2000
    assert campaign.events.filter(to_state=CampaignState.SENDING).count() == 1


def test_the_unique_constraint_refuses_a_second_delivery_for_a_subscriber(
    municipality, communications
):
    from django.db import IntegrityError, transaction

    subscribers_bulk(2)
    campaign = approved()
    start(campaign, actor=communications)

    with pytest.raises(IntegrityError), transaction.atomic():
        fanout.campaign_plan_deliveries(campaign=campaign)


def test_without_the_databases_foreign_keys_a_deleted_campaign_still_takes_its_deliveries(
    municipality, communications
):
    # The plan's rows carry no foreign-key constraints (their checks were a third of the
    # plan's time): Django's collector keeps the cascades.
    subscribers_bulk(3)
    campaign = approved()
    start(campaign, actor=communications)
    other = approved()
    start(other, actor=communications)

    Campaign.objects.filter(pk=campaign.pk).delete()

    assert not Delivery.objects.filter(campaign_id=campaign.pk).exists()
    assert Delivery.objects.filter(campaign=other).count() == 3


def run_batches(campaign, *, batches=None, batch_size=100):
    """Run batches as a worker would, sending each handed-off message at once."""
    done = 0
    while batches is None or done < batches:
        outcome = services.campaign_send_next_batch(campaign_id=campaign.pk, batch_size=batch_size)
        done += 1
        if outcome.next_in is None:
            return outcome
    return None


@pytest.fixture
def send_at_once(monkeypatch):
    """The gateway's send, run in-process on hand-off (its own task is covered by the gateway)."""
    from urp_portal.gateway.tasks import outbound_message_send

    sent: list[int] = []

    def hand(message_ids):
        for message_id in message_ids:
            outbound_message_send.apply(args=(message_id,))
            sent.append(message_id)

    monkeypatch.setattr(fanout, "hand_to_gateway", hand)
    # The tests drive the batches themselves: no chain of batch tasks to a broker.
    monkeypatch.setattr(fanout, "enqueue_send_batch", lambda pk, **kwargs: None)
    return sent


def test_batches_send_every_message_once_and_finish_the_campaign(
    municipality, communications, send_at_once, django_capture_on_commit_callbacks, settings
):
    settings.BROADCAST_MAX_IN_FLIGHT = 10_000
    subscribers_bulk(2000)
    campaign = approved()
    start(campaign, actor=communications)

    with django_capture_on_commit_callbacks(execute=True):
        pass
    outcome = _drain(campaign, django_capture_on_commit_callbacks)

    campaign.refresh_from_db()
    assert outcome.finished
    assert campaign.state == CampaignState.SENT
    assert len(send_at_once) == len(set(send_at_once)) == 2000
    assert OutboundMessage.objects.filter(state=OutboundState.SENT).count() == 2000
    assert campaign.finished_at is not None


def _drain(campaign, capture, *, batch_size=100, limit=1000):
    for _ in range(limit):
        with capture(execute=True):
            outcome = services.campaign_send_next_batch(
                campaign_id=campaign.pk, batch_size=batch_size
            )
        if outcome.next_in is None:
            return outcome
    raise AssertionError("the campaign never finished")


def test_a_subscriber_who_unsubscribes_mid_campaign_gets_nothing_after(
    municipality, communications, send_at_once, django_capture_on_commit_callbacks
):
    subscribers = subscribers_bulk(300)
    campaign = approved()
    start(campaign, actor=communications)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_send_next_batch(campaign_id=campaign.pk, batch_size=100)
    leaver = subscribers[250]
    early = subscribers[10]

    # "Cancellami", processed while the broadcast is going out.
    for citizen in (leaver, early):
        citizen.status = SubscriberStatus.UNSUBSCRIBED
        citizen.unsubscribed_at = timezone.now()
        citizen.save(update_fields=["status", "unsubscribed_at", "updated_at"])
    _drain(campaign, django_capture_on_commit_callbacks)

    leaver_delivery = Delivery.objects.get(campaign=campaign, subscriber=leaver)
    assert leaver_delivery.state == DeliveryState.CANCELLED
    assert leaver_delivery.message.state == OutboundState.CANCELLED
    assert leaver_delivery.message_id not in send_at_once
    # Who had it before leaving keeps it; everyone else gets it once.
    assert Delivery.objects.get(campaign=campaign, subscriber=early).message.state == "sent"
    assert len(send_at_once) == 299


@pytest.mark.parametrize("leaving", ["unsubscribe", "block"])
def test_a_subscriber_who_leaves_after_the_hand_off_but_before_the_send_gets_nothing(
    municipality, communications, django_capture_on_commit_callbacks, monkeypatch, leaving
):
    handed: list[int] = []
    monkeypatch.setattr(fanout, "hand_to_gateway", handed.extend)
    monkeypatch.setattr(fanout, "enqueue_send_batch", lambda pk, **kwargs: None)
    subscribers = subscribers_bulk(5)
    campaign = approved()
    start(campaign, actor=communications)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_send_next_batch(campaign_id=campaign.pk, batch_size=100)

    if leaving == "unsubscribe":
        subscriber_unsubscribe(subscriber=subscribers[0], municipality=municipality)
    else:
        # A block leaves the list through the subscribers' status door, which says so.
        subscriber_status_change(
            subscriber=subscribers[0], status=SubscriberStatus.BLOCKED, actor=None
        )

    message = Delivery.objects.get(campaign=campaign, subscriber=subscribers[0]).message
    assert message.pk in handed
    assert message.state == OutboundState.CANCELLED
    stays = Delivery.objects.get(campaign=campaign, subscriber=subscribers[1]).message
    assert stays.state == OutboundState.QUEUED


def test_pausing_stops_the_batches_and_resuming_finishes_the_campaign(
    municipality, communications, send_at_once, django_capture_on_commit_callbacks
):
    subscribers_bulk(500)
    campaign = approved()
    start(campaign, actor=communications)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_send_next_batch(campaign_id=campaign.pk, batch_size=100)

    services.campaign_pause(campaign_id=campaign.pk, actor=communications)
    paused_outcome = services.campaign_send_next_batch(campaign_id=campaign.pk, batch_size=100)

    assert paused_outcome.next_in is None
    assert len(send_at_once) == 100
    assert Delivery.objects.filter(campaign=campaign, state=DeliveryState.QUEUED).count() == 400

    services.campaign_resume(campaign_id=campaign.pk, actor=communications)
    _drain(campaign, django_capture_on_commit_callbacks)

    campaign.refresh_from_db()
    assert campaign.state == CampaignState.SENT
    assert len(send_at_once) == len(set(send_at_once)) == 500


def test_cancelling_a_campaign_in_progress_cancels_what_has_not_left(
    municipality, communications, send_at_once, django_capture_on_commit_callbacks
):
    subscribers_bulk(300)
    campaign = approved()
    start(campaign, actor=communications)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_send_next_batch(campaign_id=campaign.pk, batch_size=100)

    services.campaign_cancel(campaign_id=campaign.pk, actor=communications)

    assert services.campaign_send_next_batch(campaign_id=campaign.pk).next_in is None
    assert OutboundMessage.objects.filter(state=OutboundState.SENT).count() == 100
    assert OutboundMessage.objects.filter(state=OutboundState.CANCELLED).count() == 200


def test_a_normal_campaign_gives_way_while_an_emergency_alert_is_sending(
    municipality, communications, monkeypatch
):
    monkeypatch.setattr(fanout, "hand_to_gateway", lambda ids: None)
    subscribers_bulk(20)
    news, alert = approved(), approved(is_emergency=True)
    start(news, actor=communications)
    start(alert, actor=communications)

    news_outcome = services.campaign_send_next_batch(campaign_id=news.pk)
    alert_outcome = services.campaign_send_next_batch(campaign_id=alert.pk)

    assert news_outcome.handed_off == 0
    assert news_outcome.next_in is not None
    assert alert_outcome.handed_off == 20


def three_batches_of_100_nothing_sent(communications, monkeypatch) -> list:
    """Start a campaign to 400 and take three batches of 100 while the gateway sends nothing."""
    monkeypatch.setattr(fanout, "hand_to_gateway", lambda ids: None)
    subscribers_bulk(400)
    campaign = approved()
    start(campaign, actor=communications)
    return [
        services.campaign_send_next_batch(campaign_id=campaign.pk, batch_size=100) for _ in range(3)
    ]


def test_no_more_than_the_in_flight_limit_waits_at_the_gateway(
    municipality, communications, monkeypatch, settings
):
    settings.BROADCAST_MAX_IN_FLIGHT = 150

    outcomes = three_batches_of_100_nothing_sent(communications, monkeypatch)

    assert [o.handed_off for o in outcomes] == [100, 50, 0]
    assert all(o.next_in is not None for o in outcomes)


def test_the_next_batch_is_due_when_the_gateway_is_down_to_its_last_batch(
    municipality, communications, monkeypatch, settings
):
    settings.WHATSAPP_RATE_PER_SECOND = 80
    settings.BROADCAST_MAX_IN_FLIGHT = 300

    outcomes = three_batches_of_100_nothing_sent(communications, monkeypatch)

    # The gateway holds 100, then 200, then 300 messages; the next batch is due once all but
    # the last 100 have gone at 80 a second.
    assert [o.handed_off for o in outcomes] == [100, 100, 100]
    assert [o.next_in for o in outcomes] == [0.0, 1.25, 2.5]


def test_a_campaign_whose_worker_died_is_resumed_and_lost_sends_are_handed_again(
    municipality, communications, monkeypatch
):
    handed: list[list[int]] = []
    monkeypatch.setattr(fanout, "hand_to_gateway", lambda ids: handed.append(list(ids)))
    enqueued: list[int] = []
    monkeypatch.setattr(fanout, "enqueue_send_batch", lambda pk, **kw: enqueued.append(pk))
    subscribers_bulk(150)
    campaign = approved()
    start(campaign, actor=communications)
    services.campaign_send_next_batch(campaign_id=campaign.pk, batch_size=100)
    # The worker died here: nothing was sent and no batch follows.
    later = timezone.now() + dt.timedelta(minutes=15)

    resumed = services.campaigns_resume_stuck(now=later)

    assert resumed == [campaign.pk]
    assert enqueued == [campaign.pk]
    assert len(handed) == 1
    assert len(handed[0]) == 100


def test_one_failed_send_does_not_stop_the_others(
    municipality, communications, send_at_once, django_capture_on_commit_callbacks, fake_graph
):
    subscribers = subscribers_bulk(10)
    broken_number = subscribers[3].number
    # WhatsApp refuses this one recipient for good (131026: not a WhatsApp user).
    fake_graph.fail_always_to(broken_number, status=400, code=131026)
    campaign = approved()
    start(campaign, actor=communications)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.campaign_send_next_batch(campaign_id=campaign.pk, batch_size=100)

    assert outcome.handed_off == 10
    assert OutboundMessage.objects.filter(state=OutboundState.SENT).count() == 9


def test_the_in_flight_count_starts_at_the_lowest_delivery_still_at_the_gateway(
    municipality, communications, monkeypatch, settings
):
    settings.BROADCAST_MAX_IN_FLIGHT = 10_000
    outcomes = three_batches_of_100_nothing_sent(communications, monkeypatch)
    campaign = Campaign.objects.get()
    ids = list(
        Delivery.objects.filter(campaign=campaign).order_by("id").values_list("id", "message_id")
    )
    assert [o.handed_off for o in outcomes] == [100, 100, 100]
    assert campaign.in_flight_from == ids[0][0]

    # The first batch's messages left: the next count starts at the second batch, and the
    # fourth batch goes.
    OutboundMessage.objects.filter(pk__in=[m for _d, m in ids[:100]]).update(state="sent")
    outcome = services.campaign_send_next_batch(campaign_id=campaign.pk, batch_size=100)

    campaign.refresh_from_db()
    assert campaign.in_flight_from == ids[100][0]
    assert outcome.handed_off == 100
    assert fanout._in_flight(campaign, timezone.now()) == 300

    # A message below the mark put back in the queue (an operator's retry) still holds the
    # campaign open: the last check counts them all.
    OutboundMessage.objects.filter(pk__in=[m for _d, m in ids[100:]]).update(state="sent")
    OutboundMessage.objects.filter(pk=ids[0][1]).update(state="queued")
    assert not services.campaign_send_next_batch(campaign_id=campaign.pk).finished
    OutboundMessage.objects.filter(pk=ids[0][1]).update(state="sent")
    assert services.campaign_send_next_batch(campaign_id=campaign.pk).finished
