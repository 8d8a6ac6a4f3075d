"""Italian first, English from locale/en: the catalogue is whole and staff pages speak it."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from moderation.errors import ActionNotReversible
from moderation.services import warning_text
from subscribers.errors import SubscriberNotFound
from tickets.models import Ticket
from tickets.states import TicketState
from tickets.tests.factories import operator
from urp_portal.municipality.states import KeywordKind

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"


def test_every_message_of_the_english_catalogue_is_translated_and_none_is_fuzzy():
    catalogue = polib.pofile(str(PO))

    assert len(catalogue) > 800
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []
    assert not catalogue.metadata_is_fuzzy
    assert catalogue.metadata["Language"] == "en"


PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdr]|%[sdr%]|\{\{\d+\}\}|\{[a-z_]*\}")


def test_every_translation_keeps_the_placeholders_of_its_message():
    broken = [
        entry.msgid
        for entry in polib.pofile(str(PO))
        for msgstr in (entry.msgstr, *entry.msgstr_plural.values())
        if msgstr
        and sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        != sorted(PLACEHOLDER.findall(msgstr))
        and sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(PLACEHOLDER.findall(msgstr))
    ]

    assert broken == []


def test_the_committed_mo_says_what_the_po_says():
    # Django reads the compiled file, committed so a machine without gettext's msgfmt has it.
    assert _messages(polib.mofile(str(PO.with_suffix(".mo")))) == _messages(polib.pofile(str(PO)))


def _messages(catalogue):
    return {
        (e.msgctxt, e.msgid, e.msgid_plural): (e.msgstr, *sorted(e.msgstr_plural.items()))
        for e in catalogue
        if e.msgid and not e.obsolete
    }


def test_model_names_states_and_user_errors_come_out_in_english():
    with translation.override("en"):
        assert str(Ticket._meta.verbose_name_plural) == "requests"
        assert str(TicketState.WAITING_CITIZEN.label) == "awaiting the citizen"
        assert str(KeywordKind.UNSUBSCRIBE.label) == "Unsubscribe"
        assert str(SubscriberNotFound().message) == "No citizen with this number."
        assert str(ActionNotReversible().message) == "This action cannot be undone."
        # One Italian word, two English ones: undoing a moderation action, leaving a page.
        assert translation.gettext("Annulla") == "Undo"
        assert translation.pgettext("leave the confirmation page", "Annulla") == "Cancel"


def test_italian_stays_the_default_language():
    assert settings.LANGUAGE_CODE == "it"
    with translation.override("it"):
        assert str(Ticket._meta.verbose_name_plural) == "richieste"
        assert str(KeywordKind.UNSUBSCRIBE.label) == "Cancellazione"


@pytest.mark.django_db
def test_the_warning_to_a_citizen_stays_italian_whatever_the_moderator_reads(municipality):
    with translation.override("en"):
        text = warning_text(categories=[])

    assert text.startswith("Gentile utente")


@pytest.mark.django_db
def test_the_console_speaks_english_to_a_browser_that_asks_for_it(client, municipality):
    client.force_login(operator())

    english = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en")
    italian = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="it")

    assert english.status_code == italian.status_code == 200
    assert english["Content-Language"] == "en"
    assert "Public Relations Office (URP) console" in english.text
    assert "Requests overview" in english.text
    assert "Andamento delle richieste" not in english.text
    assert "Console dell&#x27;Ufficio Relazioni con il Pubblico" in italian.text
    assert "Andamento delle richieste" in italian.text


@pytest.mark.django_db
def test_the_login_page_speaks_english_too(client):
    response = client.get(reverse("admin:login"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "Log in | URP Portal" in response.text
