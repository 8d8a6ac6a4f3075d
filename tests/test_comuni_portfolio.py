"""Meta's messaging limit per business portfolio (issue #24): a number may carry the portfolio's
id (`load_preset --business-portfolio-id`, the provider's pages), and the comuni whose numbers
share it share one limit, even in two WABAs: the reach count, the places left, the next free
place, the campaign's plan and the provider's health page all count the group. Without
portfolio ids the group is the WABA, as before."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from broadcasts.outlook import campaign_outlook
from tests.fixtures.comuni import ASSEMINI_NUMBER, CAGLIARI_NUMBER
from tests.test_comuni_broadcasts import _reached, approved_campaign, subscribe
from urp_portal.accounts.tests.factories import UserFactory
from urp_portal.gateway import reach
from urp_portal.gateway.numbers import forget_sending_numbers, messaging_limit_groups_of
from urp_portal.municipality.models import Municipality, WhatsAppNumber
from urp_portal.municipality.scope import comune_scope, forget_serves_other_comuni
from urp_portal.provider.health import provider_health

PORTFOLIO = "880000000000001"


@pytest.fixture
def two_comuni(two_comuni):
    forget_sending_numbers()
    forget_serves_other_comuni()
    yield two_comuni
    forget_sending_numbers()
    forget_serves_other_comuni()


def _in_portfolio(preset: str, number: str, portfolio: str = PORTFOLIO) -> None:
    """Loads the comune again through the contract's command, now naming its portfolio."""
    call_command(
        "load_preset",
        preset,
        "--comune",
        preset,
        "--phone-number-id",
        number,
        "--business-portfolio-id",
        portfolio,
        stdout=StringIO(),
    )
    forget_sending_numbers()


# --- the grouping ------------------------------------------------------------------------------


def test_without_portfolio_ids_the_group_is_the_waba_as_before():
    grouping = messaging_limit_groups_of(
        [(1, "waba-a", ""), (2, "waba-b", ""), (3, "waba-a", "")],
        active_id=4,
        own_business_account_id="waba-b",
    )

    # The active comune without a number sends from the deployment's number, in its WABA.
    assert grouping.groups == ((1, 3), (2, 4))
    assert grouping.of(2) == (2, 4) and grouping.of(99) == (99,)


def test_a_portfolio_id_joins_comuni_of_several_wabas_and_a_waba_joins_the_rest():
    grouping = messaging_limit_groups_of(
        [(1, "waba-a", "p1"), (2, "waba-b", "p1"), (3, "waba-b", ""), (5, "waba-c", "p2")],
        active_id=None,
        own_business_account_id="",
    )

    # 3 has no portfolio id but shares 2's WABA, which belongs to p1: one limit for 1, 2, 3.
    assert grouping.groups == ((1, 2, 3), (5,))


# --- the limit shared ---------------------------------------------------------------------------


def test_load_preset_records_the_portfolio_id_of_the_number(two_comuni):
    _in_portfolio("assemini", ASSEMINI_NUMBER)

    number = WhatsAppNumber.objects.get(phone_number_id=ASSEMINI_NUMBER)
    assert number.business_portfolio_id == PORTFOLIO
    # Its WABA stays where it was: the portfolio is named beside it.
    assert number.business_account_id == "waba-assemini"


def test_two_comuni_in_two_wabas_of_one_portfolio_share_one_limit(two_comuni):
    cagliari, assemini = two_comuni
    _in_portfolio("cagliari", CAGLIARI_NUMBER)
    _in_portfolio("assemini", ASSEMINI_NUMBER)
    Municipality.objects.update(messaging_limit=3)
    now = timezone.now()
    earlier = now - dt.timedelta(hours=5)
    _reached(cagliari, ["+393470000001", "+393470000002"], earlier)
    # The same citizen reached by both comuni counts once in the portfolio.
    _reached(assemini, ["+393470000002"], now)
    subscribe(assemini, ["+393480000001", "+393480000002", "+393480000003"])
    campaign = approved_campaign(assemini)

    with comune_scope(Municipality.objects.get(pk=assemini.pk)):
        left = reach.reach_left(now=now)
        reached = reach.numbers_reached(["+393470000001"], now=now)
        next_free = reach.reach_next_free_at(now=now)
        plan = campaign_outlook(campaign=campaign, now=now).days

    assert left == 1
    assert reached == {"+393470000001"}
    # Cagliari's oldest send frees the next place.
    assert next_free == earlier + reach.ROLLING
    # The campaign's plan: the one place left now, the other two when places free up.
    assert [day.count for day in plan] == [1, 2]


def test_without_portfolio_ids_two_wabas_keep_two_limits(two_comuni):
    cagliari, assemini = two_comuni
    Municipality.objects.update(messaging_limit=3)
    now = timezone.now()
    _reached(cagliari, ["+393470000001", "+393470000002"], now)
    subscribe(assemini, ["+393480000001", "+393480000002", "+393480000003"])
    campaign = approved_campaign(assemini)

    with comune_scope(Municipality.objects.get(pk=assemini.pk)):
        left = reach.reach_left(now=now)
        plan = campaign_outlook(campaign=campaign, now=now).days

    assert left == 3
    assert [day.count for day in plan] == [3]


def test_different_portfolio_ids_keep_their_limits_apart(two_comuni):
    cagliari, assemini = two_comuni
    _in_portfolio("cagliari", CAGLIARI_NUMBER, "880000000000001")
    _in_portfolio("assemini", ASSEMINI_NUMBER, "880000000000002")
    Municipality.objects.update(messaging_limit=3)
    now = timezone.now()
    _reached(cagliari, ["+393470000001", "+393470000002"], now)

    with comune_scope(Municipality.objects.get(pk=assemini.pk)):
        assert reach.reach_left(now=now) == 3
    with comune_scope(Municipality.objects.get(pk=cagliari.pk)):
        assert reach.reach_left(now=now) == 1


# --- the provider's pages -----------------------------------------------------------------------


@pytest.fixture
def provider_client(two_comuni) -> Client:
    # A provider's account has no comune of its own, and two_comuni leaves none active: its
    # pages need none (request_scope.py).
    user = UserFactory(username="fornitore", provider=True)
    client = Client()
    client.force_login(user)
    return client


def test_the_provider_sets_the_portfolio_of_a_new_comune_and_of_a_number(
    two_comuni, provider_client
):
    cagliari, _assemini = two_comuni
    created = provider_client.post(
        "/admin/fornitore/comuni/nuovo/",
        {
            "preset": "assemini",
            "slug": "sestu",
            "name": "Sestu",
            "phone_number_id": "200000000000077",
            "business_account_id": "waba-sestu",
            "business_portfolio_id": PORTFOLIO,
        },
    )
    bound = provider_client.post(
        f"/admin/fornitore/comuni/{cagliari.pk}/numero/",
        {
            "phone_number_id": CAGLIARI_NUMBER,
            "business_account_id": "waba-cagliari",
            "business_portfolio_id": PORTFOLIO,
        },
    )
    page = provider_client.get(f"/admin/fornitore/comuni/{cagliari.pk}/numero/")

    assert created.status_code == 302 and bound.status_code == 302
    assert WhatsAppNumber.objects.get(comune__slug="sestu").business_portfolio_id == PORTFOLIO
    assert WhatsAppNumber.objects.get(comune=cagliari).business_portfolio_id == PORTFOLIO
    assert f'value="{PORTFOLIO}"' in page.content.decode()


def test_the_health_page_shows_reach_and_limit_per_portfolio(
    two_comuni, provider_client, django_assert_max_num_queries
):
    cagliari, assemini = two_comuni
    _in_portfolio("cagliari", CAGLIARI_NUMBER)
    _in_portfolio("assemini", ASSEMINI_NUMBER)
    provider_client.post(
        "/admin/fornitore/comuni/nuovo/",
        {
            "preset": "ancona",
            "slug": "monserrato",
            "name": "Monserrato",
            "phone_number_id": "200000000000078",
            "business_account_id": "waba-monserrato",
        },
    )
    Municipality.objects.update(messaging_limit=250)
    now = timezone.now()
    _reached(cagliari, ["+393470000001", "+393470000002"], now)
    _reached(assemini, ["+393470000002", "+393480000001"], now)
    _reached(Municipality.objects.get(slug="monserrato"), ["+393490000001"], now)

    with django_assert_max_num_queries(30):
        page = provider_client.get("/admin/fornitore/")

    html = page.content.decode()
    groups = {
        tuple(c.slug for c in p.comuni): (p.reach_used, p.reach_limit, p.portfolio_ids)
        for p in page.context["health"].portfolios
    }
    # Three citizens for the portfolio of Cagliari and Assemini (one reached by both).
    assert groups == {
        ("assemini", "cagliari"): (3, 250, [PORTFOLIO]),
        ("monserrato",): (1, 250, []),
    }
    rows = {row.comune.slug: row.reach_used for row in page.context["health"].comuni}
    assert rows == {"cagliari": 2, "assemini": 2, "monserrato": 1}
    assert "Limite di messaggi per portafoglio" in html
    assert "3 / 250 (1%)" in html and "WABA waba-monserrato" in html


def _add_comuni(client: Client, count: int) -> None:
    for n in range(count):
        client.post(
            "/admin/fornitore/comuni/nuovo/",
            {
                "preset": "ancona",
                "slug": f"c{n}",
                "name": f"C{n}",
                "phone_number_id": f"30000000000{n}",
                "business_account_id": f"waba-{n % 2}",
                "business_portfolio_id": PORTFOLIO if n == 0 else "",
            },
        )


def test_the_portfolio_figures_cost_the_same_queries_for_2_and_5_comuni(
    two_comuni, provider_client
):
    cagliari, assemini = two_comuni
    now = timezone.now()
    _reached(cagliari, ["+393470000001"], now)
    _reached(assemini, ["+393470000002"], now)
    with CaptureQueriesContext(connection) as two:
        two_health = provider_health(now=now)
    _add_comuni(provider_client, 3)
    _in_portfolio("cagliari", CAGLIARI_NUMBER)
    for slug in ("c0", "c1", "c2"):
        _reached(Municipality.objects.get(slug=slug), ["+393470000009"], now)

    with CaptureQueriesContext(connection) as five:
        five_health = provider_health(now=now)

    assert len(two_health.comuni) == 2 and len(five_health.comuni) == 5
    assert len(two_health.portfolios) == 2
    # c0 and Cagliari share the portfolio id; c0 and c2 the WABA; c1 on its own.
    assert sorted(sorted(c.slug for c in p.comuni) for p in five_health.portfolios) == [
        ["assemini"],
        ["c0", "c2", "cagliari"],
        ["c1"],
    ]
    # One aggregate per figure (the queues' backlog included), whatever the comuni.
    assert len(five) == len(two) <= 11
