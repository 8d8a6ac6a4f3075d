import pytest

# Shared test infrastructure: a fake Graph API server, a real Celery worker, signed webhooks.
pytest_plugins = [
    "tests.fixtures.fake_graph",
    "tests.fixtures.celery_worker",
    "tests.fixtures.webhooks",
    "tests.fixtures.second_factor",
]


@pytest.fixture
def municipality(db):
    """The Cagliari preset, active: the comune most tests speak of."""
    from urp_portal.municipality.services import municipality_load_preset

    return municipality_load_preset(slug="cagliari")
