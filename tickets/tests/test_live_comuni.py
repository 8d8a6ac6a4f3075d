"""The live console's change stamp per comune (issue #24): on a deployment serving several
comuni a citizen writing to one comune wakes that comune's consoles only; the others' polls
answer from the cache and ask the database nothing about tickets. Through the real doors: the
signed webhook into the view (its pipeline run as the worker runs it) and the live endpoint the
console polls."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.fixtures.comuni import ASSEMINI_NUMBER, CAGLIARI_NUMBER, PHONE, text_to
from tests.fixtures.webhooks import post_signed_webhook
from tickets.models import Message, Ticket, TicketEvent
from urp_portal.accounts.models import StaffMembership
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory, pass_second_factor
from urp_portal.municipality.models import Municipality

LIVE = "/admin/tickets/ticket/live/"
TICKET_TABLES = (Message._meta.db_table, TicketEvent._meta.db_table, Ticket._meta.db_table)


class Console:
    """An operator of one comune with the inbox open: polls as live.js does, carrying the
    cursors and the stamp of its last answer."""

    def __init__(self, comune, username: str) -> None:
        user = UserFactory(username=username, roles=[Role.OPERATOR], is_staff=True)
        StaffMembership.objects.create(user=user, comune=comune)
        self.client = Client()
        self.client.force_login(user)
        pass_second_factor(self.client, user)
        self.last: dict = {"m": 0, "e": 0}
        self.poll()

    def poll(self) -> tuple[dict, list[str]]:
        """The answer, and the statements the poll sent to the database."""
        params = {"m": self.last["m"], "e": self.last["e"], "inbox": ""}
        if "v" in self.last:
            params["v"] = self.last["v"]
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(LIVE, params)
        assert response.status_code == 200
        self.last = response.json()
        return self.last, [query["sql"] for query in queries.captured_queries]


def _reads_tickets(statements: list[str]) -> list[str]:
    return [
        sql for sql in statements if any(f'"{t}"' in sql or f" {t} " in sql for t in TICKET_TABLES)
    ]


def _citizen_writes(whatsapp, number: str, text: str) -> None:
    whatsapp.deliver(
        lambda: post_signed_webhook(whatsapp.client, text_to(number, sender=PHONE, text=text))
    )


@pytest.fixture
def consoles(two_comuni, shared_cache, whatsapp):
    cagliari, assemini = two_comuni
    # Assemini asks who writes before it opens a ticket (its identity questions); here its
    # citizen's first message opens one at once, as Cagliari's does.
    Municipality.objects.filter(pk=assemini.pk).update(identity_required=False)
    return Console(cagliari, "op-cagliari"), Console(assemini, "op-assemini")


def test_a_citizen_of_assemini_does_not_make_cagliaris_console_read_the_changes(consoles, whatsapp):
    cagliari, assemini = consoles
    quiet_before, _statements = cagliari.poll()

    _citizen_writes(whatsapp, ASSEMINI_NUMBER, "Buongiorno, info sulla TARI")
    seen_in_cagliari, cagliari_statements = cagliari.poll()
    seen_in_assemini, assemini_statements = assemini.poll()

    # Cagliari's stamp did not move: its poll is answered from the cache, no ticket read.
    assert seen_in_cagliari["v"] == quiet_before["v"]
    assert seen_in_cagliari["changes"] == []
    assert _reads_tickets(cagliari_statements) == []
    # Assemini's did: its poll reads the changes and finds its citizen's new ticket.
    assemini_ticket = Ticket.all_comuni.get(comune__slug="assemini")
    assert _reads_tickets(assemini_statements) != []
    assert {change[1] for change in seen_in_assemini["changes"]} == {assemini_ticket.pk}


def test_a_citizen_of_cagliari_makes_cagliaris_console_read_its_changes(consoles, whatsapp):
    cagliari, assemini = consoles
    cagliari.poll()
    quiet_in_assemini, _statements = assemini.poll()

    _citizen_writes(whatsapp, CAGLIARI_NUMBER, "Buongiorno, orari dell'anagrafe?")
    seen_in_cagliari, cagliari_statements = cagliari.poll()
    seen_in_assemini, assemini_statements = assemini.poll()

    cagliari_ticket = Ticket.all_comuni.get(comune__slug="cagliari")
    assert _reads_tickets(cagliari_statements) != []
    assert {change[1] for change in seen_in_cagliari["changes"]} == {cagliari_ticket.pk}
    assert seen_in_assemini["v"] == quiet_in_assemini["v"]
    assert _reads_tickets(assemini_statements) == []


def test_a_quiet_poll_of_a_comune_asks_the_database_what_a_single_comunes_asks(consoles):
    cagliari, _assemini = consoles
    cagliari.poll()

    _answer, statements = cagliari.poll()

    # The session and the user (as test_live_costs' quiet poll of one comune): the scope comes
    # from the per-process cache, the stamp with the access from the shared cache.
    assert _reads_tickets(statements) == []
    assert not [sql for sql in statements if "municipality" in sql or "staffmembership" in sql]
    assert len(statements) <= 2
