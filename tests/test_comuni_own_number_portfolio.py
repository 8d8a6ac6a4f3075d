"""The deployment's own number in a business portfolio (issue #24): the active comune without a
number of its own sends from WHATSAPP_PHONE_NUMBER_ID, and WHATSAPP_BUSINESS_PORTFOLIO_ID names
that number's portfolio. Meta counts the messaging limit per portfolio, so the active comune
shares one limit with the bound numbers of that portfolio even in other WABAs: in the sends'
count, on the provider's health page and in check_config's advice."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from broadcasts.models import Campaign, MessageTemplate
from broadcasts.states import CampaignState, TemplateApproval
from subscribers.models import Subscriber
from subscribers.states import SubscriberStatus
from tests.fixtures.check_config import run
from tests.fixtures.comuni import ASSEMINI_NUMBER, ASSEMINI_TOKEN, SECRETS_KEY
from tests.test_comuni_broadcasts import _reached
from urp_portal.accounts.tests.factories import UserFactory
from urp_portal.gateway.numbers import forget_sending_numbers, messaging_limit_groups_of
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.scope import forget_serves_other_comuni

PORTFOLIO = "880000000000001"
OTHER_PORTFOLIO = "880000000000002"

# --- the grouping ------------------------------------------------------------------------------


def test_the_own_number_joins_a_bound_number_of_another_waba_in_its_portfolio():
    grouping = messaging_limit_groups_of(
        [(2, "waba-assemini", PORTFOLIO), (3, "waba-sestu", OTHER_PORTFOLIO)],
        active_id=1,
        own_business_account_id="waba-deployment",
        own_business_portfolio_id=PORTFOLIO,
    )

    assert grouping.groups == ((1, 2), (3,))
    # What the health page names the group by: the portfolio and both WABAs.
    accounts = grouping.accounts_of((1, 2))
    assert accounts.business_portfolio_ids == (PORTFOLIO,)
    assert accounts.business_account_ids == ("waba-assemini", "waba-deployment")


def test_the_own_number_in_another_portfolio_keeps_its_own_limit():
    grouping = messaging_limit_groups_of(
        [(2, "waba-assemini", PORTFOLIO)],
        active_id=1,
        own_business_account_id="waba-deployment",
        own_business_portfolio_id=OTHER_PORTFOLIO,
    )

    assert grouping.groups == ((1,), (2,))
    assert grouping.accounts_of((1,)).business_portfolio_ids == (OTHER_PORTFOLIO,)


def test_without_its_portfolio_the_own_number_is_grouped_by_its_waba_as_before():
    grouping = messaging_limit_groups_of(
        [(2, "waba-assemini", PORTFOLIO), (3, "waba-deployment", "")],
        active_id=1,
        own_business_account_id="waba-deployment",
    )

    assert grouping.groups == ((1, 3), (2,))


def test_an_active_comune_with_a_number_of_its_own_ignores_the_own_number():
    grouping = messaging_limit_groups_of(
        [(1, "waba-cagliari", OTHER_PORTFOLIO), (2, "waba-assemini", PORTFOLIO)],
        active_id=1,
        own_business_account_id="waba-deployment",
        own_business_portfolio_id=PORTFOLIO,
    )

    assert grouping.groups == ((1,), (2,))


# --- the real path: the active comune's campaign and a bound comune --------------------------


@pytest.fixture
def active_and_bound(municipality, fake_graph, settings, monkeypatch):
    """Cagliari active on the deployment's number (fake_graph's), three subscribers and an
    approved campaign of its own from before the tenancy; then Assemini bound to its number in
    another WABA of portfolio PORTFOLIO, through the contract's command. A limit of 3."""
    settings.URP_SECRETS_KEY = [SECRETS_KEY]
    settings.WHATSAPP_RATE_PER_SECOND = 0
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 0
    monkeypatch.setenv("URP_TEST_TOKEN_ASSEMINI", ASSEMINI_TOKEN)
    now = timezone.now()
    for number in ("+393470000001", "+393470000002", "+393470000003"):
        Subscriber.objects.create(
            number=number, status=SubscriberStatus.SUBSCRIBED, subscribed_at=now
        )
    template = MessageTemplate.all_comuni.create(
        name="avviso_comune", body="Dal Comune: {{1}}.", approval_status=TemplateApproval.APPROVED
    )
    campaign = Campaign.all_comuni.create(
        title="Mercato", template=template, parameters=["mercato"], state=CampaignState.APPROVED
    )
    call_command(
        "load_preset",
        "assemini",
        "--comune",
        "assemini",
        "--phone-number-id",
        ASSEMINI_NUMBER,
        "--business-account-id",
        "waba-assemini",
        "--business-portfolio-id",
        PORTFOLIO,
        "--access-token-env",
        "URP_TEST_TOKEN_ASSEMINI",
        stdout=StringIO(),
    )
    Municipality.objects.update(
        quiet_hours_start="00:00", quiet_hours_end="00:00", messaging_limit=3
    )
    forget_sending_numbers()
    forget_serves_other_comuni()
    yield campaign
    forget_sending_numbers()
    forget_serves_other_comuni()


@pytest.fixture
def waits_recorded(monkeypatch) -> list[float]:
    """The batch chain as it runs, except a batch put off (the limit reached) is recorded and
    not run: eager tasks skip countdowns, so it would run again at once, for ever."""
    from broadcasts.services import fanout

    waits: list[float] = []
    enqueue = fanout.enqueue_send_batch

    def enqueue_unless_put_off(campaign_id: int, *, countdown: float = 0) -> None:
        if countdown:
            waits.append(countdown)
        else:
            enqueue(campaign_id)

    monkeypatch.setattr(fanout, "enqueue_send_batch", enqueue_unless_put_off)
    return waits


@pytest.mark.parametrize(
    ("own_portfolio", "sent"),
    [
        # One portfolio: Assemini's two citizens leave one place of three.
        (PORTFOLIO, 1),
        # Another portfolio, or none named: Cagliari's three places are its own.
        (OTHER_PORTFOLIO, 3),
        ("", 3),
    ],
)
def test_the_active_comunes_campaign_counts_against_the_portfolio_it_shares(
    active_and_bound,
    settings,
    fake_graph,
    eager_tasks,
    waits_recorded,
    django_capture_on_commit_callbacks,
    own_portfolio,
    sent,
):
    from broadcasts.tasks import campaign_start_task
    from tests.fixtures.fake_graph import PHONE_NUMBER_ID

    settings.WHATSAPP_BUSINESS_PORTFOLIO_ID = own_portfolio
    now = timezone.now()
    _reached(Municipality.objects.get(slug="assemini"), ["+393480000001", "+393480000002"], now)

    with django_capture_on_commit_callbacks(execute=True):
        # As a worker runs it: outside any scope.
        campaign_start_task(active_and_bound.pk)

    sends = fake_graph.sent_messages()
    assert len(sends) == sent
    assert {r.path.split("/")[-2] for r in sends} == {PHONE_NUMBER_ID}
    if sent < 3:
        # The rest waits for Assemini's sends to leave the moving 24 hours.
        assert waits_recorded and waits_recorded[-1] > 23 * 3600


# --- the provider's health page and check_config ------------------------------------------------


@pytest.fixture
def provider_client(active_and_bound) -> Client:
    user = UserFactory(username="fornitore", provider=True)
    client = Client()
    client.force_login(user)
    return client


def _own_number_line(html: str) -> str:
    return html.split('id="own-number-portfolio"')[1].split("</p>")[0]


def test_the_health_page_counts_and_names_the_own_numbers_portfolio(
    provider_client, settings, django_assert_max_num_queries
):
    settings.WHATSAPP_BUSINESS_PORTFOLIO_ID = PORTFOLIO
    now = timezone.now()
    _reached(Municipality.objects.get(slug="assemini"), ["+393480000001"], now)
    _reached(Municipality.objects.get(slug="cagliari"), ["+393470000001", "+393480000001"], now)

    with django_assert_max_num_queries(30):
        page = provider_client.get("/admin/fornitore/")

    (portfolio,) = page.context["health"].portfolios
    assert sorted(c.slug for c in portfolio.comuni) == ["assemini", "cagliari"]
    assert portfolio.portfolio_ids == [PORTFOLIO]
    assert "waba-assemini" in portfolio.business_account_ids
    # Two citizens: one was reached by both comuni.
    assert portfolio.reach_used == 2
    assert f"portafoglio {PORTFOLIO}" in _own_number_line(page.content.decode())


def test_the_health_page_says_when_the_own_numbers_portfolio_is_not_named(
    provider_client, settings
):
    settings.WHATSAPP_BUSINESS_PORTFOLIO_ID = ""

    page = provider_client.get("/admin/fornitore/")

    assert len(page.context["health"].portfolios) == 2
    assert "portafoglio non indicato" in _own_number_line(page.content.decode())


@pytest.fixture
def production_active_and_bound(production_like, active_and_bound):
    return production_like


def test_check_config_warns_when_bound_numbers_name_a_portfolio_and_the_own_number_does_not(
    production_active_and_bound,
):
    production_active_and_bound.WHATSAPP_BUSINESS_PORTFOLIO_ID = ""

    _code, out = run()

    assert "Manca WHATSAPP_BUSINESS_PORTFOLIO_ID" in out
    production_active_and_bound.WHATSAPP_BUSINESS_PORTFOLIO_ID = PORTFOLIO
    _code, out = run()
    assert "WHATSAPP_BUSINESS_PORTFOLIO_ID" not in out
