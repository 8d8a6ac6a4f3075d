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
