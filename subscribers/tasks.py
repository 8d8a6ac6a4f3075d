from celery import shared_task

from urp_portal.municipality.errors import NoActiveMunicipality
from urp_portal.municipality.scope import run_per_comune
from urp_portal.municipality.selectors import municipality_get_active

from . import services


@shared_task
def subscribers_erase_expired_task() -> int:
    """Periodic (CELERY_BEAT_SCHEDULE): erase those who left the list longer ago than the comune
    keeps their data. Idempotent: an erased citizen is no longer due."""

    def erase_the_comunes() -> int:
        # Each comune by its own retention period, in its scope.
        try:
            municipality = municipality_get_active()
        except NoActiveMunicipality:
            return 0
        return services.subscribers_erase_expired(municipality=municipality)

    return run_per_comune(erase_the_comunes)


@shared_task
def outbound_scrub_sent_task() -> int:
    """Wipe the recipient of messages kept for an erased number once they are sent."""
    return services.outbound_scrub_sent()
