"""The comune's yearly and monthly report (issue #22, point 6): the page, the CSV file and the
spreadsheet, for the URP only; the accessibility statement and the operator's guide."""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from subscribers.tests.conversation import receive
from tickets import services as ticket_services
from tickets.models import SatisfactionSurvey, Ticket
from tickets.states import SurveyScore, SurveyState
from tickets.tests.factories import operator
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory

ROME = ZoneInfo("Europe/Rome")
MORNING = dt.datetime(2026, 3, 10, 10, 0, tzinfo=ROME)


@pytest.fixture
def year_of_work(municipality):
    """Two requests in March 2026, one answered in time and resolved with a survey answered
    'satisfied'; one subscription and one unsubscription."""
    with time_machine.travel(MORNING, tick=False):
        receive("+393470000001", "Buongiorno, orari dell'anagrafe?")
        receive("+393470000002", "Iscrivimi")
        receive("+393470000003", "Quando scade la TARI?")
        giulia = operator(username="giulia")
        first = Ticket.objects.get(subscriber__number="+393470000001")
        ticket_services.ticket_reply(ticket=first, actor=giulia, text="Dalle 9.")
        ticket_services.ticket_resolve(ticket=first, actor=giulia)
    with time_machine.travel(MORNING + dt.timedelta(days=1), tick=False):
        receive("+393470000002", "Cancellami")
    SatisfactionSurvey.objects.filter(ticket=first).update(
        state=SurveyState.ANSWERED, score=SurveyScore.SATISFIED, answered_at=MORNING
    )
    return giulia


@time_machine.travel(dt.datetime(2026, 12, 20, 10, 0, tzinfo=ROME), tick=False)
def test_the_yearly_report_page_gives_the_figures(client, year_of_work):
    client.force_login(year_of_work)

    page = client.get("/admin/relazione/?anno=2026")

    assert page.status_code == 200
    report = page.context["report"]
    assert (report.tickets.opened, report.tickets.resolved, report.tickets.answered) == (2, 1, 1)
    assert report.satisfaction.sent == 1 and report.satisfaction.satisfied_pct == 100
    assert (report.subscribers_gained, report.subscribers_lost) == (1, 1)
    assert [m["opened"] for m in report.months][:4] == [0, 0, 2, 0]
    assert len(report.months) == 12


@time_machine.travel(dt.datetime(2026, 12, 20, 10, 0, tzinfo=ROME), tick=False)
def test_the_csv_and_the_spreadsheet_carry_the_same_rows(client, year_of_work):
    client.force_login(year_of_work)

    text = client.get("/admin/relazione/relazione.csv?anno=2026&mese=3").content.decode("utf-8-sig")
    workbook = load_workbook(
        io.BytesIO(client.get("/admin/relazione/relazione.xlsx?anno=2026&mese=3").content)
    )

    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Relazione del servizio WhatsApp dell'URP", "2026-03"]
    assert ["Richieste", "aperte", "2"] in rows
    assert ["Gradimento", "soddisfatti (%)", "100%"] in rows
    assert ["Gradimento per operatore", "giulia", "1", "3.0", "100%"] in rows
    assert ["Iscritti alla lista broadcast", "cancellazioni", "1"] in rows
    sheet = workbook.active
    assert sheet.title == "2026-03"
    cells = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    assert ["Richieste", "aperte", 2] in cells
    assert len([r for r in cells if r]) == len([r for r in rows if r])


def test_only_the_urp_reads_the_report(client, municipality):
    client.force_login(UserFactory(roles=[Role.COMMUNICATIONS]))
    assert client.get("/admin/relazione/").status_code == 403
    client.logout()
    assert client.get("/admin/relazione/").status_code == 302


def test_the_accessibility_statement_is_public_and_follows_agids_model(client, municipality):
    page = client.get("/console/accessibilita/")

    text = page.content.decode()
    assert page.status_code == 200
    for heading in (
        "Dichiarazione di accessibilità",
        "Stato di conformità",
        "Contenuti non accessibili",
        "Redazione della dichiarazione di accessibilità",
        "Meccanismo di feedback e recapiti",
        "Procedura di attuazione",
    ):
        assert heading in text
    assert "Comune di Cagliari" in text
    assert "form.agid.gov.it" in text


def test_the_console_top_bar_links_the_guide_report_and_statement(client, municipality):
    client.force_login(operator())

    home = client.get("/admin/").content.decode()
    guide = client.get("/console/guida/")

    for url in ("/console/guida/", "/console/accessibilita/", "/admin/relazione/"):
        assert f'href="{url}"' in home
    assert guide.status_code == 200
    assert guide.content.decode().startswith("# Guida breve per gli operatori dell'URP")


def test_the_home_page_shows_the_late_ones_by_age_and_the_months_satisfaction(client, municipality):
    with time_machine.travel(MORNING, tick=False):
        receive("+393470000009", "Buongiorno, una domanda")
    ticket = Ticket.objects.get()
    late_since = dt.timedelta(days=2)
    with time_machine.travel(ticket.due_at + late_since, tick=False):
        client.force_login(operator())
        home = client.get("/admin/")

    late = home.context["late_by_age"]
    assert [row["n"] for row in late] == [0, 1, 0, 0]
    text = home.content.decode()
    assert "1 da 1-2 giorni" in text
    assert "soddisfatti (mese, 0 risposte)" in text
