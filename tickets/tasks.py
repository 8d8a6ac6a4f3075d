"""Thin tasks: ids in, one service call."""

from celery import shared_task

from urp_portal.municipality.scope import run_per_comune

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
    # Each comune's tickets in its scope: its own deadlines, its own staff.
    run_per_comune(tickets_warn_deadlines)


@shared_task
def tickets_deadline_escalations_task() -> None:
    # Each comune's late tickets by its own calendar (a holiday in one is a working day in another).
    run_per_comune(tickets_escalate_late)
