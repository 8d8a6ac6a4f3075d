"""Issue #4: "Cancellami" stops every broadcast from that moment, one already being sent too,
through the real doors: the citizens subscribe and leave by signed webhook, the campaign's
batches send through the `meta` adapter, the fake Graph API says who received what."""

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from broadcasts import services
from broadcasts.services import fanout
from broadcasts.states import CampaignState
from broadcasts.tests.factories import CampaignFactory
from subscribers.models import Subscriber
from subscribers.states import SubscriberStatus
from tests.fixtures.conversation import WhatsApp
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory

# A Tuesday morning: no quiet hours, no out-of-hours answers.
MORNING = dt.datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Europe/Rome"))


@time_machine.travel(MORNING, tick=False)
def test_cancellami_during_a_broadcast_stops_it_for_that_citizen_alone(
    whatsapp: WhatsApp, municipality, django_capture_on_commit_callbacks, monkeypatch
):
    # Eager tasks ignore countdowns: the batches would chain to the end at once. The test
    # runs them one by one instead, with a citizen leaving in between.
    monkeypatch.setattr(fanout, "enqueue_send_batch", lambda campaign_id, **kwargs: None)
    citizens = [whatsapp.citizen(f"+39347000{index:04d}") for index in range(6)]
    for citizen in citizens:
        citizen.says("Iscrivimi")
    campaign = CampaignFactory(state=CampaignState.APPROVED)
    broadcast = f"[modello {campaign.template.name}]"
    services.campaign_start(campaign_id=campaign.pk, actor=UserFactory(roles=[Role.COMMUNICATIONS]))
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_send_next_batch(campaign_id=campaign.pk, batch_size=3)
    waiting = [c for c in citizens if broadcast not in c.received]
    assert len(waiting) == 3
    leaver = waiting[0]

    answer = leaver.says("Cancellami")
    for _ in range(10):
        with django_capture_on_commit_callbacks(execute=True):
            outcome = services.campaign_send_next_batch(campaign_id=campaign.pk, batch_size=3)
        if outcome.next_in is None:
            break

    assert answer == [municipality.unsubscribed_text]
    assert broadcast not in leaver.received
    assert [c.received.count(broadcast) for c in citizens if c is not leaver] == [1] * 5
    assert Subscriber.objects.filter(status=SubscriberStatus.SUBSCRIBED).count() == 5
