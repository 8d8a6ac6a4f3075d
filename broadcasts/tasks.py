"""Thin tasks: take ids, call one service. Each is safe to run twice."""

from celery import shared_task

from urp_portal.gateway.reach import messaging_limit_refresh
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
    # Hourly: the templates' statuses and categories, and the portfolio's messaging limit.
    template_sync_statuses()
    messaging_limit_refresh()


@shared_task(**RETRY_ON_DATABASE_ERRORS)
def message_template_submit_task(template_id: int, user_id: int | None = None) -> None:
    """Submit a template created through the API; a refusal leaves it a draft, logged."""
    import logging

    from django.contrib.auth import get_user_model

    from urp_portal.municipality.errors import UserError

    from .services.template_review import message_template_submit

    actor = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        message_template_submit(template_id=template_id, actor=actor)
    except UserError as error:
        logging.getLogger(__name__).warning(
            "template %s not submitted for review: %s", template_id, error.message
        )


@shared_task
def campaign_counts_compact_task() -> None:
    campaign_counts_compact()
