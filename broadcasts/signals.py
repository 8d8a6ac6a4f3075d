"""Receivers through which a citizen leaving the list stops a broadcast that is going out."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from subscribers.models import Subscriber
from subscribers.signals import erase_personal_data
from subscribers.states import SubscriberStatus

from .services import deliveries_cancel_pending


@receiver(post_save, sender=Subscriber, dispatch_uid="broadcasts.subscriber_left_list")
def subscriber_left_list(
    sender, instance: Subscriber, created: bool = False, update_fields=None, **kwargs
) -> None:
    # The batches re-check each recipient anyway; this also stops the few messages already
    # handed to the gateway and still waiting for their turn in its queue.
    if created or (update_fields is not None and "status" not in update_fields):
        return
    if instance.status != SubscriberStatus.SUBSCRIBED:
        deliveries_cancel_pending(subscriber_id=instance.pk)


@receiver(erase_personal_data, dispatch_uid="broadcasts.erase_personal_data")
def subscriber_erased(sender, subscriber: Subscriber, **kwargs) -> None:
    deliveries_cancel_pending(subscriber_id=subscriber.pk)
