from django.conf import settings

from urp_portal.celery import app


def test_every_periodic_task_in_the_beat_schedule_is_registered():
    app.loader.import_default_modules()

    unknown = {
        name: entry["task"]
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if entry["task"] not in app.tasks
    }

    assert unknown == {}
    assert "api-idempotency-purge" in settings.CELERY_BEAT_SCHEDULE


def test_no_periodic_task_can_be_mistaken_for_the_service_it_calls():
    # A task named like a service (campaigns_start_due beside campaign_start_due) sends a reader
    # to the wrong function; every periodic task's name says it is the task.
    misleading = [
        entry["task"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if not entry["task"].endswith("_task")
    ]

    assert misleading == []
