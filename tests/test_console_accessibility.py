"""axe-core on every console page of every role (issue 20, point 5): WCAG 2.1 AA, no critical and
no serious violation.

The pages are found as a person finds them: each role's home page, every link of its menu (each
model's list), the list's add page and its first row's page, and the console's own pages (the
conversation, a campaign's report, the moderation queue, the comune's configuration, the second
factor). axe-core comes from the axe-playwright-python package (its axe.min.js is in the wheel:
nothing is downloaded while the tests run).
"""

from __future__ import annotations

import importlib
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.test import Client

from broadcasts.tests.factories import CampaignFactory
from tests.fixtures.browser import session_context
from tickets.models import Ticket
from urp_portal.demo.seed import seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

create_services = importlib.import_module(
    "tickets.migrations.0002_municipal_services"
).create_services
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DEMO_ROLES = ["admin", "operatore", "comunicazione", "moderatore", "anagrafe"]
# Pages that are not a console page to check: signing out, downloads, the API's own documents.
SKIPPED = ("/admin/logout/", "/api/", ".csv", "/export/", "/media/", "/simulator/", "/admin/r/")


def _signed_in_context(browser, live_server, username: str):
    """A browser context carrying a session of `username` that passed the second factor."""
    user = get_user_model().objects.get(username=username)
    client = Client()
    client.force_login(user)
    return session_context(browser, live_server, client)


def _menu_links(page, live_server) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "#content-main a[href], #content-related a[href]", "els => els.map(e => e.href)"
    )
    return [h for h in hrefs if h.startswith(live_server.url)]


def _pages_of(page, live_server) -> list[str]:
    """The role's home page, its menu's lists, and for each list its add page and first row."""
    base = live_server.url
    page.goto(f"{base}/admin/")
    found = ["/admin/"]
    lists = [h for h in _menu_links(page, live_server) if h.endswith("/") and "/add/" not in h]
    for url in lists:
        path = urlsplit(url).path
        if path not in found:
            found.append(path)
        page.goto(url)
        if page.locator("#result_list").count():
            first = page.locator("#result_list tbody tr a[href]").first
            if first.count():
                found.append(urlsplit(urljoin(url, first.get_attribute("href"))).path)
        add = page.locator("a.addlink")
        if add.count():
            found.append(urlsplit(urljoin(url, add.first.get_attribute("href"))).path)
    found += ["/admin/password_change/", "/admin/2fa/attiva/"]
    unique = []
    for path in found:
        if path not in unique and not any(skip in path for skip in SKIPPED):
            unique.append(path)
    return unique


def _violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    bad = []
    for violation in results.response["violations"]:
        if violation["impact"] in ("critical", "serious"):
            targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
            bad.append(f"{violation['impact']} {violation['id']}: {targets}")
    return bad


@pytest.mark.usefixtures("no_queued_tasks")
def test_every_console_page_of_every_role_passes_axe(browser, live_server, municipality):
    # An earlier live-server test may have emptied the tables the migrations seed.
    create_services(django_apps, None)
    seed_demo()
    CampaignFactory(title="Avviso raccolta differenziata")
    ticket = Ticket.objects.filter(forwards__answer__gt="").first()
    assert ticket is not None
    colleague = get_user_model().objects.get(username="operatore")
    extras = {
        # The staff list is linked from the home page; an account's page from the list.
        "admin": [
            f"/admin/tickets/ticket/{ticket.pk}/conversation/",
            f"/admin/personale/{colleague.pk}/",
        ],
        "operatore": [f"/admin/tickets/ticket/{ticket.pk}/conversation/"],
        "anagrafe": [f"/admin/tickets/ticket/{ticket.pk}/conversation/"],
    }
    failures: dict[str, list[str]] = {}
    checked = 0
    for username in DEMO_ROLES:
        context = _signed_in_context(browser, live_server, username)
        page = context.new_page()
        paths = _pages_of(page, live_server) + extras.get(username, [])
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            checked += 1
            bad = _violations(page)
            if bad:
                failures[f"{username} {path}"] = bad
        context.close()

    assert checked > 40
    assert failures == {}, "\n".join(f"{where}: {bad}" for where, bad in failures.items())
