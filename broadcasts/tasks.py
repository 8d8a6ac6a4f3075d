"""Thin tasks: take ids, call one service. Each is safe to run twice.

Many comuni (issue #24): a task about one campaign or template runs in the scope of the comune
that owns it (scoping.py); a periodic task runs once per comune served, in its scope
(in_each_comune_scope), so each comune's due campaigns, slots, templates and limit are its own."""

from celery import shared_task

from urp_portal.gateway.reach import messaging_limit_refresh
from urp_portal.gateway.tasks import RETRY_ON_DATABASE_ERRORS
from urp_portal.municipality.scope import in_each_comune_scope

from .models import Campaign, MessageTemplate
from .scoping import row_comune_scope
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
    with row_comune_scope(Campaign, campaign_id):
        campaign_start_due(campaign_id=campaign_id)


@shared_task(**RETRY_ON_DATABASE_ERRORS)
def campaign_send_batch(campaign_id: int) -> None:
    """Hand the next batch to the gateway; the service enqueues the next one after commit."""
    with row_comune_scope(Campaign, campaign_id):
        campaign_send_next_batch(campaign_id=campaign_id)


@shared_task
def campaigns_start_due_task() -> None:
    for _comune in in_each_comune_scope():
        for campaign_id in campaigns_due():
            campaign_start_task.delay(campaign_id)


@shared_task
def campaigns_resume_stuck_task() -> None:
    for _comune in in_each_comune_scope():
        campaigns_resume_stuck()


@shared_task
def broadcast_slots_warn_empty_task() -> None:
    for _comune in in_each_comune_scope():
        broadcast_slots_warn_empty()


@shared_task
def message_templates_sync_task() -> None:
    # Hourly, per comune: its WABA's templates (statuses, categories), and its portfolio's
    # messaging limit as Meta gives it for its number.
    for _comune in in_each_comune_scope():
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
        with row_comune_scope(MessageTemplate, template_id):
            message_template_submit(template_id=template_id, actor=actor)
    except UserError as error:
        logging.getLogger(__name__).warning(
            "template %s not submitted for review: %s", template_id, error.message
        )


@shared_task
def campaign_counts_compact_task() -> None:
    # Across comuni: it folds counter rows by campaign id, reading no comune's configuration.
    campaign_counts_compact()
