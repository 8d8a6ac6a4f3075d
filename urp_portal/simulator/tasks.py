"""Thin tasks: the simulator's HTTP calls to the product happen in the worker, never in a
request (a single-process web server would otherwise wait on itself)."""

import requests
from celery import shared_task
from django.conf import settings
from django.utils.translation import gettext as _

from . import services
from .webhooks import WebhookUnavailable

RETRIED = (requests.RequestException, WebhookUnavailable)
MAX_RETRIES = 5


@shared_task(bind=True, max_retries=MAX_RETRIES)
def citizen_message_post(self, message_id: int) -> None:
    try:
        services.citizen_message_post_webhook(message_id=message_id)
    except RETRIED as exc:
        if self.request.retries >= MAX_RETRIES:
            # Shown on the phone page, so the trainer sees why no answer comes.
            services.citizen_message_mark_failed(
                message_id=message_id,
                error=_("Il webhook del prodotto non risponde: %(error)s") % {"error": exc},
            )
            return
        raise self.retry(exc=exc, countdown=2**self.request.retries) from exc


@shared_task(
    autoretry_for=RETRIED,
    retry_backoff=1,
    retry_backoff_max=30,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def simulated_status_post(message_id: int, status: str) -> None:
    next_status = services.simulated_status_advance(message_id=message_id, status=status)
    if next_status:
        simulated_status_post.apply_async(
            (message_id, next_status), countdown=float(settings.SIMULATOR_STATUS_DELAY_SECONDS)
        )


@shared_task(
    autoretry_for=RETRIED,
    retry_backoff=1,
    retry_backoff_max=30,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def simulated_template_review(template_pk: int) -> None:
    from .templates_review import simulated_template_review as review

    review(template_pk=template_pk)
