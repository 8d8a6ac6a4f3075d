from celery import shared_task

from urp_portal.municipality.scope import run_per_comune

from . import services


@shared_task
def moderation_blocks_lapse_task() -> int:
    """Blocks past their end date end by themselves (beat, every few minutes)."""
    return run_per_comune(services.blocks_lapse)
