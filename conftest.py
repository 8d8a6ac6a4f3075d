import pytest

# Shared test infrastructure: a fake Graph API server, a real Celery worker, signed webhooks.
pytest_plugins = [
    "tests.fixtures.fake_graph",
    "tests.fixtures.fake_twilio",
    "tests.fixtures.webhook_receiver",
    "tests.fixtures.celery_worker",
    "tests.fixtures.webhooks",
    # The `whatsapp` fixture: citizens chatting through the signed webhook (flow tests).
    "tests.fixtures.conversation",
    "tests.fixtures.throwaway_servers",
    "tests.fixtures.second_factor",
    "tests.fixtures.browser",
    "tests.fixtures.check_config",
    # `two_comuni`: two comuni on one deployment, each on its own number (issue #24).
    "tests.fixtures.comuni",
    # `operator_api` and the tickets' API URLs (tests/test_api_tickets.py and its actions).
    "tests.fixtures.tickets_api",
]


@pytest.fixture(autouse=True)
def _fresh_anonymous_budget():
    """Every test client calls from 127.0.0.1: the address's budget for requests without valid
    credentials (accounts/authentication.py) starts full in each test, as for a new caller."""
    from django.core.cache import cache

    cache.delete("throttle:anonymous:ip:127.0.0.1")


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


@pytest.fixture
def unreachable_broker():
    """Celery pointed at a Redis nobody listens on (the transport named by the embedded default
    would otherwise win over the URL)."""
    from urp_portal.celery import app

    original = (app.conf.broker_url, app.conf.broker_transport)
    app.conf.broker_url, app.conf.broker_transport = "redis://127.0.0.1:1/0", None
    yield
    app.conf.broker_url, app.conf.broker_transport = original


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request with `Accept-Language: en` leaves English active in the thread (LocaleMiddleware
    activates it and nothing deactivates it in the test client); without this, a later test that
    reads an Italian message found it in English, depending on the order the files ran in."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_sending_numbers():
    """The comuni's sending numbers are cached per process (gateway/numbers.py) by comune id,
    which the next test's database gives to another comune."""
    yield
    from urp_portal.gateway.numbers import forget_sending_numbers

    forget_sending_numbers()


@pytest.fixture(autouse=True)
def _fresh_comune_scope_check():
    """Whether the deployment serves several comuni is cached per process
    (municipality/scope.py); a rolled-back test's numbers must not answer for the next."""
    from urp_portal.municipality.scope import forget_serves_other_comuni

    forget_serves_other_comuni()
    yield
    forget_serves_other_comuni()
