import pytest


@pytest.fixture
def municipality(db):
    """The Cagliari preset, active: the comune most tests speak of."""
    from urp_portal.municipality.services import municipality_load_preset

    return municipality_load_preset(slug="cagliari")
