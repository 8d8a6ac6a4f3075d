"""The pages reached without a signed-in staff session, on a deployment of several comuni
(issue #24): none runs in a comune's scope by itself, so each either finds its comune from
what it serves (the forward link: its ticket's comune) or names none (the accessibility
statement, health, the API's schema, the webhook's handshake, the sign-in and invitation
pages). None may answer 500 with ComuneScopeMissing."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.test_comuni_isolation import _signed_in, sides  # noqa: F401 (its fixture)
from urp_portal.accounts.models import StaffMembership
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_sides(request):
    """The isolation tests' two comuni, each with a citizen, a ticket forwarded to a service,
    and its staff (tests/test_comuni_isolation.py, `sides`)."""
    return request.getfixturevalue("sides")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/healthz", {200}),
        # Broker or gateway down on a test machine is a 503 / "degraded": never a 500.
        ("/readyz", {200, 503}),
        ("/admin/login/", {200}),
        # The API's schema and docs are for signed-in callers only: 401, in no scope.
        ("/api/v1/schema/", {401}),
        ("/api/v1/docs/", {401}),
        ("/api/v1/redoc/", {401}),
        ("/api/v1/tickets/", {401}),
        ("/webhooks/whatsapp/meta/?hub.mode=subscribe&hub.verify_token=no&hub.challenge=1", {403}),
        ("/admin/fornitore/invito/MQ/not-a-token/", {200}),
        ("/tickets/media/1/", {302}),
        ("/tickets/inoltri/token-assemini/", {302}),
        ("/una/pagina/che/non/esiste/", {404}),
    ],
)
def test_a_page_without_a_session_answers_in_no_comunes_scope(two_sides, path, expected):
    response = Client(raise_request_exception=True).get(path)

    assert response.status_code in expected, (path, response.status_code)


def test_the_accessibility_statement_names_every_comune_and_speaks_for_none(two_sides):
    response = Client().get("/console/accessibilita/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Questo servizio è usato da più comuni" in html
    assert "Comune di Assemini" in html and "Comune di Cagliari" in html
    # Neither comune's name is the subject of the statement, nor its contacts.
    assert "Il Comune si impegna" in html


def test_the_forward_link_opens_its_tickets_comune_for_a_help_desk(client, two_sides):
    cagliari_side, assemini_side = two_sides
    desk = UserFactory(username="help-desk", roles=[Role.OPERATOR], is_staff=True)
    for side in two_sides:
        StaffMembership.objects.create(user=desk, comune=side.comune)
    _signed_in(client, desk)
    client.post("/admin/comune/", {"comune": cagliari_side.comune.pk, "next": "/admin/"})

    switched = client.get(f"/tickets/inoltri/{assemini_side.forward.token}/")
    opened = client.get(switched["Location"])
    conversation = client.get(opened["Location"])

    # The session now works for Assemini, the ticket's comune, and opens its conversation.
    assert switched.status_code == 302
    assert switched["Location"] == f"/tickets/inoltri/{assemini_side.forward.token}/"
    assert opened.status_code == 302
    assert opened["Location"] == (f"/admin/tickets/ticket/{assemini_side.ticket.pk}/conversation/")
    assert conversation.status_code == 200
    assert client.session["_urp_comune"] == assemini_side.comune.pk


def test_another_comunes_forward_link_is_not_found_and_keeps_the_session(client, two_sides):
    cagliari_side, assemini_side = two_sides
    _signed_in(client, cagliari_side.operator)

    response = client.get(f"/tickets/inoltri/{assemini_side.forward.token}/")
    own = client.get(f"/tickets/inoltri/{cagliari_side.forward.token}/")

    assert response.status_code == 404
    assert own.status_code == 302
    assert own["Location"] == f"/admin/tickets/ticket/{cagliari_side.ticket.pk}/conversation/"


def test_an_unknown_forward_link_is_not_found(client, two_sides):
    cagliari_side, _assemini_side = two_sides
    _signed_in(client, cagliari_side.operator)

    assert client.get("/tickets/inoltri/nessuno/").status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("no_queued_tasks")
def test_the_accessibility_statement_of_several_comuni_passes_axe(browser, live_server, two_comuni):
    from tests.fixtures.browser import SIZES, italian_context, screenshot
    from tests.test_console_accessibility import _violations

    failures = {}
    for viewport, suffix in SIZES:
        context = italian_context(browser, viewport=viewport)
        page = context.new_page()
        page.goto(f"{live_server.url}/console/accessibilita/")
        assert "Comune di Assemini" in page.content()
        bad = _violations(page)
        if bad:
            failures[suffix or "laptop"] = bad
        screenshot(page, f"accessibility-statement-comuni{suffix}.png")
        context.close()
    assert failures == {}
