import os

from celery import Celery

# Connects the signals that carry the request id from the web request into its tasks.
from urp_portal.observability import tasks as _request_id_signals  # noqa: F401

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "urp_portal.settings")

app = Celery("urp_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
