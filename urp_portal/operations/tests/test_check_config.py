"""`manage.py check_config`: says in Italian what is missing, exits 1 when it blocks."""

import pytest

from broadcasts.states import TemplateApproval
from broadcasts.tests.factories import MessageTemplateFactory
from tests.fixtures.check_config import run
from tickets.tests.factories import MunicipalServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def complete(production_like, municipality):
    MessageTemplateFactory(approval_status=TemplateApproval.APPROVED)
    MunicipalServiceFactory(name="Anagrafe")
    return production_like


def test_a_complete_configuration_passes(complete):
    code, out = run()

    assert code == 0, out
    assert "Configurazione completa" in out
    assert "MANCA" not in out
    assert "Configurazione attiva: Comune di Cagliari." in out


def test_missing_gateway_variables_are_named_and_block(complete):
    complete.WHATSAPP_ACCESS_TOKEN = ""
    complete.WHATSAPP_VERIFY_TOKEN = ""

    code, out = run()

    assert code == 1
    assert "Manca la variabile WHATSAPP_ACCESS_TOKEN (richiesta dal gateway meta)." in out
    assert "Manca la variabile WHATSAPP_VERIFY_TOKEN" in out
    assert "Configurazione incompleta: 2 problemi bloccanti" in out


def test_twilio_needs_its_own_variables(complete):
    complete.WHATSAPP_GATEWAY = "twilio"
    complete.TWILIO_ACCOUNT_SID = "AC123"
    complete.TWILIO_AUTH_TOKEN = ""
    complete.TWILIO_WHATSAPP_FROM = "whatsapp:+390701234567"

    code, out = run()

    assert code == 1
    assert "Manca la variabile TWILIO_AUTH_TOKEN (richiesta dal gateway twilio)." in out


def test_the_simulator_is_refused_in_production(complete):
    complete.WHATSAPP_GATEWAY = "simulator"

    code, out = run()

    assert code == 1
    assert "il simulatore serve solo per prove e formazione" in out


def test_without_an_active_comune_it_says_how_to_load_one(production_like):
    MessageTemplateFactory()

    code, out = run()

    assert code == 1
    assert "Nessuna configurazione del comune è attiva" in out
    assert "load_preset" in out


def test_a_missing_privacy_notice_and_keyword_block(complete, municipality):
    municipality.privacy_notice_text = ""
    municipality.save()
    municipality.keywords.filter(kind="unsubscribe").delete()

    code, out = run()

    assert code == 1
    assert "Manca il testo: l'informativa privacy." in out
    assert "Manca la parola per cancellarsi" in out


def test_without_an_approved_template_broadcasts_cannot_start(production_like, municipality):
    MessageTemplateFactory(approval_status=TemplateApproval.PENDING)

    code, out = run()

    assert code == 1
    assert "Nessun modello approvato" in out


def test_email_that_goes_nowhere_blocks_in_production_and_only_warns_in_development(complete):
    complete.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    code_production, out_production = run()

    complete.DEBUG = True
    code_development, out_development = run()

    assert code_production == 1 and "gli inoltri ai servizi" in out_production
    assert code_development == 0 and "AVVISO  EMAIL_URL non invia davvero" in out_development


def test_an_unreachable_broker_blocks(complete, unreachable_broker):
    code, out = run()

    assert code == 1
    assert "Il broker non risponde" in out


def test_a_short_audit_retention_is_a_warning_not_a_block(complete):
    complete.URP_AUDIT_RETENTION_DAYS = 30

    code, out = run()

    assert code == 0
    assert "almeno sei mesi" in out
