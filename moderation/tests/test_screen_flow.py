"""The screen step on the real pipeline: flag, never drop; the lists are the database's."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from moderation import services
from moderation.models import AllowedDomain, LexiconEntry, ModerationSettings, ScreeningFlag
from moderation.selectors import VERSION_CHECK_SECONDS
from moderation.states import CaseState
from tests.fixtures.conversation import receive
from tickets.models import Message
from tickets.tests.factories import operator

from .conftest import CITIZEN, OFFICE_HOURS, ticket_of

pytestmark = pytest.mark.django_db


def test_the_screen_step_flags_an_insulting_message_and_the_ticket_still_opens(insult):
    flag = ScreeningFlag.objects.get(inbound=insult)

    assert insult.handled_by == ""  # every step went on: nothing dropped it
    ticket = ticket_of()
    assert ticket is not None
    message = ticket.messages.get(inbound=insult)
    assert message.text == insult.text
    assert "coglioni" in message.moderation_note
    assert [item["rule"] for item in flag.reasons] == ["lexicon"]
    assert list(flag.categories.values_list("code", flat=True)) == ["offensive"]
    assert flag.reviewed_at is None
    assert flag.case.state == CaseState.OPEN
    assert list(flag.case.messages.all()) == [insult]


def test_a_clean_message_and_a_link_to_the_comunes_site_are_not_flagged(municipality, office_hours):
    receive(CITIZEN, "Buongiorno, quando apre l'anagrafe? Scafati è lontana")
    receive(CITIZEN, "Ho letto su https://www.comune.cagliari.it/portale/notizie l'avviso")

    assert not ScreeningFlag.objects.exists()
    assert ticket_of().messages.filter(moderation_note="").count() == 2


def test_operators_see_the_reasons_as_a_badge_on_the_conversation_page(client, insult):
    client.force_login(operator())

    page = client.get(reverse("admin:tickets_ticket_conversation", args=[ticket_of().pk]))

    body = page.content.decode()
    assert "segnalato" in body
    assert "Linguaggio offensivo" in body


def test_a_word_added_to_the_lexicon_flags_from_the_next_message(municipality, office_hours):
    receive(CITIZEN, "Siete dei zucconi")
    assert not ScreeningFlag.objects.exists()

    services.lexicon_entry_save(entry=LexiconEntry(word=" Zuccone "))
    message = receive(CITIZEN, "Siete dei zucconi")

    assert ScreeningFlag.objects.get().inbound == message


def test_a_lexicon_word_switched_off_no_longer_flags(municipality, office_hours):
    entry = LexiconEntry.objects.get(word="coglione", kind="insult")
    entry.is_active = False
    services.lexicon_entry_save(entry=entry)

    receive(CITIZEN, "Siete dei coglioni")

    assert not ScreeningFlag.objects.exists()


def test_another_process_changing_the_lists_is_seen_through_the_version(municipality, office_hours):
    receive(CITIZEN, "guardate qui https://www.unionesarda.it/notizia")
    assert ScreeningFlag.objects.count() == 1
    # Another process (the web's admin) adds the domain and raises the version; this process
    # built its screener before and must notice.
    AllowedDomain.objects.create(domain="unionesarda.it")
    ModerationSettings.objects.filter(pk=1).update(screening_version=99)

    with time_machine.travel(OFFICE_HOURS + dt.timedelta(seconds=VERSION_CHECK_SECONDS + 1)):
        receive(CITIZEN, "e anche qui https://www.unionesarda.it/altra")

    assert ScreeningFlag.objects.count() == 1


def test_the_admin_edits_the_lexicon_and_every_process_rebuilds(
    admin_client, municipality, office_hours
):
    before = ModerationSettings.objects.get().screening_version

    response = admin_client.post(
        reverse("admin:moderation_lexiconentry_add"),
        {"word": "Zuccone", "kind": "insult", "is_active": "on", "note": ""},
    )

    assert response.status_code == 302
    assert LexiconEntry.objects.filter(word="zuccone").exists()
    assert ModerationSettings.objects.get().screening_version == before + 1


def test_the_lists_are_seeded_from_the_screening_data_and_the_seed_comuni(db):
    assert LexiconEntry.objects.filter(kind="insult", word="stronzo").exists()
    assert LexiconEntry.objects.filter(kind="slur").exists()
    assert AllowedDomain.objects.filter(domain="comune.assemini.ca.it").exists()
    assert AllowedDomain.objects.filter(domain="pagopa.it").exists()


def test_a_caption_on_a_photo_is_screened_too(municipality, office_hours):
    message = receive(CITIZEN, "vaffanculo", kind="image", media_id="m-1")

    assert ScreeningFlag.objects.get().inbound == message
    assert Message.objects.get(inbound=message).moderation_note
