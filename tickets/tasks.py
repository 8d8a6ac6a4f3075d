"""Thin tasks: ids in, one service call."""

from celery import shared_task

from .services import forward_email_send_now, tickets_warn_deadlines
from .services.escalation import tickets_escalate_late


@shared_task(
    autoretry_for=(ConnectionError, TimeoutError, OSError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def forward_email_send(forward_id: int, site_url: str) -> None:
    forward_email_send_now(forward_id=forward_id, site_url=site_url)


@shared_task
def tickets_deadline_warnings_task() -> None:
    tickets_warn_deadlines()


@shared_task
def tickets_deadline_escalations_task() -> None:
    tickets_escalate_late()
