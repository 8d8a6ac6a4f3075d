"""The records of processing (art. 30) follow the active configuration."""

import pytest
from django.urls import reverse

from tickets.tests.factories import MunicipalServiceFactory
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory
from urp_portal.municipality.services import municipality_load_preset
from urp_portal.municipality.states import ChannelMode

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR]))
    return client


def _page(admin_client) -> str:
    response = admin_client.get(reverse("admin:audit_processing_records"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_register_names_the_comune_its_contacts_services_and_the_processor(
    admin_client, municipality, settings
):
    settings.WHATSAPP_GATEWAY = "meta"
    MunicipalServiceFactory(name="Ufficio Tributi")

    html = _page(admin_client)

    assert "Registro delle attività di trattamento" in html
    assert f"Titolare del trattamento: {municipality.name}" in html
    assert "Ufficio Tributi" in html
    assert "Meta Platforms Ireland" in html
    assert "responsabile del trattamento (art. 28)" in html
    assert f"{municipality.message_retention_days} giorni" in html
    assert "Misure di sicurezza" in html


def test_media_and_identity_appear_only_when_the_comune_asks_for_them(admin_client, municipality):
    municipality.mode = ChannelMode.TWO_WAY_TEXT
    municipality.identity_required = False
    municipality.save()
    text_only = _page(admin_client)

    municipality.mode = ChannelMode.TWO_WAY_MEDIA
    municipality.identity_required = True
    municipality.save()
    with_media = _page(admin_client)

    assert "note vocali" not in text_only and "data di nascita" not in text_only
    assert "note vocali" in with_media and "data di nascita" in with_media


def test_a_broadcast_only_number_has_no_requests_activity(admin_client, db):
    municipality_load_preset(slug="san_giuliano")

    html = _page(admin_client)

    assert "Lista broadcast" in html
    assert "Richieste e segnalazioni" not in html


def test_without_an_active_comune_the_page_says_so(admin_client):
    assert "Nessuna configurazione del comune è attiva" in _page(admin_client)
