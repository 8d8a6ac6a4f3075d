"""Issue #22: the URP's duties to citizens, through the real door (signed webhooks into the view,
the pipeline, the outbox sending through the `meta` adapter to the fake Graph API), with each
seed comune where its notice speaks."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from subscribers.models import ConsentRecord
from subscribers.states import ConsentKind
from subscribers.tests.conversation import JPEG_BYTES, WhatsApp
from tickets import services as ticket_services
from tickets.models import Message, SatisfactionSurvey, Ticket
from tickets.services.escalation import tickets_escalate_late
from tickets.states import (
    ClosingReason,
    MessageOrigin,
    SurveyScore,
    SurveyState,
    TicketCategory,
    TicketState,
)
from tickets.tests.factories import operator
from urp_portal.municipality.services import municipality_load_preset

ROME = ZoneInfo("Europe/Rome")
CITIZEN = "+393471112233"
# Monday 7 December 2026, 10:00: every comune's desk is open; the 8th is a national holiday.
MONDAY = dt.datetime(2026, 12, 7, 10, 0, tzinfo=ROME)


@pytest.fixture
def comune(db):
    """A seed comune's preset, active: comune("ancona")."""
    return lambda slug: municipality_load_preset(slug=slug)


@pytest.fixture
def assemini(comune):
    return comune("assemini")


@pytest.fixture
def at_monday():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def _assemini_identity(citizen, first_message: str) -> list[str]:
    """Assemini's first contact: the question is held while name, surname and date of birth
    are asked; returns what the citizen received after the last answer."""
    citizen.says(first_message)
    citizen.says("Eufrasia")
    citizen.says("Pitzalis")
    return citizen.says("12/03/1965")


# --- 1. the privacy notice at first contact -----------------------------------------------------


def test_cagliari_sends_its_notice_to_whoever_writes_once_and_records_the_version(
    whatsapp: WhatsApp, municipality, at_monday
):
    citizen = whatsapp.citizen(CITIZEN)

    first = citizen.says("Buongiorno, quando scade la TARI?")
    second = citizen.says("Aggiungo: è per la seconda casa")

    # "L'utilizzo del servizio [...] rappresenta di per sé esplicita accettazione della
    # Informativa": the notice reaches the citizen with their first message, and only then.
    assert first == [municipality.privacy_notice_text]
    assert second == []
    record = ConsentRecord.objects.get(kind=ConsentKind.NOTICE_SENT)
    assert (record.notice_version, record.inbound_text) == (
        municipality.privacy_notice_version,
        "",
    )
    assert Ticket.objects.get().state == TicketState.NEW


def test_with_a_page_for_the_notice_the_short_text_with_its_link_goes_instead(
    whatsapp: WhatsApp, municipality, at_monday
):
    municipality.privacy_notice_url = "https://www.comune.cagliari.it/privacy-whatsapp"
    municipality.save()

    (notice,) = whatsapp.citizen(CITIZEN).says("Buongiorno")

    assert notice.startswith("Il Comune di Cagliari tratta il suo numero")
    assert notice.endswith("https://www.comune.cagliari.it/privacy-whatsapp")


def test_a_new_version_of_the_notice_reaches_the_citizen_again(
    whatsapp: WhatsApp, municipality, at_monday
):
    citizen = whatsapp.citizen(CITIZEN)
    citizen.says("Buongiorno")
    municipality.privacy_notice_text += " Aggiornata il 7 dicembre 2026."
    municipality.privacy_notice_version = "2"
    municipality.save()

    assert citizen.says("Ancora io") == [municipality.privacy_notice_text]
    assert list(
        ConsentRecord.objects.filter(kind=ConsentKind.NOTICE_SENT).values_list(
            "notice_version", flat=True
        )
    ) == ["1", "2"]


def test_ancona_sends_its_notice_with_the_first_answer_of_the_desk(
    whatsapp: WhatsApp, comune, at_monday, django_capture_on_commit_callbacks
):
    ancona = comune("ancona")
    citizen = whatsapp.citizen(CITIZEN)

    assert citizen.says("Buongiorno, a che ora apre l'ufficio tributi?") == []
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_reply(
            ticket=Ticket.objects.get(), actor=operator(), text="Dalle 9 alle 13."
        )
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_reply(
            ticket=Ticket.objects.get(), actor=operator(), text="Il giovedì anche dalle 15."
        )

    assert citizen.received == [
        ancona.privacy_notice_text,
        "Dalle 9 alle 13.",
        "Il giovedì anche dalle 15.",
    ]


# --- 2. the term said and kept ------------------------------------------------------------------


def test_assemini_tells_the_citizen_by_when_they_will_have_an_answer(
    whatsapp: WhatsApp, assemini, at_monday
):
    citizen = whatsapp.citizen(CITIZEN)

    received = _assemini_identity(citizen, "Buongiorno, quali documenti servono per la carta?")

    # Two working days after Monday the 7th: the 8th is a holiday, so Wednesday and Thursday.
    assert received[-1] == (
        "Abbiamo ricevuto la sua richiesta: le risponderemo entro giovedì 10 dicembre."
    )
    assert citizen.received[0] == assemini.privacy_notice_text
    ticket = Ticket.objects.get()
    assert ticket.due_at.astimezone(ROME).date() == dt.date(2026, 12, 10)


def test_a_late_ticket_goes_to_the_assignee_then_each_working_day_to_the_head_too(
    whatsapp: WhatsApp, assemini, at_monday, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assemini.urp_head_email = "responsabile.urp@comune.assemini.ca.it"
    assemini.save()
    _assemini_identity(whatsapp.citizen(CITIZEN), "Buongiorno, orari dell'anagrafe?")
    giulia = operator(email="giulia@comune.assemini.ca.it")
    ticket_services.ticket_assign(ticket=Ticket.objects.get(), assignee=giulia, actor=giulia)

    def escalate_on(day: dt.datetime) -> int:
        with (
            time_machine.travel(day, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return tickets_escalate_late()

    friday = dt.datetime(2026, 12, 11, 9, 0, tzinfo=ROME)
    assert escalate_on(dt.datetime(2026, 12, 10, 18, 0, tzinfo=ROME)) == 0  # not late yet
    assert escalate_on(friday) == 1
    assert escalate_on(friday + dt.timedelta(hours=3)) == 0  # once a day
    assert escalate_on(dt.datetime(2026, 12, 12, 9, 0, tzinfo=ROME)) == 0  # Saturday
    assert escalate_on(dt.datetime(2026, 12, 14, 9, 0, tzinfo=ROME)) == 1  # Monday

    assert [m.to for m in mail.outbox] == [
        ["giulia@comune.assemini.ca.it"],
        ["giulia@comune.assemini.ca.it", "responsabile.urp@comune.assemini.ca.it"],
    ]
    assert "in ritardo da 2 giorni lavorativi" in mail.outbox[1].body
    assert Ticket.objects.get().escalations == 2


# --- 3. satisfaction ----------------------------------------------------------------------------


def test_the_survey_goes_once_after_resolution_and_its_answer_reaches_the_stats(
    whatsapp: WhatsApp, municipality, at_monday, django_capture_on_commit_callbacks
):
    citizen = whatsapp.citizen(CITIZEN)
    citizen.says("Buongiorno, come rinnovo la carta d'identità?")
    giulia = operator(username="giulia")
    ticket = Ticket.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_reply(ticket=ticket, actor=giulia, text="Prenoti online.")
        ticket_services.ticket_set_category(
            ticket=ticket, actor=giulia, category=TicketCategory.INFORMATION
        )
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_resolve(ticket=ticket, actor=giulia)

    assert citizen.received[-1] == municipality.satisfaction_question_text
    buttons = whatsapp.graph.sent_messages()[-1].json["interactive"]["action"]["buttons"]
    assert [b["reply"]["title"] for b in buttons] == ["Soddisfatto", "Abbastanza", "Insoddisfatto"]

    thanks = citizen.taps("Soddisfatto")
    again = citizen.taps("Insoddisfatto")
    comment = citizen.says("Gentilissimi, grazie")

    assert thanks == [municipality.satisfaction_thanks_text]
    assert again == []  # one answer per survey
    assert comment == []
    survey = SatisfactionSurvey.objects.get()
    assert (survey.state, survey.score, survey.comment) == (
        SurveyState.COMMENTED,
        SurveyScore.SATISFIED,
        "Gentilissimi, grazie",
    )
    # Neither the answer nor the comment opened a ticket; both are in the conversation.
    assert Ticket.objects.count() == 1
    assert list(
        Message.objects.filter(origin=MessageOrigin.CITIZEN).values_list("text", flat=True)
    )[-2:] == ["Soddisfatto", "Gentilissimi, grazie"]
    api = Client()
    api.force_login(operator())
    satisfaction = api.get("/api/v1/stats/").json()["satisfaction"]
    assert satisfaction["month"] == {
        "sent": 1,
        "answered": 1,
        "response_pct": 100,
        "average": 3.0,
        "satisfied_pct": 100,
    }
    assert satisfaction["year_by"]["operator"][0]["group"] == "giulia"
    assert satisfaction["year_by"]["category"][0]["group"] == "richiesta di informazioni"
    # A message after the comment is a new request again.
    citizen.says("Un'altra domanda: dove pago la TARI?")
    assert Ticket.objects.count() == 2


def test_no_survey_when_a_moderator_removed_a_message_of_the_conversation(
    whatsapp: WhatsApp, municipality, at_monday, django_capture_on_commit_callbacks
):
    citizen = whatsapp.citizen(CITIZEN)
    citizen.says("Buongiorno")
    Message.objects.filter(origin=MessageOrigin.CITIZEN).update(removed_at=MONDAY)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_resolve(ticket=Ticket.objects.get(), actor=operator())

    assert not SatisfactionSurvey.objects.exists()
    assert municipality.satisfaction_question_text not in citizen.received


# --- 4. requests that belong elsewhere ----------------------------------------------------------


def test_an_access_to_records_request_at_assemini_is_redirected_with_no_open_ticket(
    whatsapp: WhatsApp, assemini, at_monday
):
    citizen = whatsapp.citizen(CITIZEN)

    received = _assemini_identity(
        citizen, "Vorrei fare richiesta di accesso agli atti per la pratica edilizia del vicino"
    )

    assert received[0].startswith("Grazie, Eufrasia.")
    assert received[1].startswith("Il servizio WhatsApp dà informazioni sui servizi comunali")
    assert "protocollo@pec.comune.assemini.ca.it" in received[1]
    assert len(received) == 2  # no invitation, no term: nothing stays open
    ticket = Ticket.objects.get()
    assert (ticket.state, ticket.closing_reason, ticket.category) == (
        TicketState.CLOSED,
        ClosingReason.OFFICIAL_CHANNEL,
        TicketCategory.RECORDS_ACCESS,
    )
    assert ticket.first_response_at is not None


def test_where_the_comune_only_suggests_the_operator_redirects_with_one_click(
    whatsapp: WhatsApp, municipality, at_monday, client
):
    # Cagliari takes reports; access to records is only suggested to the operator.
    citizen = whatsapp.citizen(CITIZEN)
    citizen.says("Buongiorno, chiedo l'accesso civico ai dati sulle multe del 2025")
    ticket = Ticket.objects.get()
    assert (ticket.state, ticket.suggested_elsewhere) == (TicketState.NEW, "records_access")
    giulia = operator()
    client.force_login(giulia)
    url = reverse("admin:tickets_ticket_conversation", args=[ticket.pk])
    page = client.get(url)
    assert "Richiesta per altri canali?" in page.content.decode()

    client.post(url, {"op": "official_channel"})

    ticket.refresh_from_db()
    assert (ticket.state, ticket.category) == (TicketState.CLOSED, TicketCategory.RECORDS_ACCESS)


def test_a_rule_an_administrator_adds_applies_to_the_next_message(
    whatsapp: WhatsApp, comune, at_monday
):
    from tickets.models import ElsewhereRule

    ancona = comune("ancona")
    citizen = whatsapp.citizen(CITIZEN)
    ElsewhereRule.objects.create(kind="report", phrase="nido di vespe")

    received = citizen.says("C'è un nido di vespe nel giardino della scuola")

    assert received[-1] == ancona.official_channel_text
    assert Ticket.objects.get().state == TicketState.CLOSED


# --- 5. mended behaviours -----------------------------------------------------------------------


def test_cancellami_closes_the_open_tickets_as_erased(whatsapp: WhatsApp, municipality, at_monday):
    citizen = whatsapp.citizen(CITIZEN)
    citizen.says("Buongiorno, vorrei sapere gli orari della biblioteca")
    citizen.says("Iscrivimi")

    assert citizen.says("Cancellami") == [municipality.unsubscribed_text]

    ticket = Ticket.objects.get()
    assert (ticket.state, ticket.closing_reason) == (TicketState.CLOSED, ClosingReason.ERASED)
    assert ticket.state not in TicketState.pending()  # no deadline, no warning
    with time_machine.travel(MONDAY + dt.timedelta(days=5), tick=False):
        assert ticket_services.tickets_warn_deadlines() == 0
        assert tickets_escalate_late() == 0


def test_san_giuliano_redirects_once_a_day_and_never_a_reaction(
    whatsapp: WhatsApp, comune, at_monday
):
    san_giuliano = comune("san_giuliano")
    citizen = whatsapp.citizen(CITIZEN)

    first = citizen.says("Buongiorno, a che ora apre il comune?")
    second = citizen.says("Mi rispondete?")
    reaction = citizen.sends(
        {"type": "reaction", "reaction": {"message_id": "wamid.x", "emoji": "👍"}}
    )
    with time_machine.travel(MONDAY + dt.timedelta(days=1), tick=False):
        next_day = citizen.says("Buongiorno")

    assert first == [san_giuliano.broadcast_only_text]
    assert (second, reaction) == ([], [])
    assert next_day == [san_giuliano.broadcast_only_text]
    assert not Ticket.objects.exists()


def test_ancona_keeps_a_photos_caption_and_refuses_what_is_not_words(
    whatsapp: WhatsApp, comune, at_monday
):
    ancona = comune("ancona")
    citizen = whatsapp.citizen(CITIZEN)

    photo = citizen.sends_photo(caption="Dove si paga questa bolletta?", content=JPEG_BYTES)
    location = citizen.sends(
        {"type": "location", "location": {"latitude": 43.6, "longitude": 13.5, "name": "Piazza"}}
    )
    reaction = citizen.sends(
        {"type": "reaction", "reaction": {"message_id": "wamid.x", "emoji": "👍"}}
    )

    assert photo == [ancona.media_not_accepted_text]
    assert location == [ancona.media_not_accepted_text]
    assert reaction == []
    ticket = Ticket.objects.get()
    assert list(ticket.messages.values_list("text", flat=True)) == ["Dove si paga questa bolletta?"]


def test_a_typed_number_answers_the_survey_and_no_survey_goes_once_the_window_closed(
    whatsapp: WhatsApp, municipality, at_monday, django_capture_on_commit_callbacks
):
    # Twilio sends the choices as numbered lines: "1" is the first, "Soddisfatto".
    citizen = whatsapp.citizen(CITIZEN)
    citizen.says("Buongiorno")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_resolve(ticket=Ticket.objects.get(), actor=operator())
    assert citizen.says("1") == [municipality.satisfaction_thanks_text]
    assert SatisfactionSurvey.objects.get().score == SurveyScore.SATISFIED
    late = whatsapp.citizen("+393471112244")
    late.says("Buongiorno")

    with (
        time_machine.travel(MONDAY + dt.timedelta(hours=25), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ticket_services.ticket_resolve(
            ticket=Ticket.objects.get(subscriber__number=late.number), actor=operator()
        )

    # WhatsApp takes no free-form message 24 hours after the citizen's last one.
    assert SatisfactionSurvey.objects.count() == 1
    assert municipality.satisfaction_question_text not in late.received
