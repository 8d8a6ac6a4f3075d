"""`manage.py check_config` on a deployment serving several comuni (issue #24): the deployment's
checks once, then each comune's in its own scope (its number and secrets, its WABA's approved
utility template, its configuration, its services), every finding under the comune's name."""

import pytest

from broadcasts.states import TemplateApproval, TemplateCategory
from broadcasts.tests.factories import MessageTemplateFactory
from tests.fixtures.check_config import run
from urp_portal.municipality.models import Municipality, WhatsAppNumber
from urp_portal.municipality.scope import comune_scope

pytestmark = pytest.mark.django_db

CAGLIARI = "Comune di Cagliari (cagliari)"
ASSEMINI = "Comune di Assemini (assemini)"


def _utility_template(comune: Municipality, **fields) -> None:
    values = {"category": TemplateCategory.UTILITY, "approval_status": TemplateApproval.APPROVED}
    with comune_scope(comune):
        MessageTemplateFactory(**{**values, **fields})


@pytest.fixture
def complete(production_like, two_comuni):
    for comune in two_comuni:
        _utility_template(comune)
    return production_like


def _section(out: str, heading: str) -> str:
    """The lines under one heading of the command's output."""
    lines = out.split("\n")
    start = lines.index(heading) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("  ")), len(lines))
    return "\n".join(lines[start:end])


def test_each_comune_is_checked_under_its_own_name(complete, two_comuni):
    code, out = run()

    assert code == 0, out
    assert "Numero collegato: id 100000000000001." in _section(out, f"{CAGLIARI} · Numero WhatsApp")
    assert "Numero collegato: id 100000000000002." in _section(out, f"{ASSEMINI} · Numero WhatsApp")
    assert "Configurazione attiva: Comune di Assemini." in _section(
        out, f"{ASSEMINI} · Configurazione del comune"
    )
    assert "di servizio: 1" in _section(out, f"{CAGLIARI} · Modelli di messaggio")
    assert "Servizi comunali:" in _section(out, f"{ASSEMINI} · Servizi comunali")
    # The deployment's own checks once, with no comune's name.
    assert out.count("\nDatabase\n") == 1


def test_a_comune_without_an_approved_utility_template_blocks_and_is_named(
    production_like, two_comuni
):
    cagliari, assemini = two_comuni
    _utility_template(cagliari)
    _utility_template(assemini, category=TemplateCategory.MARKETING)
    _utility_template(assemini, approval_status=TemplateApproval.PENDING)

    code, out = run()

    assert code == 1
    assert "Nessun modello di servizio (utility) approvato" in _section(
        out, f"{ASSEMINI} · Modelli di messaggio"
    )
    assert "MANCA" not in _section(out, f"{CAGLIARI} · Modelli di messaggio")
    assert f"Comuni con problemi bloccanti: {ASSEMINI}." in out


def test_a_comunes_missing_privacy_notice_is_that_comunes_finding(complete, two_comuni):
    _cagliari, assemini = two_comuni
    Municipality.objects.filter(pk=assemini.pk).update(privacy_notice_text="")

    code, out = run()

    assert code == 1
    assert "Manca il testo: l'informativa privacy." in _section(
        out, f"{ASSEMINI} · Configurazione del comune"
    )
    assert "informativa" not in _section(out, f"{CAGLIARI} · Configurazione del comune")


def test_a_token_sealed_under_a_lost_key_blocks(complete, two_comuni):
    complete.URP_SECRETS_KEY = ["another-key-of-at-least-32-characters!!"]

    code, out = run()

    assert code == 1
    section = _section(out, f"{CAGLIARI} · Numero WhatsApp")
    assert "Il token di accesso del numero non si apre con URP_SECRETS_KEY" in section


def test_a_number_without_its_own_token_needs_the_deployments(complete, two_comuni):
    _cagliari, assemini = two_comuni
    WhatsAppNumber.objects.filter(comune=assemini).update(access_token_sealed="")
    complete.WHATSAPP_ACCESS_TOKEN = ""

    code, out = run()

    assert code == 1
    assert "Manca il token di accesso: né quello del numero né WHATSAPP_ACCESS_TOKEN" in _section(
        out, f"{ASSEMINI} · Numero WhatsApp"
    )


def test_a_number_without_its_waba_is_warned_about(complete, two_comuni):
    _cagliari, assemini = two_comuni
    WhatsAppNumber.objects.filter(comune=assemini).update(business_account_id="")

    code, out = run()

    assert code == 0
    assert "AVVISO  Manca l'id dell'account WhatsApp Business (WABA)" in _section(
        out, f"{ASSEMINI} · Numero WhatsApp"
    )


def test_a_deployment_of_one_comune_names_no_comune(production_like, municipality):
    MessageTemplateFactory()

    code, out = run()

    assert code == 0, out
    assert " · " not in out and "Numero WhatsApp" not in out
    assert "\nConfigurazione del comune\n" in out
