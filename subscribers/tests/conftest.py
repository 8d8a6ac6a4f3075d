import pytest

from urp_portal.celery import app as celery_app
from urp_portal.municipality.services import municipality_load_preset

from .conversation import WhatsApp


@pytest.fixture
def comune(db):
    """Load a seed comune's preset by slug: comune("assemini")."""

    def load(slug: str):
        return municipality_load_preset(slug=slug)

    return load


@pytest.fixture
def assemini(comune):
    return comune("assemini")


@pytest.fixture
def keeping_data(municipality):
    """Cagliari, configured to keep a leaver's data for 30 days."""
    municipality.unsubscribed_data_retention_days = 30
    municipality.save()
    return municipality


@pytest.fixture
def eager_celery():
    """Tasks run in the test's process as soon as they are enqueued (countdowns ignored), with
    the real task functions; their errors fail the test."""
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def whatsapp(client, fake_graph, settings, eager_celery, django_capture_on_commit_callbacks):
    """The real door (conversation.WhatsApp): signed webhooks into the view; the work queued on
    commit (the event's task, the pipeline, the outbox's sends through the `meta` adapter to the
    fake Graph API) runs eagerly when the request's transaction would commit."""
    settings.WHATSAPP_RATE_PER_SECOND = 0
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 0

    def deliver(post):
        with django_capture_on_commit_callbacks(execute=True):
            post()

    return WhatsApp(client=client, graph=fake_graph, deliver=deliver)
