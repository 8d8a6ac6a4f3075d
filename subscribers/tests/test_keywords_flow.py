import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from broadcasts.selectors import audience_recipients
from broadcasts.states import Audience
from tests.fixtures.conversation import outbox, receive, texts

from ..models import Subscriber
from ..signals import subscriber_unsubscribed
from ..states import ConsentKind, SubscriberStatus
from ..tasks import subscribers_erase_expired_task

CITIZEN = "+393471234567"


@pytest.mark.parametrize("word", ["Iscrivimi", "iscrivimi!", " ISCRIVIMI 🙏", "Iscrìvimi."])
def test_subscribe_sends_welcome_then_privacy_notice_and_records_consent(municipality, word):
    message = receive(CITIZEN, word)

    subscriber = Subscriber.objects.get(number=CITIZEN)
    assert subscriber.status == SubscriberStatus.SUBSCRIBED
    assert message.handled_by == "subscribers.inbound.keywords"
    assert texts(CITIZEN) == [municipality.welcome_text, municipality.privacy_notice_text]
    assert [m.purpose for m in outbox(CITIZEN)] == ["welcome", "privacy_notice"]
    records = list(subscriber.consent_records.order_by("pk"))
    assert [r.kind for r in records] == [
        ConsentKind.NOTICE_ACKNOWLEDGED,
        ConsentKind.BROADCAST_OPT_IN,
    ]
    assert all(r.notice_version == municipality.privacy_notice_version for r in records)
    assert all(r.inbound_message_id == message.pk and r.inbound_text == word for r in records)
    assert all(r.pseudonym == subscriber.pseudonym and CITIZEN not in r.pseudonym for r in records)


def test_unsubscribe_confirms_and_stops_broadcasts_at_once(keeping_data):
    receive(CITIZEN, "Iscrivimi")
    subscriber = Subscriber.objects.get(number=CITIZEN)
    assert audience_recipients(audience=Audience.ALL_SUBSCRIBED).filter(pk=subscriber.pk).exists()
    heard = []
    subscriber_unsubscribed.connect(
        lambda sender, subscriber, **kw: heard.append(subscriber.pk), weak=False, dispatch_uid="t"
    )

    try:
        receive(CITIZEN, "Cancellami!")
    finally:
        subscriber_unsubscribed.disconnect(dispatch_uid="t")

    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED
    assert (
        not audience_recipients(audience=Audience.ALL_SUBSCRIBED).filter(pk=subscriber.pk).exists()
    )
    assert heard == [subscriber.pk]
    assert texts(CITIZEN)[-1] == keeping_data.unsubscribed_text
    assert subscriber.consent_records.order_by("pk").last().kind == ConsentKind.BROADCAST_OPT_OUT
    # The comune keeps the data for 30 days: nothing is erased yet.
    assert subscriber.number == CITIZEN


# Monday morning, office hours: no out-of-hours reply in the way.
@time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Rome")))
def test_a_message_that_is_not_a_keyword_goes_on_to_the_next_steps(municipality):
    message = receive(CITIZEN, "Vorrei iscrivimi alla mensa scolastica")

    assert message.handled_by == ""
    # Only Cagliari's privacy notice at first contact (issue #22): no keyword answer.
    assert texts(CITIZEN) == [municipality.privacy_notice_text]
    assert Subscriber.objects.get(number=CITIZEN).status == SubscriberStatus.CONTACT


def test_retention_task_erases_leavers_only_after_the_comune_s_period(keeping_data):
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        receive(CITIZEN, "Iscrivimi")
        receive(CITIZEN, "Cancellami")
    subscriber = Subscriber.objects.get(number=CITIZEN)

    with time_machine.travel(dt.datetime(2026, 3, 31, 10, 0, tzinfo=dt.UTC), tick=False):
        assert subscribers_erase_expired_task() == 0
    with time_machine.travel(dt.datetime(2026, 4, 1, 10, 1, tzinfo=dt.UTC), tick=False):
        assert subscribers_erase_expired_task() == 1
        assert subscribers_erase_expired_task() == 0

    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.ANONYMISED
    assert subscriber.anonymised_at == timezone.make_aware(dt.datetime(2026, 4, 1, 12, 1))


def test_resubscribing_within_the_retention_period_keeps_the_citizen(keeping_data):
    receive(CITIZEN, "Iscrivimi")
    receive(CITIZEN, "Cancellami")

    receive(CITIZEN, "Iscrivimi")

    subscriber = Subscriber.objects.get(number=CITIZEN)
    assert subscriber.status == SubscriberStatus.SUBSCRIBED
    assert subscriber.unsubscribed_at is None
    assert subscribers_erase_expired_task() == 0


def test_san_giuliano_does_not_take_iscrivimi_as_its_keyword(comune):
    comune("san_giuliano")

    receive(CITIZEN, "Iscrivimi")

    assert Subscriber.objects.get(number=CITIZEN).status == SubscriberStatus.CONTACT
