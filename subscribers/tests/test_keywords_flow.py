import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from urp_portal.gateway.states import OutboundState

from ..models import ConsentRecord, Subscriber
from ..selectors import subscriber_is_broadcast_recipient
from ..signals import subscriber_unsubscribed
from ..states import ConsentKind, SubscriberStatus
from ..tasks import subscribers_erase_expired
from .conversation import outbox, receive, texts

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


def test_subscribing_twice_says_so_kindly_and_records_nothing_new(municipality):
    receive(CITIZEN, "Iscrivimi")
    records_before = ConsentRecord.objects.count()

    receive(CITIZEN, "iscrivimi")

    assert texts(CITIZEN)[-1] == municipality.already_subscribed_text
    assert len(outbox(CITIZEN)) == 3
    assert ConsentRecord.objects.count() == records_before


def test_unsubscribe_confirms_and_stops_broadcasts_at_once(keeping_data):
    receive(CITIZEN, "Iscrivimi")
    subscriber = Subscriber.objects.get(number=CITIZEN)
    assert subscriber_is_broadcast_recipient(subscriber_id=subscriber.pk)
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
    assert not subscriber_is_broadcast_recipient(subscriber_id=subscriber.pk)
    assert heard == [subscriber.pk]
    assert texts(CITIZEN)[-1] == keeping_data.unsubscribed_text
    assert subscriber.consent_records.order_by("pk").last().kind == ConsentKind.BROADCAST_OPT_OUT
    # The comune keeps the data for 30 days: nothing is erased yet.
    assert subscriber.number == CITIZEN


def test_unsubscribe_when_not_subscribed_says_so(municipality):
    receive(CITIZEN, "Cancellami")

    subscriber = Subscriber.objects.get(number=CITIZEN)
    assert subscriber.status == SubscriberStatus.CONTACT
    assert texts(CITIZEN) == [municipality.not_subscribed_text]
    assert not subscriber.consent_records.exists()


# Monday morning, office hours: no out-of-hours reply in the way.
@time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Rome")))
def test_a_message_that_is_not_a_keyword_goes_on_to_the_next_steps(municipality):
    message = receive(CITIZEN, "Vorrei iscrivimi alla mensa scolastica")

    assert message.handled_by == ""
    assert texts(CITIZEN) == []
    assert Subscriber.objects.get(number=CITIZEN).status == SubscriberStatus.CONTACT


def test_unsubscribe_with_no_retention_erases_at_once_but_the_confirmation_still_goes(municipality):
    receive(CITIZEN, "Iscrivimi", profile_name="Eufrasia")

    receive(CITIZEN, "Cancellami")

    subscriber = Subscriber.objects.get(subscribed_at__isnull=False)
    assert subscriber.status == SubscriberStatus.ANONYMISED
    assert subscriber.number is None and subscriber.profile_name == ""
    confirmation = outbox(CITIZEN)[-1]
    assert confirmation.text == municipality.unsubscribed_text
    assert confirmation.state == OutboundState.QUEUED
    # The welcome, sent before, no longer names the number.
    assert len(outbox(CITIZEN)) == 1
    kinds = list(subscriber.consent_records.order_by("pk").values_list("kind", flat=True))
    assert kinds[-2:] == [ConsentKind.BROADCAST_OPT_OUT, ConsentKind.ERASURE]


def test_a_number_that_subscribes_again_after_erasure_starts_a_linked_history(municipality):
    receive(CITIZEN, "Iscrivimi")
    receive(CITIZEN, "Cancellami")
    erased = Subscriber.objects.get(status=SubscriberStatus.ANONYMISED)

    receive(CITIZEN, "Iscrivimi")

    fresh = Subscriber.objects.get(number=CITIZEN)
    assert fresh.pk != erased.pk
    assert fresh.previous == erased
    assert fresh.pseudonym == erased.pseudonym
    assert [r.kind for r in fresh.consent_records.order_by("pk")] == [
        ConsentKind.NOTICE_ACKNOWLEDGED,
        ConsentKind.BROADCAST_OPT_IN,
    ]
    assert ConsentRecord.objects.filter(pseudonym=fresh.pseudonym).count() == 6


def test_retention_task_erases_leavers_only_after_the_comune_s_period(keeping_data):
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        receive(CITIZEN, "Iscrivimi")
        receive(CITIZEN, "Cancellami")
    subscriber = Subscriber.objects.get(number=CITIZEN)

    with time_machine.travel(dt.datetime(2026, 3, 31, 10, 0, tzinfo=dt.UTC), tick=False):
        assert subscribers_erase_expired() == 0
    with time_machine.travel(dt.datetime(2026, 4, 1, 10, 1, tzinfo=dt.UTC), tick=False):
        assert subscribers_erase_expired() == 1
        assert subscribers_erase_expired() == 0

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
    assert subscribers_erase_expired() == 0


@pytest.mark.parametrize(
    ("slug", "subscribe", "unsubscribe"),
    [
        ("cagliari", "Iscrivimi", "Cancellami"),
        ("assemini", "Iscrivimi", "Cancellami"),
        ("ancona", "Iscrivimi", "Cancellami"),
        ("san_giuliano", "ATTIVA", "DISATTIVA"),
    ],
)
def test_each_preset_answers_its_own_words_with_its_own_texts(comune, slug, subscribe, unsubscribe):
    config = comune(slug)

    receive(CITIZEN, subscribe.lower() + "!")
    receive(CITIZEN, subscribe)
    said_before_leaving = texts(CITIZEN)
    receive(CITIZEN, unsubscribe)

    assert said_before_leaving == [
        config.welcome_text,
        config.privacy_notice_text,
        config.already_subscribed_text,
    ]
    assert texts(CITIZEN) == [config.unsubscribed_text]


def test_ancona_welcome_announces_the_notice_that_follows_it(comune):
    comune("ancona")

    receive(CITIZEN, "Iscrivimi")

    welcome, notice = texts(CITIZEN)
    assert "informativa sul trattamento dei dati personali" in welcome
    assert notice.startswith("INFORMATIVA SUL TRATTAMENTO DEI DATI PERSONALI")
    assert "Comune di Ancona" in notice


def test_san_giuliano_does_not_take_iscrivimi_as_its_keyword(comune):
    comune("san_giuliano")

    receive(CITIZEN, "Iscrivimi")

    assert Subscriber.objects.get(number=CITIZEN).status == SubscriberStatus.CONTACT
