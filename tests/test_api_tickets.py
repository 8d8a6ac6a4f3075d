"""The tickets through the API: lists scoped to the caller, the chat, the municipal services;
the operators' and the services' actions are in test_api_ticket_actions."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from tests.fixtures.tickets_api import TICKETS, forwarded_to, service, url
from tickets import services
from tickets.models import Forward, MunicipalService
from tickets.tests.factories import MessageFactory, TicketFactory, operator
from urp_portal.accounts.roles import Role
from urp_portal.accounts.services import api_token_revoke
from urp_portal.accounts.tests.factories import (
    client_with_key,
    make_api_token,
    token_client,
)

pytestmark = pytest.mark.django_db

# --- reading ------------------------------------------------------------------------------------


def test_an_operators_token_lists_every_ticket_newest_first(operator_api):
    older, newer = TicketFactory(), forwarded_to("tributi")

    response = operator_api.get(TICKETS)

    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]
    assert body["next"] is None
    assert body["results"][0]["state"] == "forwarded"
    assert body["results"][0]["service"] == "tributi"
    assert body["results"][0]["citizen"]["number"] == newer.subscriber.number


def test_a_services_token_lists_only_the_tickets_forwarded_to_its_service():
    own = forwarded_to("tributi")
    forwarded_to("anagrafe")
    TicketFactory()

    response = token_client(Role.SERVICE, service_slug="tributi").get(TICKETS)

    assert [row["id"] for row in response.json()["results"]] == [own.pk]


def test_a_services_token_gets_404_for_another_services_ticket():
    other = forwarded_to("anagrafe")
    client = token_client(Role.SERVICE, service_slug="tributi")

    detail = client.get(url(other))
    reply = client.post(url(other, "reply"), {"text": "Risposta"})

    assert (detail.status_code, detail.json()["code"]) == (404, "not_found")
    assert reply.status_code == 404
    assert not Forward.objects.filter(ticket=other).exclude(answer="").exists()


def test_the_list_filters_by_state_and_service():
    forwarded = forwarded_to("tributi")
    forwarded_to("anagrafe")
    TicketFactory()
    client = token_client(Role.OPERATOR)

    by_state = client.get(TICKETS, {"state": "new"}).json()["results"]
    by_service = client.get(TICKETS, {"service": "tributi"}).json()["results"]

    assert all(row["state"] == "new" for row in by_state) and len(by_state) == 1
    assert [row["id"] for row in by_service] == [forwarded.pk]


@pytest.mark.parametrize("how", ["name", "number", "ticket number", "message text"])
def test_the_list_searches_names_numbers_and_texts(operator_api, how):
    wanted = TicketFactory(subscriber__first_name="Gavino", subscriber__number="+393401112223")
    MessageFactory(ticket=wanted, text="Il lampione di via Roma è spento")
    other = TicketFactory(subscriber__first_name="Maria")
    MessageFactory(ticket=other, text="Orari dell'anagrafe")
    MessageFactory(ticket=other, text="Grazie")
    q = {
        "name": "gavino",
        "number": "3401112223",
        "ticket number": f"#{wanted.pk}",
        "message text": "LAMPIONE",
    }[how]

    response = operator_api.get(TICKETS, {"q": q})

    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]


@pytest.mark.parametrize("query", [{"state": "bogus"}, {"state": ""}, {"q": ""}])
def test_a_bad_filter_is_400(operator_api, query):
    response = operator_api.get(TICKETS, query)

    assert response.status_code == 400
    assert list(response.json()["details"]) == list(query)


def test_the_list_pages_by_cursor_in_a_bounded_number_of_queries(
    operator_api, django_assert_max_num_queries
):
    made = [TicketFactory().pk for _ in range(5)]
    operator_api.get(TICKETS)  # the token's last use is written once

    with django_assert_max_num_queries(3):
        first = operator_api.get(TICKETS, {"page_size": 3}).json()
    cursor = parse_qs(urlsplit(first["next"]).query)["cursor"][0]
    second = operator_api.get(TICKETS, {"page_size": 3, "cursor": cursor}).json()

    seen = [row["id"] for row in first["results"] + second["results"]]
    assert seen == sorted(made, reverse=True)
    assert second["next"] is None


def test_the_detail_has_the_whole_chat_in_order_and_the_forwards(
    operator_api, django_assert_max_num_queries
):
    ticket = TicketFactory()
    now = timezone.now()
    MessageFactory(ticket=ticket, text="Prima", at=now - dt.timedelta(minutes=5))
    MessageFactory(ticket=ticket, text="Seconda", at=now - dt.timedelta(minutes=1))
    services.ticket_forward(
        ticket=ticket,
        service=service("tributi"),
        note="TARI",
        actor=operator(),
        site_url="http://t/",
    )
    operator_api.get(url(ticket))

    with django_assert_max_num_queries(4):
        response = operator_api.get(url(ticket))

    body = response.json()
    assert response.status_code == 200
    assert [m["text"] for m in body["messages"]][:2] == ["Prima", "Seconda"]
    note = body["messages"][2]
    assert (note["origin"], note["internal"], note["delivery"]) == ("note", True, None)
    assert body["forwards"][0]["service"] == "tributi"
    assert body["forwards"][0]["note"] == "TARI"


@pytest.mark.parametrize("role", [Role.COMMUNICATIONS, Role.MODERATOR])
def test_tickets_are_not_for_communications_or_moderators(role):
    ticket = TicketFactory()

    assert token_client(role).get(TICKETS).status_code == 403
    assert token_client(role).get(url(ticket)).status_code == 403


def test_a_revoked_token_gets_401():
    token, key = make_api_token(Role.OPERATOR)
    client = client_with_key(key)
    assert client.get(TICKETS).status_code == 200
    api_token_revoke(token=token)

    response = client.get(TICKETS)

    assert (response.status_code, response.json()["code"]) == (401, "token_revoked")


def test_a_console_operators_session_reads_the_tickets_too(client):
    ticket = TicketFactory()
    client.force_login(operator())

    response = client.get(url(ticket))

    assert response.status_code == 200
    assert response.json()["id"] == ticket.pk


# --- municipal services -------------------------------------------------------------------------


def test_the_services_are_listed_by_slug_and_name():
    MunicipalService.objects.create(slug="chiuso", name="Ufficio chiuso", is_active=False)

    response = token_client(Role.OPERATOR).get("/api/v1/services/")

    assert response.status_code == 200
    slugs = {row["slug"] for row in response.json()["results"]}
    assert {
        "anagrafe",
        "tributi",
        "polizia-municipale",
        "lavori-pubblici",
        "servizi-sociali",
    } <= slugs
    assert "chiuso" not in slugs
    assert set(response.json()["results"][0]) == {"slug", "name"}


@pytest.mark.parametrize("query", [{"page_size": "abc"}, {"page_size": "0"}, {"page": ""}])
def test_a_bad_page_is_400(query):
    response = token_client(Role.OPERATOR).get("/api/v1/services/", query)

    assert response.status_code == 400
    assert list(response.json()["details"]) == list(query)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tickets/99999999999999999999999/",
        "/api/v1/campaigns/99999999999999999999999/",
        "/api/v1/subscribers/99999999999999999999999/export/",
    ],
)
def test_an_id_too_large_for_the_database_is_404_not_an_overflow(path):
    response = token_client(Role.ADMINISTRATOR).get(path)

    assert (response.status_code, response.json()["code"]) == (404, "not_found")
