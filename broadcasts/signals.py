"""Receivers through which a citizen leaving the list stops a broadcast that is going out."""

from django.dispatch import receiver

from subscribers.models import Subscriber
from subscribers.signals import erase_personal_data, subscriber_unsubscribed

from .services import deliveries_cancel_pending


@receiver(subscriber_unsubscribed, dispatch_uid="broadcasts.subscriber_left_list")
def subscriber_left_list(sender, subscriber: Subscriber, **kwargs) -> None:
    # The batches re-check each recipient anyway; this also stops the few messages already
    # handed to the gateway and still waiting for their turn in its queue.
    deliveries_cancel_pending(subscriber_id=subscriber.pk)


@receiver(erase_personal_data, dispatch_uid="broadcasts.erase_personal_data")
def subscriber_erased(sender, subscriber: Subscriber, **kwargs) -> None:
    deliveries_cancel_pending(subscriber_id=subscriber.pk)
