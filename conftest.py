import pytest

# Shared test infrastructure: a fake Graph API server, a real Celery worker, signed webhooks.
pytest_plugins = [
    "tests.fixtures.fake_graph",
    "tests.fixtures.fake_twilio",
    "tests.fixtures.celery_worker",
    "tests.fixtures.webhooks",
    # The `whatsapp` fixture: citizens chatting through the signed webhook (flow tests).
    "subscribers.tests.conversation",
    "tests.fixtures.throwaway_servers",
    "tests.fixtures.second_factor",
    "tests.fixtures.browser",
]


@pytest.fixture
def municipality(db):
    """The Cagliari preset, active: the comune most tests speak of."""
    from urp_portal.municipality.services import municipality_load_preset

    return municipality_load_preset(slug="cagliari")


@pytest.fixture
def eager_tasks():
    """Tasks run in the test's own process as they are enqueued, retries included (countdowns
    skipped); a task's error stays in the task, as it would in a worker."""
    from urp_portal.celery import app

    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous
