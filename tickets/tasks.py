"""Thin tasks: ids in, one service call."""

from celery import shared_task

from urp_portal.municipality.scope import comune_scope, run_per_comune
from urp_portal.municipality.selectors import municipality_scope_of_row

from .models import Forward
from .services import forward_email_send_now, tickets_warn_deadlines
from .services.escalation import tickets_escalate_late


@shared_task(
    autoretry_for=(ConnectionError, TimeoutError, OSError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def forward_email_send(forward_id: int, site_url: str) -> None:
    # A worker runs outside any scope: the email is written in the scope of the ticket's comune.
    comune_id = (
        Forward.all_comuni.filter(pk=forward_id).values_list("ticket__comune_id", flat=True).first()
    )
    with comune_scope(municipality_scope_of_row(comune_id=comune_id)):
        forward_email_send_now(forward_id=forward_id, site_url=site_url)


@shared_task
def tickets_deadline_warnings_task() -> None:
    # Each comune's tickets in its scope: its own deadlines, its own staff.
    run_per_comune(tickets_warn_deadlines)


@shared_task
def tickets_deadline_escalations_task() -> None:
    # Each comune's late tickets by its own calendar (a holiday in one is a working day in another).
    run_per_comune(tickets_escalate_late)
