"""`subscriber_status_change`: the one door of a citizen's status, used by moderation and the
erasure as by this app."""

import pytest

from subscribers.models import Subscriber
from subscribers.services import subscriber_status_change
from subscribers.states import SubscriberStatus, SubscriberTransitionError
from urp_portal.audit.models import AuditEvent
from urp_portal.audit.states import AuditAction

from .factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def test_a_status_change_is_saved_and_recorded_with_who_from_to_and_why():
    subscriber = SubscriberFactory(subscribed=True)

    subscriber_status_change(
        subscriber=subscriber, status=SubscriberStatus.BLOCKED, actor="moderatore", reason="block"
    )

    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.BLOCKED
    event = AuditEvent.objects.get(action=AuditAction.STATE_CHANGED)
    assert event.actor_label == "moderatore"
    assert event.target_id == str(subscriber.pk)
    assert event.details == {"from": "subscribed", "to": "blocked", "reason": "block"}


def test_a_move_the_table_forbids_changes_nothing():
    subscriber = SubscriberFactory(status=SubscriberStatus.ANONYMISED, number=None, pseudonym="p")

    with pytest.raises(SubscriberTransitionError):
        subscriber_status_change(
            subscriber=subscriber, status=SubscriberStatus.SUBSCRIBED, actor=None
        )

    assert Subscriber.objects.get(pk=subscriber.pk).status == SubscriberStatus.ANONYMISED
    assert not AuditEvent.objects.filter(action=AuditAction.STATE_CHANGED).exists()


def test_the_status_is_checked_as_stored_not_as_a_stale_instance_says():
    subscriber = SubscriberFactory(subscribed=True)
    Subscriber.objects.filter(pk=subscriber.pk).update(
        status=SubscriberStatus.ANONYMISED, number=None
    )

    with pytest.raises(SubscriberTransitionError):
        subscriber_status_change(
            subscriber=subscriber, status=SubscriberStatus.UNSUBSCRIBED, actor=None
        )

    assert Subscriber.objects.get(pk=subscriber.pk).status == SubscriberStatus.ANONYMISED


def test_fields_the_caller_changed_are_saved_with_the_status():
    subscriber = SubscriberFactory()
    subscriber.profile_name = ""

    subscriber_status_change(
        subscriber=subscriber,
        status=SubscriberStatus.SUBSCRIBED,
        actor=None,
        fields=["profile_name"],
    )

    stored = Subscriber.objects.get(pk=subscriber.pk)
    assert (stored.status, stored.profile_name) == (SubscriberStatus.SUBSCRIBED, "")


def test_joining_and_leaving_the_list_by_whatsapp_go_through_the_door(whatsapp, municipality):
    municipality.unsubscribed_data_retention_days = 30
    municipality.save()
    citizen = whatsapp.citizen("+393471110001", name="Rita")

    citizen.says("Iscrivimi")
    citizen.says("Cancellami")

    changes = AuditEvent.objects.filter(action=AuditAction.STATE_CHANGED).order_by("pk")
    assert [event.details for event in changes] == [
        {"from": "contact", "to": "subscribed", "reason": "opt_in"},
        {"from": "subscribed", "to": "unsubscribed", "reason": "opt_out"},
    ]
    stored = Subscriber.objects.get(number="+393471110001")
    assert stored.status == SubscriberStatus.UNSUBSCRIBED
    assert stored.subscribed_at is not None and stored.unsubscribed_at is not None
