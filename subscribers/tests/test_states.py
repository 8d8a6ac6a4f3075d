import pytest

from ..states import (
    SUBSCRIBER_TRANSITIONS,
    SubscriberStatus,
    SubscriberTransitionError,
    subscriber_transition_check,
)

# The statuses from which moderation may block a citizen (moderation.Block.previous_status).
BLOCKABLE = [s for s in SubscriberStatus if SubscriberStatus.BLOCKED in SUBSCRIBER_TRANSITIONS[s]]


def test_every_status_has_its_row_in_the_table():
    assert set(SUBSCRIBER_TRANSITIONS) == set(SubscriberStatus)


@pytest.mark.parametrize("previous", BLOCKABLE)
def test_an_unblock_may_give_back_whatever_status_the_citizen_had_when_blocked(previous):
    subscriber_transition_check(previous, SubscriberStatus.BLOCKED)

    subscriber_transition_check(SubscriberStatus.BLOCKED, previous)


def test_subscribed_unsubscribed_and_contact_may_all_be_blocked():
    assert set(BLOCKABLE) == {
        SubscriberStatus.CONTACT,
        SubscriberStatus.SUBSCRIBED,
        SubscriberStatus.UNSUBSCRIBED,
    }


@pytest.mark.parametrize("new", list(SubscriberStatus))
def test_nothing_comes_after_anonymisation(new):
    with pytest.raises(SubscriberTransitionError, match="anonymised"):
        subscriber_transition_check(SubscriberStatus.ANONYMISED, new)


def test_a_contact_cannot_leave_a_list_it_never_joined():
    with pytest.raises(SubscriberTransitionError):
        subscriber_transition_check(SubscriberStatus.CONTACT, SubscriberStatus.UNSUBSCRIBED)
