"""The provider administrator (issue #24): the province, in-house company or vendor running one
deployment for many comuni. Through the real pages: a comune from a preset bound to its number
(secrets sealed, never shown back), its first administrator with an invitation link, the
comuni's health in counts only; and the doors that stay shut (tickets, subscribers, messages)
without a comune's membership and role."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from broadcasts.tests.factories import MessageTemplateFactory
from subscribers.tests.factories import SubscriberFactory
from tickets.models import Ticket
from tickets.states import TicketState
from tickets.tests.factories import MessageFactory, TicketFactory
from urp_portal.accounts.models import StaffMembership
from urp_portal.accounts.roles import GROUP_NAMES, PROVIDER_GROUP_NAME, Role
from urp_portal.accounts.second_factor import user_needs_second_factor
from urp_portal.accounts.tests.factories import UserFactory
from urp_portal.audit.models import AuditEvent
from urp_portal.gateway.models import InboundMessage
from urp_portal.municipality.models import Municipality, WhatsAppNumber
from urp_portal.municipality.scope import comune_scope
from urp_portal.municipality.sealed import unseal
from urp_portal.provider.health import provider_health

SECRETS_KEY = "a-test-only-key-of-at-least-32-characters"
TOKEN = "EAAG-token-of-sestu-never-shown"
APP_SECRET = "app-secret-of-sestu-never-shown"
CITIZEN_TEXT = "La buca in via Segreta 12 è ancora lì"
CITIZEN_NAME = "Ottavio Riservato"
CITIZEN_NUMBER = "+393479998877"


@pytest.fixture
def provider(db, settings):
    settings.URP_SECRETS_KEY = [SECRETS_KEY]
    user = UserFactory(username="fornitore", provider=True)
    return user


@pytest.fixture
def provider_client(provider) -> Client:
    client = Client()
    client.force_login(provider)
    return client


def _create_sestu(client: Client):
    return client.post(
        "/admin/fornitore/comuni/nuovo/",
        {
            "preset": "assemini",
            "slug": "sestu",
            "name": "Sestu",
            "display_number": "+390702345678",
            "phone_number_id": "200000000000077",
            "business_account_id": "waba-sestu",
            "access_token": TOKEN,
            "app_secret": APP_SECRET,
        },
    )


def test_the_provider_group_exists_and_must_pass_the_second_factor(provider):
    assert Group.objects.get(name=PROVIDER_GROUP_NAME).permissions.count() == 0
    assert user_needs_second_factor(provider)


def test_a_provider_creates_a_comune_from_a_preset_bound_to_its_number(
    municipality, provider, provider_client
):
    response = _create_sestu(provider_client)

    sestu = Municipality.objects.get(slug="sestu")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/fornitore/comuni/{sestu.pk}/amministratore/"
    assert sestu.name == "Sestu" and sestu.whatsapp_number == "+390702345678"
    assert not sestu.is_active  # the deployment's own comune stays the active one
    assert municipality.pk != sestu.pk
    assert Municipality.objects.get(pk=municipality.pk).is_active
    # The preset's configuration: Assemini's identity questions at first contact.
    assert sestu.identity_required
    number = WhatsAppNumber.objects.get(comune=sestu)
    assert number.phone_number_id == "200000000000077"
    assert number.business_account_id == "waba-sestu"
    # Sealed at rest: neither secret is stored in clear, both open with the key.
    assert TOKEN not in number.access_token_sealed and APP_SECRET not in number.app_secret_sealed
    assert unseal(number.access_token_sealed) == TOKEN
    assert unseal(number.app_secret_sealed) == APP_SECRET
    event = AuditEvent.all_comuni.filter(actor_id=provider.pk).latest("at")
    assert TOKEN not in str(event.details) and APP_SECRET not in str(event.details)


def test_an_existing_comune_is_not_overwritten_by_a_preset(municipality, provider_client):
    _create_sestu(provider_client)
    Municipality.objects.filter(slug="sestu").update(name="Sestu (modificato)")

    response = _create_sestu(provider_client)

    assert response.status_code == 200
    assert "Esiste già un comune" in response.content.decode()
    assert Municipality.objects.get(slug="sestu").name == "Sestu (modificato)"


def test_the_number_page_never_shows_the_secrets_back(municipality, provider_client):
    _create_sestu(provider_client)
    sestu = Municipality.objects.get(slug="sestu")

    page = provider_client.get(f"/admin/fornitore/comuni/{sestu.pk}/numero/").content.decode()

    assert "200000000000077" in page and "waba-sestu" in page
    assert TOKEN not in page and APP_SECRET not in page
    assert unseal(WhatsAppNumber.objects.get(comune=sestu).access_token_sealed) not in page
    assert "già salvato" in page
    # Saving with the secret fields empty keeps the stored secrets.
    provider_client.post(
        f"/admin/fornitore/comuni/{sestu.pk}/numero/",
        {"phone_number_id": "200000000000077", "business_account_id": "waba-sestu-2"},
    )
    number = WhatsAppNumber.objects.get(comune=sestu)
    assert number.business_account_id == "waba-sestu-2"
    assert unseal(number.access_token_sealed) == TOKEN


def test_a_number_of_another_comune_is_refused(municipality, provider_client):
    _create_sestu(provider_client)
    provider_client.post(
        "/admin/fornitore/comuni/nuovo/",
        {"preset": "ancona", "slug": "monserrato", "name": "Monserrato", "phone_number_id": "300"},
    )
    monserrato = Municipality.objects.get(slug="monserrato")

    response = provider_client.post(
        f"/admin/fornitore/comuni/{monserrato.pk}/numero/", {"phone_number_id": "200000000000077"}
    )

    assert response.status_code == 200
    assert "è già del comune" in response.content.decode()
    assert WhatsAppNumber.objects.get(phone_number_id="200000000000077").comune.slug == "sestu"


def test_a_new_comune_on_a_taken_number_is_not_created_at_all(municipality, provider_client):
    _create_sestu(provider_client)

    response = provider_client.post(
        "/admin/fornitore/comuni/nuovo/",
        {
            "preset": "ancona",
            "slug": "quartu",
            "name": "Quartu",
            "phone_number_id": "200000000000077",
        },
    )

    assert response.status_code == 200
    assert "è già del comune" in response.content.decode()
    # The preset's configuration went with the refused number: no half-made comune is left.
    assert not Municipality.objects.filter(slug="quartu").exists()


def test_the_first_administrator_sets_a_password_from_the_invitation(municipality, provider_client):
    _create_sestu(provider_client)
    sestu = Municipality.objects.get(slug="sestu")

    response = provider_client.post(
        f"/admin/fornitore/comuni/{sestu.pk}/amministratore/",
        {"username": "admin.sestu", "first_name": "Maria", "email": "urp@comune.sestu.ca.it"},
    )

    assert response.status_code == 200
    admin = get_user_model().objects.get(username="admin.sestu")
    assert admin.is_staff and not admin.has_usable_password()
    assert list(admin.groups.values_list("name", flat=True)) == [GROUP_NAMES[Role.ADMINISTRATOR]]
    assert list(StaffMembership.objects.filter(user=admin).values_list("comune", flat=True)) == [
        sestu.pk
    ]
    link = response.context["link"]
    assert link in response.content.decode()
    assert len(mail.outbox) == 1 and link in mail.outbox[0].body
    assert mail.outbox[0].to == ["urp@comune.sestu.ca.it"]

    invited = Client()
    form_page = invited.get(urlsplit(link).path, follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"]
    done = invited.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "una-password-lunga-2026!", "new_password2": "una-password-lunga-2026!"},
    )
    assert done.status_code == 302 and done["Location"] == "/admin/login/"
    admin.refresh_from_db()
    assert admin.check_password("una-password-lunga-2026!")
    # The link works once.
    again = Client().get(urlsplit(link).path, follow=True)
    assert not again.context["validlink"]


def test_a_taken_username_is_refused(municipality, provider, provider_client):
    _create_sestu(provider_client)
    sestu = Municipality.objects.get(slug="sestu")

    response = provider_client.post(
        f"/admin/fornitore/comuni/{sestu.pk}/amministratore/", {"username": "FORNITORE"}
    )

    assert "già usato" in response.content.decode()
    assert not StaffMembership.objects.filter(comune=sestu).exists()


def _citizen_of(comune: Municipality, *, late: bool):
    subscriber = SubscriberFactory(
        number=CITIZEN_NUMBER, first_name="Ottavio", last_name="Riservato", comune=comune
    )
    now = timezone.now()
    ticket = TicketFactory(
        subscriber=subscriber,
        comune=comune,
        state=TicketState.OPEN,
        due_at=now - dt.timedelta(days=1) if late else now + dt.timedelta(days=1),
    )
    MessageFactory(ticket=ticket, text=CITIZEN_TEXT)
    return ticket


def test_the_health_page_counts_per_comune_and_shows_no_citizen(
    municipality, provider_client, django_assert_max_num_queries
):
    _create_sestu(provider_client)
    sestu = Municipality.objects.get(slug="sestu")
    _citizen_of(sestu, late=True)
    _citizen_of(municipality, late=False)
    InboundMessage.objects.create(
        provider_id="wamid.health.1",
        sender=CITIZEN_NUMBER,
        sent_at=timezone.now(),
        kind="text",
        comune=sestu,
        text=CITIZEN_TEXT,
        state="received",
    )

    with comune_scope(sestu):
        MessageTemplateFactory(approval_status="approved")
        MessageTemplateFactory(approval_status="rejected")

    # The figures are a constant handful (next test); the rest is the admin's frame, the
    # session, the second factor and the request's comune scope.
    with django_assert_max_num_queries(30):
        page = provider_client.get("/admin/fornitore/")

    html = page.content.decode()
    assert page.status_code == 200
    rows = {row.comune.slug: row for row in page.context["health"].comuni}
    assert rows["sestu"].late_tickets == 1 and rows[municipality.slug].late_tickets == 0
    assert rows["sestu"].inbound_waiting == 1 and rows[municipality.slug].inbound_waiting == 0
    assert rows["sestu"].last_inbound_at is not None
    assert rows["sestu"].phone_number_ids == ["200000000000077"]
    # Templates by state, per comune (each comune's WABA).
    assert (rows["sestu"].templates["approvato"], rows["sestu"].templates["rifiutato"]) == (1, 1)
    assert rows[municipality.slug].templates_total == 0
    assert "Salute dei comuni" in html and "Sestu" in html
    # The workers' queues by their Italian names, as on the dashboard.
    assert ">stati dei messaggi<" in html and ">citizens<" not in html
    for secret in (CITIZEN_TEXT, CITIZEN_NAME, "Riservato", CITIZEN_NUMBER, "3479998877", TOKEN):
        assert secret not in html


def test_the_health_figures_do_not_grow_queries_with_the_comuni(municipality, provider_client):
    with CaptureQueriesContext(connection) as one_comune:
        provider_health()
    for n in range(3):
        provider_client.post(
            "/admin/fornitore/comuni/nuovo/",
            {"preset": "ancona", "slug": f"c{n}", "name": f"C{n}", "phone_number_id": f"9{n}"},
        )

    with CaptureQueriesContext(connection) as four_comuni:
        health = provider_health()

    assert len(health.comuni) == 4
    # One aggregate per figure: reach per comune and per portfolio are two.
    assert len(four_comuni) == len(one_comune) <= 11


@pytest.mark.parametrize(
    "path",
    [
        "/admin/tickets/ticket/",
        "/admin/gateway/inboundmessage/",
        "/admin/gateway/outboundmessage/",
        "/admin/subscribers/subscriber/",
        "/admin/moderation/moderationcase/",
    ],
)
def test_without_a_membership_and_a_role_the_provider_opens_no_citizen_list(
    municipality, provider_client, path
):
    _citizen_of(municipality, late=True)

    response = provider_client.get(path)

    assert response.status_code == 403
    assert CITIZEN_TEXT not in response.content.decode()


def test_without_a_membership_and_a_role_the_provider_opens_no_ticket(
    municipality, provider_client
):
    ticket = _citizen_of(municipality, late=True)

    pages = [
        f"/admin/tickets/ticket/{ticket.pk}/conversation/",
        f"/admin/subscribers/subscriber/{ticket.subscriber_id}/change/",
        f"/api/v1/tickets/{ticket.pk}/",
        "/api/v1/tickets/",
        f"/api/v1/subscribers/?number={CITIZEN_NUMBER}",
    ]
    for path in pages:
        response = provider_client.get(path)
        assert response.status_code in (403, 404), (path, response.status_code)
        assert CITIZEN_TEXT not in response.content.decode(), path
        assert "Riservato" not in response.content.decode(), path


def test_only_providers_open_the_provider_pages(municipality, db):
    operator = UserFactory(roles=[Role.ADMINISTRATOR])
    client = Client()
    client.force_login(operator)
    sestu = Municipality.objects.create(slug="x", name="X", whatsapp_number="+390700000000")

    for path in (
        "/admin/fornitore/",
        "/admin/fornitore/comuni/nuovo/",
        f"/admin/fornitore/comuni/{sestu.pk}/numero/",
        f"/admin/fornitore/comuni/{sestu.pk}/amministratore/",
    ):
        assert client.get(path).status_code == 403, path
    assert Client().get("/admin/fornitore/").status_code == 302  # to the sign-in


def test_the_provider_lands_on_the_health_page_and_the_home_page_links_it(
    municipality, provider, provider_client
):
    home = provider_client.get("/admin/")
    provider.set_password("una-password-lunga-per-i-test")
    provider.save()

    signed_in = Client().post(
        "/admin/login/",
        {"username": "fornitore", "password": "una-password-lunga-per-i-test", "next": "/admin/"},
    )

    assert signed_in.status_code == 302 and signed_in["Location"] == "/admin/fornitore/"
    assert 'href="/admin/fornitore/"' in home.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("no_queued_tasks")
def test_the_provider_pages_pass_axe_on_a_laptop_and_a_tablet(
    browser, live_server, municipality, settings
):
    from tests.fixtures.browser import SIZES, screenshot, session_context
    from tests.test_console_accessibility import _violations

    settings.URP_SECRETS_KEY = [SECRETS_KEY]
    user = UserFactory(username="fornitore", provider=True)
    client = Client()
    client.force_login(user)
    _create_sestu(client)
    # Two comuni in two WABAs of one business portfolio: one messaging limit on the page.
    for preset, slug, name, number in (
        ("ancona", "monserrato", "Monserrato", "200000000000078"),
        ("san_giuliano", "quartu", "Quartu Sant'Elena", "200000000000079"),
    ):
        client.post(
            "/admin/fornitore/comuni/nuovo/",
            {
                "preset": preset,
                "slug": slug,
                "name": name,
                "phone_number_id": number,
                "business_account_id": f"waba-{slug}",
                "business_portfolio_id": "880000000000001",
            },
        )
    # The active comune, on the deployment's number, in that portfolio too.
    settings.WHATSAPP_BUSINESS_PORTFOLIO_ID = "880000000000001"
    Municipality.objects.update(messaging_limit=2000)
    sestu = Municipality.objects.get(slug="sestu")
    _citizen_of(sestu, late=True)
    failures = {}
    for viewport, suffix in SIZES:
        context = session_context(browser, live_server, client, viewport=viewport)
        page = context.new_page()
        for path, name in (
            ("/admin/fornitore/", "provider-health"),
            ("/admin/fornitore/comuni/nuovo/", "provider-new-comune"),
            (f"/admin/fornitore/comuni/{sestu.pk}/numero/", ""),
            (f"/admin/fornitore/comuni/{sestu.pk}/amministratore/", ""),
        ):
            page.goto(f"{live_server.url}{path}")
            assert page.locator("#content-main").count() == 1, path
            bad = _violations(page)
            if bad:
                failures[f"{path}{suffix}"] = bad
            if name:
                # The health page whole: the portfolios' limits are below the comuni.
                screenshot(page, f"{name}{suffix}.png", full_page=name == "provider-health")
        context.close()
    assert failures == {}
    assert Ticket.all_comuni.filter(comune=sestu).count() == 1
