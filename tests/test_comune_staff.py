"""A comune's staff, managed by its administrators and by the provider's (issue #24): through
the real pages, on two comuni served side by side. A new account invited with a one-time link,
an existing one added, a role changed, a membership removed; never another comune's account
(404), never by an operator (403), and the list in a fixed number of queries."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from urp_portal.accounts.models import StaffMembership
from urp_portal.accounts.roles import GROUP_NAMES, Role
from urp_portal.accounts.tests.factories import UserFactory, pass_second_factor
from urp_portal.audit.models import AuditEvent
from urp_portal.municipality.scope import forget_serves_other_comuni


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    pass_second_factor(client, user)
    return client


def _provider(session_comune):
    """The provider's administrator; its console session works for `session_comune` (the
    fixture's comuni have no active one for an account of none), its pages for any comune."""
    provider = UserFactory(username="fornitore", provider=True)
    StaffMembership.objects.create(user=provider, comune=session_comune)
    return provider


def _roles(user) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def _comuni(user) -> list[str]:
    return sorted(StaffMembership.objects.filter(user=user).values_list("comune__slug", flat=True))


def test_an_administrator_invites_a_new_colleague_with_a_one_time_link(comuni_staff):
    _cagliari, _assemini, people = comuni_staff
    client = _signed_in(people["admin"])

    response = client.post(
        "/admin/personale/",
        {
            "invita": "1",
            "nuovo-username": "anna.rossi",
            "nuovo-first_name": "Anna",
            "nuovo-email": "anna.rossi@comune.cagliari.it",
            "nuovo-role": Role.COMMUNICATIONS,
        },
    )

    assert response.status_code == 200
    anna = get_user_model().objects.get(username="anna.rossi")
    assert anna.is_staff and not anna.has_usable_password()
    assert _roles(anna) == [GROUP_NAMES[Role.COMMUNICATIONS]]
    assert _comuni(anna) == ["cagliari"]
    link = response.context["link"]
    assert link in response.content.decode()
    assert len(mail.outbox) == 1 and link in mail.outbox[0].body
    assert AuditEvent.all_comuni.filter(
        action="admin_added", target_id=str(anna.pk), actor_id=people["admin"].pk
    ).exists()
    # The link is the provider's invitation page: the person sets a password once.
    form_page = Client().get(urlsplit(link).path, follow=True)
    assert form_page.context["validlink"]


def test_a_taken_username_is_shown_on_the_page_and_nothing_is_made(comuni_staff):
    _cagliari, _assemini, people = comuni_staff
    client = _signed_in(people["admin"])

    response = client.post(
        "/admin/personale/",
        {"invita": "1", "nuovo-username": "OP.ASSEMINI", "nuovo-role": Role.OPERATOR},
    )

    assert response.status_code == 200
    assert "è già usato" in response.content.decode()
    assert get_user_model().objects.filter(username__iexact="op.assemini").count() == 1


def test_an_existing_account_joins_the_comune_and_keeps_its_other_one(comuni_staff):
    _cagliari, _assemini, people = comuni_staff
    client = _signed_in(people["admin"])

    added = client.post("/admin/personale/", {"aggiungi": "1", "esistente-username": "op.assemini"})
    page = client.get("/admin/personale/")

    assert added.status_code == 302
    assert _comuni(people["theirs"]) == ["assemini", "cagliari"]
    row = next(row for row, _url in page.context["rows"] if row.user == people["theirs"])
    assert row.other_comuni == [_assemini.name]


def test_an_unknown_or_already_present_account_is_refused_with_a_message(comuni_staff):
    _cagliari, _assemini, people = comuni_staff
    client = _signed_in(people["admin"])

    unknown = client.post("/admin/personale/", {"aggiungi": "1", "esistente-username": "nessuno"})
    present = client.post("/admin/personale/", {"aggiungi": "1", "esistente-username": "helpdesk"})

    assert "Nessun account attivo" in unknown.content.decode()
    assert "fa già parte del personale" in present.content.decode()


def test_an_administrator_changes_the_role_of_an_account_of_their_comune_alone(comuni_staff):
    _cagliari, _assemini, people = comuni_staff
    client = _signed_in(people["admin"])
    operator = people["operator"]

    response = client.post(f"/admin/personale/{operator.pk}/", {"ruolo": "1", "role": "moderator"})

    assert response.status_code == 302
    assert _roles(operator) == [GROUP_NAMES[Role.MODERATOR]]
    event = AuditEvent.all_comuni.get(action="admin_changed", target_id=str(operator.pk))
    assert event.details["role"] == "moderator"
    assert event.details["groups_before"] == [GROUP_NAMES[Role.OPERATOR]]


def test_a_shared_accounts_role_is_the_providers_to_change(comuni_staff):
    cagliari, _assemini, people = comuni_staff
    desk = people["desk"]
    provider = _provider(cagliari)

    refused = _signed_in(people["admin"]).post(
        f"/admin/personale/{desk.pk}/", {"ruolo": "1", "role": "administrator"}
    )
    roles_after_refusal = _roles(desk)
    done = _signed_in(provider).post(
        f"/admin/fornitore/comuni/{cagliari.pk}/personale/{desk.pk}/",
        {"ruolo": "1", "role": "moderator"},
    )

    assert refused.status_code == 200
    assert "il ruolo vale per tutti" in refused.content.decode()
    assert roles_after_refusal == [GROUP_NAMES[Role.OPERATOR]]
    assert done.status_code == 302
    assert _roles(desk) == [GROUP_NAMES[Role.MODERATOR]]


def test_removal_takes_the_membership_and_deactivates_an_account_left_with_no_comune(comuni_staff):
    _cagliari, _assemini, people = comuni_staff
    client = _signed_in(people["admin"])
    desk, operator = people["desk"], people["operator"]

    client.post(f"/admin/personale/{desk.pk}/", {"rimuovi": "1"})
    client.post(f"/admin/personale/{operator.pk}/", {"rimuovi": "1"})
    desk.refresh_from_db()
    operator.refresh_from_db()

    # The help desk still works for Assemini; the operator had no other comune: with none it
    # would work for the active comune, so it is switched off instead.
    assert (_comuni(desk), desk.is_active) == (["assemini"], True)
    assert (_comuni(operator), operator.is_active) == ([], False)
    assert _signed_in(operator).get("/admin/").status_code == 302
    removals = AuditEvent.all_comuni.filter(action="admin_deleted", actor_id=people["admin"].pk)
    assert removals.count() == 2


def test_an_administrator_cannot_remove_or_demote_themselves(comuni_staff):
    _cagliari, _assemini, people = comuni_staff
    admin = people["admin"]
    client = _signed_in(admin)

    removal = client.post(f"/admin/personale/{admin.pk}/", {"rimuovi": "1"})
    demotion = client.post(f"/admin/personale/{admin.pk}/", {"ruolo": "1", "role": "operator"})

    assert "Non può togliere sé stesso" in removal.content.decode()
    assert "Non può togliere a sé stesso il ruolo" in demotion.content.decode()
    assert _comuni(admin) == ["cagliari"] and _roles(admin) == [GROUP_NAMES[Role.ADMINISTRATOR]]


def test_another_comunes_account_is_not_there(comuni_staff):
    _cagliari, _assemini, people = comuni_staff
    client = _signed_in(people["admin"])
    theirs = people["theirs"]

    page = client.get(f"/admin/personale/{theirs.pk}/")
    role = client.post(f"/admin/personale/{theirs.pk}/", {"ruolo": "1", "role": "administrator"})
    removal = client.post(f"/admin/personale/{theirs.pk}/", {"rimuovi": "1"})
    listed = client.get("/admin/personale/")

    assert (page.status_code, role.status_code, removal.status_code) == (404, 404, 404)
    assert _roles(theirs) == [GROUP_NAMES[Role.OPERATOR]] and _comuni(theirs) == ["assemini"]
    assert theirs not in [row.user for row, _url in listed.context["rows"]]
    assert {row.user.username for row, _url in listed.context["rows"]} == {
        "admin.cagliari",
        "op.cagliari",
        "helpdesk",
    }


def test_an_operator_may_not_manage_the_staff(comuni_staff):
    _cagliari, _assemini, people = comuni_staff
    client = _signed_in(people["operator"])

    pages = [
        client.get("/admin/personale/"),
        client.post("/admin/personale/", {"aggiungi": "1", "esistente-username": "op.assemini"}),
        client.post(f"/admin/personale/{people['admin'].pk}/", {"rimuovi": "1"}),
        client.get(f"/admin/fornitore/comuni/{people['admin'].pk}/personale/"),
    ]

    assert [page.status_code for page in pages] == [403, 403, 403, 403]
    assert _comuni(people["theirs"]) == ["assemini"]
    assert _comuni(people["admin"]) == ["cagliari"]


def test_the_provider_manages_any_comunes_staff_from_its_pages(comuni_staff):
    cagliari, assemini, _people = comuni_staff
    provider = _provider(cagliari)
    client = _signed_in(provider)

    listed = client.get(f"/admin/fornitore/comuni/{assemini.pk}/personale/")
    invited = client.post(
        f"/admin/fornitore/comuni/{assemini.pk}/personale/",
        {"invita": "1", "nuovo-username": "mod.assemini", "nuovo-role": Role.MODERATOR},
    )

    assert {row.user.username for row, _url in listed.context["rows"]} == {
        "op.assemini",
        "helpdesk",
    }
    assert invited.status_code == 200
    assert _comuni(get_user_model().objects.get(username="mod.assemini")) == ["assemini"]


def test_the_staff_list_takes_the_same_queries_for_three_or_thirty_accounts(
    comuni_staff, django_assert_max_num_queries
):
    cagliari, assemini, people = comuni_staff
    client = _signed_in(people["admin"])
    client.get("/admin/personale/")  # the session's comuni and the scope's caches, warmed
    for n in range(27):
        user = UserFactory(username=f"collega{n}", roles=[Role.OPERATOR])
        StaffMembership.objects.create(user=user, comune=cagliari)
        if n % 2:
            StaffMembership.objects.create(user=user, comune=assemini)

    with django_assert_max_num_queries(12):
        response = client.get("/admin/personale/")

    assert len(response.context["rows"]) == 30


def test_on_a_single_comune_the_accounts_of_no_comune_are_its_staff(municipality, client):
    admin = UserFactory(username="admin", roles=[Role.ADMINISTRATOR])
    UserFactory(username="operatore", roles=[Role.OPERATOR])
    forget_serves_other_comuni()
    client = _signed_in(admin)

    listed = client.get("/admin/personale/")
    home = client.get("/admin/")

    assert {row.user.username for row, _url in listed.context["rows"]} == {"admin", "operatore"}
    assert "/admin/personale/" in home.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_staff_pages_are_accessible_and_pictured(browser, live_server, two_comuni):
    """The staff list and an account's page, at a laptop's and a tablet's size
    (docs/screenshots), with no serious axe-core violation (WCAG 2.1 AA)."""
    from tests.fixtures.browser import SIZES, screenshot, session_context
    from tests.test_console_accessibility import _violations

    cagliari, assemini = two_comuni
    forget_serves_other_comuni()
    admin = UserFactory(
        username="admin.cagliari", first_name="Marta", last_name="Pinna", roles=["administrator"]
    )
    operator = UserFactory(
        username="op.cagliari", first_name="Luca", last_name="Sanna", roles=["operator"]
    )
    desk = UserFactory(
        username="sportello", first_name="Sara", last_name="Melis", roles=["operator"]
    )
    for user, comuni in ((admin, [cagliari]), (operator, [cagliari]), (desk, [cagliari, assemini])):
        for comune in comuni:
            StaffMembership.objects.create(user=user, comune=comune)
    client = _signed_in(admin)
    found = {}
    for viewport, suffix in SIZES:
        context = session_context(browser, live_server, client, viewport=viewport)
        page = context.new_page()
        for name, path in (
            ("staff-list", "/admin/personale/"),
            ("staff-member", f"/admin/personale/{desk.pk}/"),
        ):
            page.goto(f"{live_server.url}{path}")
            screenshot(page, f"{name}{suffix}.png", full_page=True)
            found[f"{name}{suffix}"] = (_violations(page), page.locator("h1").inner_text())
        context.close()

    assert found == {
        "staff-list": ([], f"Personale · {cagliari.name}"),
        "staff-list-tablet": ([], f"Personale · {cagliari.name}"),
        "staff-member": ([], f"Sara Melis, personale di {cagliari.name}"),
        "staff-member-tablet": ([], f"Sara Melis, personale di {cagliari.name}"),
    }
