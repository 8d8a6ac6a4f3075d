"""Receivers through which a citizen leaving the list stops a broadcast that is going out."""

from django.dispatch import receiver

from subscribers.models import Subscriber
from subscribers.signals import erase_personal_data, subscriber_unsubscribed
from urp_portal.gateway.worker_life import worker_runs_recovered
from urp_portal.municipality.scope import in_each_comune_scope

from .models import Campaign
from .services import campaigns_resume_stuck, deliveries_cancel_pending
from .services.fanout import enqueue_send_batch
from .states import CampaignState


@receiver(subscriber_unsubscribed, dispatch_uid="broadcasts.subscriber_left_list")
def subscriber_left_list(sender, subscriber: Subscriber, **kwargs) -> None:
    # The batches re-check each recipient anyway; this also stops the few messages already
    # handed to the gateway and still waiting for their turn in its queue.
    deliveries_cancel_pending(subscriber_id=subscriber.pk)


@receiver(erase_personal_data, dispatch_uid="broadcasts.erase_personal_data")
def subscriber_erased(sender, subscriber: Subscriber, **kwargs) -> None:
    deliveries_cancel_pending(subscriber_id=subscriber.pk)


@receiver(worker_runs_recovered, dispatch_uid="broadcasts.worker_runs_recovered")
def campaigns_resume_after_recovery(sender, dead_runs: list[str], starting: bool, **kwargs) -> None:
    """A campaign's chain of batches may have died with a worker: at a worker's start and when
    a dead run was found, every sending campaign gets a batch now (a second chain is harmless:
    batches lock the campaign and keep to the in-flight limit); otherwise the usual check."""
    if starting or dead_runs:
        # Every comune's: each batch then runs in its campaign's comune's scope.
        for campaign_id in Campaign.all_comuni.filter(state=CampaignState.SENDING).values_list(
            "pk", flat=True
        ):
            enqueue_send_batch(campaign_id)
        return
    for _comune in in_each_comune_scope():
        campaigns_resume_stuck()
