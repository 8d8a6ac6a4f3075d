from celery import shared_task

from . import services


@shared_task
def moderation_blocks_lapse_task() -> int:
    """Blocks past their end date end by themselves (beat, every few minutes)."""
    return services.blocks_lapse()
