"""An object's history page on two comuni served side by side (issue #24): a comune's staff read
only the changes made while working in their comune (municipality/admin_scope.py,
ComuneHistoryOnly), never another comune's staff's names and words, on an account shared by a
help desk, on the deployment's rate card and on the comune's own rows; the provider's superuser
reads them all; a deployment of one comune keeps the page as it was. Through the real pages,
signed in with the second factor passed."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test import RequestFactory

from broadcasts.models import RateCard
from subscribers.models import Subscriber
from subscribers.tests.factories import SubscriberFactory
from tests.test_comune_staff import _signed_in
from tests.test_comune_user_admin import _change
from urp_portal.accounts.models import StaffMembership
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory
from urp_portal.municipality.admin_scope import ComuneHistoryOnly
from urp_portal.municipality.models import LogEntryComune
from urp_portal.municipality.scope import comune_scope


def _history(response) -> str:
    """The page's list of changes (the header names the reader, not the list)."""
    assert response.status_code == 200
    return response.content.decode().split('id="change-history"', 1)[1].split("</table>", 1)[0]


def _edit(client, account, **fields) -> None:
    account.refresh_from_db()
    response = client.post(f"/admin/auth/user/{account.pk}/change/", _change(account, **fields))
    assert response.status_code == 302, response.content.decode()[:2000]


def _root(comune):
    """The provider's superuser, its session working for `comune`."""
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = _signed_in(root)
    client.post("/admin/comune/", {"comune": comune.pk})
    return client


@pytest.fixture
def shared_desk(comuni_staff):
    """A help desk account edited by Cagliari's administrator while it was Cagliari's alone,
    then by Assemini's while it was Assemini's alone, then shared by both (each comune's
    administrator may change an account only while the comune holds it alone)."""
    cagliari, assemini, people = comuni_staff
    people["their_admin"] = UserFactory(username="admin.assemini", roles=[Role.ADMINISTRATOR])
    StaffMembership.objects.create(user=people["their_admin"], comune=assemini)
    desk = UserFactory(username="sportello", roles=[Role.OPERATOR], is_staff=True)
    membership = StaffMembership.objects.create(user=desk, comune=cagliari)
    _edit(_signed_in(people["admin"]), desk, first_name="Da Cagliari")
    membership.delete()
    StaffMembership.objects.create(user=desk, comune=assemini)
    _edit(_signed_in(people["their_admin"]), desk, last_name="Da Assemini")
    StaffMembership.objects.create(user=desk, comune=cagliari)
    return cagliari, assemini, people, desk


def test_a_comunes_administrator_reads_only_the_comunes_changes_of_a_shared_account(
    shared_desk,
):
    _cagliari, _assemini, people, desk = shared_desk
    url = f"/admin/auth/user/{desk.pk}/history/"

    theirs = _history(_signed_in(people["their_admin"]).get(url))
    ours = _history(_signed_in(people["admin"]).get(url))

    # Each row names who changed what (the account's fields in Italian: user_admin.py).
    assert "admin.assemini" in theirs and "Modificati cognome" in theirs
    assert "admin.cagliari" not in theirs and "Modificati nome" not in theirs
    assert "admin.cagliari" in ours and "Modificati nome" in ours
    assert "admin.assemini" not in ours and "Modificati cognome" not in ours


def test_the_provider_reads_every_comunes_changes_and_its_own_go_to_the_comune_it_worked_for(
    shared_desk,
):
    cagliari, _assemini, people, desk = shared_desk
    url = f"/admin/auth/user/{desk.pk}/history/"
    root = _root(cagliari)
    # A superuser's form holds the rights too: kept as they are.
    groups = list(desk.groups.values_list("pk", flat=True))
    _edit(root, desk, email="sportello@provincia.example.it", is_staff="on", groups=groups)

    everything = _history(root.get(url))
    ours = _history(_signed_in(people["admin"]).get(url))
    theirs = _history(_signed_in(people["their_admin"]).get(url))

    assert all(name in everything for name in ("admin.cagliari", "admin.assemini", "root"))
    assert "root" in ours and "email" in ours
    assert "root" not in theirs and "email" not in theirs


def test_the_history_page_costs_as_many_queries_for_many_changes_as_for_a_few(
    shared_desk, django_assert_max_num_queries
):
    cagliari, assemini, people, desk = shared_desk
    request = RequestFactory().get("/")
    for n in range(30):
        for comune, who in ((cagliari, people["admin"]), (assemini, people["their_admin"])):
            request.user = who
            with comune_scope(comune):
                admin.site.get_model_admin(type(desk)).log_change(request, desk, f"Voce {n}")
    client = _signed_in(people["their_admin"])
    client.get(f"/admin/auth/user/{desk.pk}/history/")  # the session's comune, once

    # The account, its device, the reader's two permission reads, the object, the page's count
    # and its rows (their authors joined): 7 on PostgreSQL; and the session's row where no Redis
    # cache holds it (the embedded default, SQLite). The comune's filter is a subquery of both.
    with django_assert_max_num_queries(8):
        response = client.get(f"/admin/auth/user/{desk.pk}/history/")

    listed = _history(response)
    assert listed.count("admin.assemini") == 31
    assert "admin.cagliari" not in listed


def test_the_deployments_rate_card_shows_each_comune_its_own_changes(shared_desk):
    # Where several comuni are served the card is the provider's to change
    # (tests/test_comuni_shared_admin_rows.py): here it changes it working for Cagliari.
    cagliari, _assemini, people, _desk = shared_desk
    card = RateCard.objects.create(
        valid_from="2026-07-01", marketing="0.0572", utility="0.0248", authentication="0.0248"
    )
    form = {
        "valid_from": "2026-07-01",
        "currency": "EUR",
        "marketing": "0.0600",
        "utility": "0.0248",
        "authentication": "0.0248",
        "source": card.source,
        "note": "Listino di luglio",
        "utility_free_in_window": "on",
    }
    changed = _root(cagliari).post(f"/admin/broadcasts/ratecard/{card.pk}/change/", form)

    ours = _history(_signed_in(people["admin"]).get(f"{_url(card)}history/"))
    theirs = _history(_signed_in(people["their_admin"]).get(f"{_url(card)}history/"))

    assert changed.status_code == 302
    assert "root" in ours
    assert "root" not in theirs


def _url(card) -> str:
    return f"/admin/broadcasts/ratecard/{card.pk}/"


def test_a_comunes_own_row_shows_no_change_of_unknown_comune(shared_desk):
    """An entry written outside any comune (a shell, a command) may be anyone's: the comune's
    staff do not see it, the provider's superuser does."""
    cagliari, _assemini, people, _desk = shared_desk
    with comune_scope(cagliari):
        subscriber = SubscriberFactory(comune=cagliari)
    subscribers = admin.site.get_model_admin(Subscriber)
    request = RequestFactory().get("/")
    request.user = people["admin"]
    with comune_scope(cagliari):
        subscribers.log_change(request, subscriber, "Corretto il cognome")
    subscribers.log_change(request, subscriber, "Scritto da uno script")
    url = f"/admin/subscribers/subscriber/{subscriber.pk}/history/"

    ours = _history(_signed_in(people["admin"]).get(url))
    everything = _history(_root(cagliari).get(url))

    assert "Corretto il cognome" in ours and "Scritto da uno script" not in ours
    assert "Corretto il cognome" in everything and "Scritto da uno script" in everything


def test_one_comune_keeps_the_history_page_as_it_was(municipality):
    administrator = UserFactory(username="admin", roles=[Role.ADMINISTRATOR])
    operator = UserFactory(username="operatore", roles=[Role.OPERATOR], is_staff=True)
    client = _signed_in(administrator)
    _edit(client, operator, first_name="Nuovo")
    # An entry from before the comune was recorded: the migration gives a deployment of one
    # comune's entries to it; one it missed is still shown here.
    LogEntryComune.objects.all().delete()
    _edit(client, operator, last_name="Ancora")

    listed = _history(client.get(f"/admin/auth/user/{operator.pk}/history/"))

    assert "Modificati nome" in listed and "Modificati cognome" in listed
    assert list(LogEntryComune.objects.values_list("comune", flat=True)) == [None]


def test_the_migration_gives_the_history_so_far_to_the_one_comune_served(municipality):
    operator = UserFactory(username="operatore", roles=[Role.OPERATOR])
    request = RequestFactory().get("/")
    request.user = operator
    admin.site.get_model_admin(type(operator)).log_change(request, operator, "Prima")
    LogEntryComune.objects.all().delete()
    migration = import_module("urp_portal.municipality.migrations.0007_log_entry_comune")

    migration.entries_so_far_to_the_active_comune(apps, connection.schema_editor())

    assert list(LogEntryComune._base_manager.values_list("log_entry", "comune")) == [
        (LogEntry.objects.get().pk, None)
    ]


def test_the_migration_gives_no_comune_the_history_of_a_deployment_serving_several(two_comuni):
    operator = UserFactory(username="operatore", roles=[Role.OPERATOR])
    request = RequestFactory().get("/")
    request.user = operator
    admin.site.get_model_admin(type(operator)).log_change(request, operator, "Prima")
    migration = import_module("urp_portal.municipality.migrations.0007_log_entry_comune")

    migration.entries_so_far_to_the_active_comune(apps, connection.schema_editor())

    assert LogEntryComune._base_manager.count() == 0


def test_every_admin_scopes_its_history_pages():
    """A ModelAdmin registered later must take the mixin too, or its history would list every
    comune's changes."""
    registered = [model for model in apps.get_models() if admin.site.is_registered(model)]
    unscoped = [
        model._meta.label
        for model in registered
        if not isinstance(admin.site.get_model_admin(model), ComuneHistoryOnly)
    ]

    assert len(registered) > 30
    assert not unscoped


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_shared_accounts_history_page_is_accessible_and_pictured(
    browser, live_server, shared_desk
):
    """Assemini's administrator's view of the help desk's history, at a laptop's and a tablet's
    size (docs/screenshots), with no serious axe-core violation (WCAG 2.1 AA)."""
    from tests.fixtures.browser import LAPTOP, TABLET, screenshot, session_context
    from tests.test_console_accessibility import _violations

    _cagliari, _assemini, people, desk = shared_desk
    client = _signed_in(people["their_admin"])
    client.get("/admin/")  # the session's comune, before the browser takes the session over
    found = {}
    for name, viewport in (("history-comune.png", LAPTOP), ("history-comune-tablet.png", TABLET)):
        context = session_context(browser, live_server, client, viewport=viewport)
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/auth/user/{desk.pk}/history/")
        screenshot(page, name, full_page=True)
        listed = page.locator("#change-history").inner_text()
        found[name] = (_violations(page), "admin.assemini" in listed, "admin.cagliari" in listed)
        context.close()

    assert found == {
        "history-comune.png": ([], True, False),
        "history-comune-tablet.png": ([], True, False),
    }


def test_a_help_desks_recent_actions_are_those_of_the_comune_it_works_for(shared_desk):
    """The home page's "Le mie azioni": in Assemini's session, not the Cagliari citizen the help
    desk corrected while working for Cagliari."""
    cagliari, assemini, people, _desk = shared_desk
    with comune_scope(cagliari):
        subscriber = SubscriberFactory(comune=cagliari)
        request = RequestFactory().get("/")
        request.user = people["desk"]
        admin.site.get_model_admin(Subscriber).log_change(request, subscriber, "Corretto")
    link = f"/admin/subscribers/subscriber/{subscriber.pk}/change/"
    client = _signed_in(people["desk"])

    client.post("/admin/comune/", {"comune": cagliari.pk})
    in_cagliari = client.get("/admin/").content.decode()
    client.post("/admin/comune/", {"comune": assemini.pk})
    in_assemini = client.get("/admin/").content.decode()

    assert link in in_cagliari
    assert link not in in_assemini
