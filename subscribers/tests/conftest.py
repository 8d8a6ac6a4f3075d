import pytest

from urp_portal.municipality.services import municipality_load_preset


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
