from celery import shared_task

from .services import audit_purge_expired


@shared_task
def audit_purge_expired_task() -> int:
    return audit_purge_expired()
