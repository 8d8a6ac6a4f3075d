"""Issue #4's flows through the real door: a signed webhook into the view, the gateway's task
parsing it and running the inbound pipeline, the outbox sending through the `meta` adapter to
the fake Graph API, and what the citizen's phone received read from that server's log."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from broadcasts.selectors import audience_recipients
from broadcasts.states import Audience
from tests.fixtures.conversation import WhatsApp
from urp_portal.gateway.adapters import clear_adapter_cache
from urp_portal.gateway.models import InboundMessage, OutboundMessage, WebhookEvent
from urp_portal.gateway.pipeline import _steps
from urp_portal.gateway.states import OutboundState

from ..errors import AppendOnlyError
from ..models import ConsentRecord, DataSubjectRequest, PrivacyNotice, Subscriber
from ..states import ConsentKind, DataSubjectRequestKind, IdentityStep, SubscriberStatus

CITIZEN = "+393471234567"
# A Tuesday morning: every preset's desk is open, so no out-of-hours answer joins the chat.
OFFICE_HOURS = dt.datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Europe/Rome"))


@pytest.fixture(autouse=True)
def in_office_hours():
    with time_machine.travel(OFFICE_HOURS, tick=False):
        yield


def ledger(subscriber: Subscriber) -> list[str]:
    return list(subscriber.consent_records.order_by("pk").values_list("kind", flat=True))


# --- subscribe -----------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["Iscrivimi", " ISCRIVIMI 🙏", "iscrìvimi!"])
def test_subscribing_sends_the_welcome_then_the_notice_in_force_and_records_consent(
    whatsapp: WhatsApp, municipality, word
):
    citizen = whatsapp.citizen(CITIZEN, name="Eufrasia P.")

    answer = citizen.says(word)

    assert answer == [municipality.welcome_text, municipality.privacy_notice_text]
    subscriber = Subscriber.objects.get(number=CITIZEN)
    assert subscriber.status == SubscriberStatus.SUBSCRIBED
    assert subscriber.profile_name == "Eufrasia P."
    message = citizen.last_message
    assert message.handled_by == "subscribers.inbound.keywords"
    assert WebhookEvent.objects.get(pk=message.event_id).state == WebhookEvent.State.PROCESSED
    records = list(subscriber.consent_records.order_by("pk"))
    assert [r.kind for r in records] == [
        ConsentKind.NOTICE_ACKNOWLEDGED,
        ConsentKind.BROADCAST_OPT_IN,
    ]
    notice = PrivacyNotice.objects.latest()
    assert all(r.notice == notice and r.notice_version == notice.version for r in records)
    # The words that expressed consent (GDPR art. 7(1)), as the webhook carried them.
    assert all(r.inbound_message_id == message.pk and r.inbound_text == word for r in records)
    assert [m.state for m in OutboundMessage.objects.filter(to=CITIZEN)] == [OutboundState.SENT] * 2


def test_the_welcome_sends_the_version_of_the_notice_in_force_when_the_citizen_subscribes(
    whatsapp: WhatsApp, municipality
):
    first = whatsapp.citizen("+393470000001")
    second = whatsapp.citizen("+393470000002")
    first.says("Iscrivimi")

    municipality.privacy_notice_text = "Informativa privacy, versione di marzo."
    municipality.privacy_notice_version = "2026-03"
    municipality.save()
    answer = second.says("Iscrivimi")

    assert answer[-1] == "Informativa privacy, versione di marzo."
    assert first.received[-1] == PrivacyNotice.objects.get(version="1").text
    versions = ConsentRecord.objects.filter(kind=ConsentKind.NOTICE_ACKNOWLEDGED).order_by("pk")
    assert list(versions.values_list("notice_version", flat=True)) == ["1", "2026-03"]


def test_subscribing_twice_says_so_kindly_and_records_nothing_new(whatsapp: WhatsApp, municipality):
    citizen = whatsapp.citizen(CITIZEN)
    citizen.says("Iscrivimi")
    records = list(ConsentRecord.objects.values_list("pk", flat=True))

    answer = citizen.says("iscrivimi")

    assert answer == [municipality.already_subscribed_text]
    assert list(ConsentRecord.objects.values_list("pk", flat=True)) == records
    assert len(citizen.received) == 3


def test_the_consent_a_webhook_recorded_cannot_be_rewritten_or_removed(
    whatsapp: WhatsApp, municipality, admin_client
):
    whatsapp.citizen(CITIZEN).says("Iscrivimi")
    opt_in = ConsentRecord.objects.get(kind=ConsentKind.BROADCAST_OPT_IN)
    change_url = reverse("admin:subscribers_consentrecord_change", args=[opt_in.pk])
    delete_url = reverse("admin:subscribers_consentrecord_delete", args=[opt_in.pk])

    opt_in.inbound_text = "Cancellami"
    with pytest.raises(AppendOnlyError):
        opt_in.save()
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.filter(pk=opt_in.pk).update(inbound_text="Cancellami")
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.filter(pk=opt_in.pk).delete()
    with pytest.raises(AppendOnlyError):
        opt_in.delete()
    if connection.vendor == "postgresql":
        for statement in (
            "UPDATE subscribers_consentrecord SET inbound_text = 'Cancellami'",
            "DELETE FROM subscribers_consentrecord",
        ):
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement)
    # Not even a superuser, in the admin.
    assert admin_client.post(change_url, {"inbound_text": "Cancellami"}).status_code == 403
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403

    assert ConsentRecord.objects.get(pk=opt_in.pk).inbound_text == "Iscrivimi"
    assert ConsentRecord.objects.count() == 2


# --- unsubscribe ---------------------------------------------------------------------------------


def test_unsubscribing_confirms_and_takes_the_citizen_off_the_list_at_once(
    whatsapp: WhatsApp, keeping_data
):
    citizen = whatsapp.citizen(CITIZEN)
    citizen.says("Iscrivimi")
    subscriber = Subscriber.objects.get(number=CITIZEN)

    answer = citizen.says("Cancellami!")

    assert answer == [keeping_data.unsubscribed_text]
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED
    assert (
        not audience_recipients(audience=Audience.ALL_SUBSCRIBED).filter(pk=subscriber.pk).exists()
    )
    assert ledger(subscriber)[-1] == ConsentKind.BROADCAST_OPT_OUT
    opt_out = subscriber.consent_records.get(kind=ConsentKind.BROADCAST_OPT_OUT)
    assert (opt_out.inbound_message_id, opt_out.inbound_text) == (
        citizen.last_message.pk,
        "Cancellami!",
    )


def test_unsubscribing_where_the_comune_keeps_nothing_erases_and_the_confirmation_still_arrives(
    whatsapp: WhatsApp, municipality
):
    assert municipality.unsubscribed_data_retention_days == 0
    citizen = whatsapp.citizen(CITIZEN, name="Eufrasia P.")
    citizen.says("Iscrivimi")

    answer = citizen.says("Cancellami")

    assert answer == [municipality.unsubscribed_text]
    subscriber = Subscriber.objects.get(subscribed_at__isnull=False)
    assert subscriber.status == SubscriberStatus.ANONYMISED
    assert subscriber.number is None and subscriber.profile_name == ""
    assert ledger(subscriber)[-2:] == [ConsentKind.BROADCAST_OPT_OUT, ConsentKind.ERASURE]
    # Sent, then no row of the outbox names the number any more.
    assert not OutboundMessage.objects.filter(to=CITIZEN).exists()
    confirmation = OutboundMessage.objects.get(purpose="unsubscribed")
    assert (confirmation.state, confirmation.text) == (OutboundState.SENT, "[cancellato]")


def test_unsubscribing_when_not_subscribed_says_so_and_records_nothing(
    whatsapp: WhatsApp, municipality
):
    citizen = whatsapp.citizen(CITIZEN)

    answer = citizen.says("Cancellami")

    assert answer == [municipality.not_subscribed_text]
    subscriber = Subscriber.objects.get(number=CITIZEN)
    assert subscriber.status == SubscriberStatus.CONTACT
    assert not subscriber.consent_records.exists()


def test_a_number_that_comes_back_after_erasure_starts_a_fresh_linked_history(
    whatsapp: WhatsApp, municipality
):
    citizen = whatsapp.citizen(CITIZEN)
    citizen.says("Iscrivimi")
    citizen.says("Cancellami")
    erased = Subscriber.objects.get(status=SubscriberStatus.ANONYMISED)

    answer = citizen.says("Iscrivimi")

    assert answer == [municipality.welcome_text, municipality.privacy_notice_text]
    fresh = Subscriber.objects.get(number=CITIZEN)
    assert (fresh.previous, fresh.pseudonym) == (erased, erased.pseudonym)
    assert ledger(fresh) == [ConsentKind.NOTICE_ACKNOWLEDGED, ConsentKind.BROADCAST_OPT_IN]


# --- first-contact identity (Assemini) -----------------------------------------------------------


def test_identity_asks_again_with_a_hint_until_the_answers_are_good(whatsapp: WhatsApp, assemini):
    citizen = whatsapp.citizen(CITIZEN, name="Eufrasia P.")

    # The privacy notice comes first, before any personal data is asked for (issue #22).
    notice, question = citizen.says("Buongiorno, a che ora apre l'anagrafe?")
    assert notice == assemini.privacy_notice_text
    first = citizen.last_message
    chat = [
        (answer, citizen.says(answer))
        for answer in (
            "12345",
            "E",
            "Eufrasia 🌸",
            "eufrasia",
            "PITZALIS",
            "l'anno scorso",
            "31/02/1965",
            "12/03/2020",
            "12 marzo 1965",
        )
    ]

    assert question.startswith(assemini.identity_request_text)
    hints = {answer: replies for answer, replies in chat}
    assert "numeri" in hints["12345"][0]
    assert "lettere" in hints["E"][0]
    assert "simboli" in hints["Eufrasia 🌸"][0]
    assert "cognome" in hints["eufrasia"][0]
    assert "data di nascita" in hints["PITZALIS"][0]
    assert "Non riesco a leggere la data" in hints["l'anno scorso"][0]
    assert "non esiste" in hints["31/02/1965"][0]
    assert "14 anni" in hints["12/03/2020"][0]
    thanks, invitation, term = hints["12 marzo 1965"]
    assert thanks.startswith("Grazie, Eufrasia.")
    # The held first message goes on now and opens the ticket: Assemini's first-contact text,
    # then the acknowledgement with the term (issue #22).
    assert invitation == assemini.first_contact_text
    assert term.startswith("Abbiamo ricevuto la sua richiesta: le risponderemo entro ")
    subscriber = Subscriber.objects.get(number=CITIZEN)
    assert (subscriber.first_name, subscriber.last_name) == ("Eufrasia", "Pitzalis")
    assert subscriber.birth_date == dt.date(1965, 3, 12)
    assert subscriber.identity_step == IdentityStep.COMPLETE
    # tickets stands on subscribers; this flow crosses into it only to see where the message went.
    ticket_message = apps.get_model("tickets", "Message").objects.get(inbound=first)
    assert ticket_message.ticket.subscriber == subscriber


def test_a_restart_in_the_middle_of_identity_loses_nothing(whatsapp: WhatsApp, assemini):
    citizen = whatsapp.citizen(CITIZEN)
    citizen.says("Buongiorno, serve un certificato")
    first = citizen.last_message
    citizen.says("Eufrasia")

    # A restart: nothing of this process survives but the rows (and a new HTTP client).
    _steps.cache_clear()
    clear_adapter_cache()
    whatsapp.client = Client()
    stored = Subscriber.objects.get(number=CITIZEN)
    assert stored.identity_step == IdentityStep.ASK_LAST_NAME
    assert stored.identity_held_message_id == first.pk
    assert "data di nascita" in citizen.says("Pitzalis")[0]
    thanks, _invitation, _term = citizen.says("12-3-65")

    assert thanks.startswith("Grazie, Eufrasia.")
    assert Subscriber.objects.get(number=CITIZEN).birth_date == dt.date(1965, 3, 12)
    assert apps.get_model("tickets", "Message").objects.filter(inbound=first).exists()


def test_a_keyword_is_answered_even_before_identity(whatsapp: WhatsApp, assemini):
    citizen = whatsapp.citizen(CITIZEN)

    answer = citizen.says("Iscrivimi")

    assert answer == [assemini.welcome_text, assemini.privacy_notice_text]
    assert Subscriber.objects.get(number=CITIZEN).identity_step == IdentityStep.NOT_STARTED


# --- each seed comune's words and texts ----------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "subscribe", "unsubscribe"),
    [
        ("cagliari", "Iscrivimi", "Cancellami"),
        ("assemini", "Iscrivimi", "Cancellami"),
        ("ancona", "Iscrivimi", "Cancellami"),
        ("san_giuliano", "ATTIVA", "DISATTIVA"),
    ],
)
def test_each_preset_answers_its_own_words_with_its_own_texts(
    whatsapp: WhatsApp, comune, slug, subscribe, unsubscribe
):
    config = comune(slug)
    citizen = whatsapp.citizen(CITIZEN)

    joined = citizen.says(subscribe.lower() + "!")
    again = citizen.says(subscribe)
    left = citizen.says(unsubscribe)

    assert joined == [config.welcome_text, config.privacy_notice_text]
    assert again == [config.already_subscribed_text]
    assert left == [config.unsubscribed_text]


def test_assemini_confirms_that_the_data_of_who_leaves_is_destroyed(whatsapp: WhatsApp, assemini):
    citizen = whatsapp.citizen(CITIZEN)
    citizen.says("Iscrivimi")

    (confirmation,) = citizen.says("Cancellami")

    assert "distrutti o resi anonimi" in confirmation
    assert Subscriber.objects.get().status == SubscriberStatus.ANONYMISED


def test_ancona_sends_the_notice_right_after_the_welcome_that_announces_it(
    whatsapp: WhatsApp, comune
):
    comune("ancona")
    citizen = whatsapp.citizen(CITIZEN)

    welcome, notice = citizen.says("Iscrivimi")

    assert "informativa sul trattamento dei dati personali" in welcome
    assert notice.startswith("INFORMATIVA SUL TRATTAMENTO DEI DATI PERSONALI")
    assert "Comune di Ancona" in notice
    assert ledger(Subscriber.objects.get())[0] == ConsentKind.NOTICE_ACKNOWLEDGED


def test_san_giuliano_takes_attiva_and_answers_anything_else_with_its_broadcast_only_text(
    whatsapp: WhatsApp, comune
):
    config = comune("san_giuliano")
    citizen = whatsapp.citizen(CITIZEN)

    iscrivimi = citizen.says("Iscrivimi")
    attiva = citizen.says("attiva")

    assert iscrivimi == [config.broadcast_only_text]
    assert attiva == [config.welcome_text, config.privacy_notice_text]
    assert Subscriber.objects.get().status == SubscriberStatus.SUBSCRIBED


# --- export and erasure of what the chat left ----------------------------------------------------


def test_the_export_holds_what_came_in_through_the_webhook_and_what_was_sent(
    whatsapp: WhatsApp, municipality, capsys
):
    citizen = whatsapp.citizen(CITIZEN, name="Eufrasia P.")
    citizen.says("Buongiorno, orari della biblioteca?")
    citizen.says("Iscrivimi")

    call_command("export_subscriber", number=CITIZEN, reason="Prot. 77/2026")

    data = json.loads(capsys.readouterr().out)
    assert data["subscriber"]["number"] == CITIZEN
    assert data["subscriber"]["profile_name"] == "Eufrasia P."
    assert [m["text"] for m in data["received_messages"]] == [
        "Buongiorno, orari della biblioteca?",
        "Iscrivimi",
    ]
    assert [m["text"] for m in data["sent_messages"]] == citizen.received
    # The notice at first contact records no message text: a first message is free words.
    assert [c["message_text"] for c in data["consent"]] == ["", "Iscrivimi", "Iscrivimi"]
    request = DataSubjectRequest.objects.get()
    assert (request.kind, request.reason) == (DataSubjectRequestKind.EXPORT, "Prot. 77/2026")


def test_erasure_from_the_command_line_after_a_chat_leaves_the_gateway_nothing(
    whatsapp: WhatsApp, keeping_data
):
    citizen = whatsapp.citizen(CITIZEN, name="Eufrasia Pitzalis")
    citizen.says("Buongiorno, sono Eufrasia Pitzalis")
    citizen.says("Iscrivimi")
    whatsapp.statuses_come_back("sent", "delivered", "read")

    call_command("erase_subscriber", number=CITIZEN, reason="Richiesta via PEC prot. 80/2026")

    assert Subscriber.objects.get().status == SubscriberStatus.ANONYMISED
    assert not InboundMessage.objects.filter(sender=CITIZEN).exists()
    assert not OutboundMessage.objects.filter(to=CITIZEN).exists()
    digits = CITIZEN.lstrip("+").encode()
    assert not [e.pk for e in WebhookEvent.objects.all() if digits in bytes(e.body)]
    assert not [e.pk for e in WebhookEvent.objects.all() if b"Pitzalis" in bytes(e.body)]
