"""Thin tasks: take ids, call one service. Each is safe to run twice."""

from celery import shared_task

from urp_portal.gateway.tasks import RETRY_ON_DATABASE_ERRORS

from .services import (
    broadcast_slots_warn_empty,
    campaign_counts_compact,
    campaign_send_next_batch,
    campaign_start_due,
    campaigns_due,
    campaigns_resume_stuck,
    template_sync_statuses,
)


@shared_task(**RETRY_ON_DATABASE_ERRORS)
def campaign_start_task(campaign_id: int) -> None:
    # A campaign already sending (a second click, a second beat) is left as it is.
    campaign_start_due(campaign_id=campaign_id)


@shared_task(**RETRY_ON_DATABASE_ERRORS)
def campaign_send_batch(campaign_id: int) -> None:
    """Hand the next batch to the gateway; the service enqueues the next one after commit."""
    campaign_send_next_batch(campaign_id=campaign_id)


@shared_task
def campaigns_start_due_task() -> None:
    for campaign_id in campaigns_due():
        campaign_start_task.delay(campaign_id)


@shared_task
def campaigns_resume_stuck_task() -> None:
    campaigns_resume_stuck()


@shared_task
def broadcast_slots_warn_empty_task() -> None:
    broadcast_slots_warn_empty()


@shared_task
def message_templates_sync_task() -> None:
    template_sync_statuses()


@shared_task
def campaign_counts_compact_task() -> None:
    campaign_counts_compact()
