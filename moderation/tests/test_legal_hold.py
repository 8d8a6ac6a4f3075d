"""Legal hold: a citizen under an open moderation case is not erased until it is closed."""

import datetime as dt

import pytest
import time_machine

from moderation import services
from moderation.models import ScreeningFlag
from subscribers.models import DataSubjectRequest, Subscriber
from subscribers.services import subscriber_erase, subscribers_erase_expired
from subscribers.states import ConsentChannel, DataSubjectRequestOutcome, SubscriberStatus
from tickets.models import Message
from urp_portal.municipality.errors import UserError

from .conftest import CITIZEN, OFFICE_HOURS

pytestmark = pytest.mark.django_db


def _erase(subscriber):
    return subscriber_erase(
        subscriber=subscriber, reason="Prot. 12/2026", channel=ConsentChannel.ADMIN, actor="dpo"
    )


def test_erasure_of_a_citizen_under_a_legal_hold_waits_and_says_why(insult):
    subscriber = Subscriber.objects.get(number=CITIZEN)
    case = insult.moderation_flag.case

    result = _erase(subscriber)

    assert not result.erased
    assert result.reasons == [f"In attesa: caso di moderazione n. {case.pk} aperto il 03/03/2026."]
    audit = DataSubjectRequest.objects.get()
    assert audit.outcome == DataSubjectRequestOutcome.POSTPONED
    assert audit.details == {"reasons": result.reasons}
    insult.refresh_from_db()
    assert "coglioni" in insult.text


def test_the_retention_purge_skips_a_citizen_under_a_legal_hold(insult, municipality):
    Subscriber.objects.filter(number=CITIZEN).update(
        status=SubscriberStatus.UNSUBSCRIBED, unsubscribed_at=OFFICE_HOURS
    )

    with time_machine.travel(OFFICE_HOURS + dt.timedelta(days=400), tick=False):
        erased = subscribers_erase_expired(municipality=municipality)

    assert erased == 0
    assert Subscriber.objects.filter(number=CITIZEN).exists()


def test_once_the_case_is_closed_the_erasure_goes_through_and_takes_the_quotes(insult, moderator):
    subscriber = Subscriber.objects.get(number=CITIZEN)
    flag = insult.moderation_flag
    services.message_remove(inbound=insult, actor=moderator, categories=["offensive"])

    services.case_close(case=flag.case, actor=moderator, categories=["offensive"])
    result = _erase(subscriber)

    assert result.erased
    flag = ScreeningFlag.objects.get(pk=flag.pk)
    assert flag.reasons == [{"rule": "lexicon", "category": "offensive"}]
    assert Message.objects.get(inbound=insult).moderation_note == ""


def test_a_case_with_messages_still_in_the_queue_cannot_be_closed(insult, moderator):
    with pytest.raises(UserError):
        services.case_close(
            case=insult.moderation_flag.case, actor=moderator, categories=["offensive"]
        )
