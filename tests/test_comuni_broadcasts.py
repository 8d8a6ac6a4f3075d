"""Broadcasts per comune (issue #24, phase 2): two comuni on one deployment, each with its own
number, WABA and token. A campaign reaches its own comune's subscribers only and leaves from its
number with its token; templates live in each comune's WABA; a template webhook touches only
its WABA's template; Meta's messaging limit is counted per portfolio; quiet hours are each
comune's; another comune's campaign, alert or template is 404 through the API.

Through the real doors where the flow needs them: a real worker process and the fake Graph
API's log for the campaign; signed webhooks into the view for the template verdicts."""

from __future__ import annotations

import collections
import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from broadcasts import services
from broadcasts.models import Campaign, Delivery, MessageTemplate
from broadcasts.selectors import campaign_recipients
from broadcasts.services.reach import deliveries_within_reach
from broadcasts.states import CampaignState, TemplateApproval, TemplateCategory
from subscribers.models import Subscriber
from subscribers.states import SubscriberStatus
from tests.fixtures.celery_worker import wait_until
from tests.fixtures.comuni import (
    ASSEMINI_NUMBER,
    ASSEMINI_TOKEN,
    CAGLIARI_NUMBER,
    CAGLIARI_TOKEN,
    PHONE,
    SECRETS_KEY,
)
from urp_portal.gateway import reach
from urp_portal.gateway.models import OutboundMessage
from urp_portal.gateway.numbers import forget_sending_numbers
from urp_portal.municipality.models import Municipality, WhatsAppNumber
from urp_portal.municipality.scope import (
    ComuneScopeMissing,
    comune_scope,
    forget_serves_other_comuni,
)

CAGLIARI_WABA = "waba-cagliari"
ASSEMINI_WABA = "waba-assemini"
ROME = ZoneInfo("Europe/Rome")
# A Tuesday morning: outside every comune's quiet hours unless a test sets its own.
TUESDAY_MORNING = dt.datetime(2026, 11, 24, 10, 30, tzinfo=ROME)
WORKER_ENV = {
    "URP_SECRETS_KEY": SECRETS_KEY,
    "WHATSAPP_RATE_PER_SECOND": "0",
    "WHATSAPP_RECIPIENT_INTERVAL_SECONDS": "0",
}


@pytest.fixture
def two_comuni(two_comuni, settings, fake_graph):
    """The two comuni of tests/fixtures/comuni.py, each in its own WABA, which the fake Graph
    API answers for; no pace, no quiet hours, no limit, unless a test sets them."""
    settings.WHATSAPP_RATE_PER_SECOND = 0
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 0
    fake_graph.other_business_account_ids = {CAGLIARI_WABA, ASSEMINI_WABA}
    Municipality.objects.update(quiet_hours_start="00:00", quiet_hours_end="00:00")
    forget_sending_numbers()
    forget_serves_other_comuni()
    yield Municipality.objects.get(slug="cagliari"), Municipality.objects.get(slug="assemini")
    forget_sending_numbers()
    forget_serves_other_comuni()


def subscribe(comune: Municipality, numbers: list[str]) -> list[Subscriber]:
    now = timezone.now()
    with comune_scope(comune):
        return [
            Subscriber.objects.create(
                comune=comune, number=n, status=SubscriberStatus.SUBSCRIBED, subscribed_at=now
            )
            for n in numbers
        ]


def approved_template(comune: Municipality, name: str = "avviso_comune") -> MessageTemplate:
    with comune_scope(comune):
        return MessageTemplate.objects.create(
            name=name,
            language="it",
            body="Dal Comune: {{1}}.",
            approval_status=TemplateApproval.APPROVED,
        )


def approved_campaign(comune: Municipality, *, title: str = "Mercato") -> Campaign:
    template = approved_template(comune)
    with comune_scope(comune):
        return Campaign.objects.create(
            title=title,
            template=template,
            parameters=[f"notizia di {comune.name}"],
            state=CampaignState.APPROVED,
        )


def _sent_from(graph, phone_number_id: str) -> list:
    return [r for r in graph.sent_messages() if r.path.split("/")[-2] == phone_number_id]


# --- campaigns: own subscribers, own number, own token ------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_a_campaign_reaches_only_its_comunes_subscribers_from_its_number_with_its_token(
    two_comuni, fake_graph, celery_worker_process
):
    cagliari, assemini = two_comuni
    ours = [PHONE, "+393470000001", "+393470000002"]
    subscribe(cagliari, ours)
    subscribe(assemini, [PHONE, "+393480000001"])
    campaign = approved_campaign(cagliari)
    worker = celery_worker_process.start(graph=fake_graph, env=WORKER_ENV)

    with comune_scope(cagliari):
        services.campaign_start(campaign_id=campaign.pk)

    def state() -> str:
        return Campaign.all_comuni.values_list("state", flat=True).get(pk=campaign.pk)

    wait_until(
        lambda: state() == CampaignState.SENT,
        timeout=180,
        message=lambda: (
            f"campaign {state()}; outbox "
            f"{collections.Counter(OutboundMessage.objects.values_list('state', flat=True))}"
            f"\n{worker.log()}"
        ),
    )

    sends = fake_graph.sent_messages()
    # Cagliari's three citizens, each once; the same phone on Assemini's list is Assemini's.
    assert sorted(r.to for r in sends) == sorted(ours)
    assert _sent_from(fake_graph, CAGLIARI_NUMBER) == sends
    assert {r.headers.get("Authorization") for r in sends} == {f"Bearer {CAGLIARI_TOKEN}"}
    assert {r.json["template"]["components"][0]["parameters"][0]["text"] for r in sends} == {
        f"notizia di {cagliari.name}"
    }
    # The fan-out's outbox rows carry the campaign's comune (its number, its reach count).
    assert set(OutboundMessage.objects.values_list("comune_id", flat=True)) == {cagliari.pk}
    assert Delivery.all_comuni.filter(subscriber__comune=assemini).count() == 0


def test_the_recipients_are_read_in_the_campaigns_comune_and_never_unscoped(two_comuni):
    cagliari, assemini = two_comuni
    (ours,) = subscribe(cagliari, [PHONE])
    subscribe(assemini, [PHONE])
    campaign = approved_campaign(cagliari)

    with comune_scope(cagliari):
        assert list(campaign_recipients(campaign=campaign)) == [ours]
    with comune_scope(assemini):
        # Another comune's campaign is not even found in its scope.
        assert not Campaign.objects.filter(pk=campaign.pk).exists()
    with pytest.raises(ComuneScopeMissing):
        list(campaign_recipients(campaign=campaign))
    with pytest.raises(ComuneScopeMissing):
        Campaign.objects.count()


# --- Meta's messaging limit, per portfolio -----------------------------------------------------


def _reached(comune: Municipality, numbers: list[str], now: dt.datetime) -> None:
    """Templates already delivered for `comune` outside the window, counted at `now`."""
    for number in numbers:
        OutboundMessage.objects.create(
            comune=comune,
            to=number,
            purpose="broadcast",
            template_name="avviso_comune",
            state="delivered",
            reach_counted_at=now,
        )


def test_one_comunes_campaign_does_not_eat_the_other_portfolios_limit(two_comuni):
    cagliari, assemini = two_comuni
    Municipality.objects.update(messaging_limit=2)
    cagliari.refresh_from_db()
    assemini.refresh_from_db()
    now = timezone.now()
    _reached(cagliari, ["+393470000001", "+393470000002"], now)
    subscribe(assemini, ["+393480000001", "+393480000002", "+393480000003"])
    campaign = approved_campaign(assemini)
    with comune_scope(assemini):
        services.campaign_start(campaign_id=campaign.pk)
        deliveries = list(Delivery.objects.select_related("subscriber").order_by("id"))
        within = deliveries_within_reach(deliveries, now=now)
        assemini_left = reach.reach_left(now=now)
    with comune_scope(cagliari):
        cagliari_left = reach.reach_left(now=now)

    # Cagliari used its two; Assemini, in another portfolio, still has its own two.
    assert (cagliari_left, assemini_left) == (0, 2)
    assert len(within.go) == 2
    assert within.next_free_at is not None


def test_comuni_whose_numbers_share_a_waba_share_its_limit(two_comuni):
    cagliari, assemini = two_comuni
    Municipality.objects.update(messaging_limit=3)
    assemini.refresh_from_db()
    # Assemini's number moved into Cagliari's WABA (so into its business portfolio).
    WhatsAppNumber.objects.filter(comune=assemini).update(business_account_id=CAGLIARI_WABA)
    now = timezone.now()
    _reached(cagliari, ["+393470000001", "+393470000002"], now)
    # The same citizen reached by both comuni counts once in the portfolio.
    _reached(assemini, ["+393470000002"], now)

    with comune_scope(assemini):
        assert reach.reach_left(now=now) == 1
        assert reach.numbers_reached(["+393470000001"], now=now) == {"+393470000001"}


def test_a_marketing_campaign_takes_the_marketing_route_of_its_own_number(
    two_comuni, fake_graph, eager_tasks, django_capture_on_commit_callbacks
):
    cagliari, assemini = two_comuni
    subscribe(assemini, ["+393480000001", "+393480000002"])
    (stopped,) = subscribe(assemini, ["+393480000003"])
    Subscriber.all_comuni.filter(pk=stopped.pk).update(marketing_stopped_at=timezone.now())
    subscribe(cagliari, ["+393470000001"])
    campaign = approved_campaign(assemini)
    MessageTemplate.all_comuni.filter(pk=campaign.template_id).update(
        category=TemplateCategory.MARKETING
    )

    with django_capture_on_commit_callbacks(execute=True), comune_scope(assemini):
        services.campaign_start(campaign_id=campaign.pk)

    routed = fake_graph.marketing_requests()
    # Assemini's two who still take marketing messages, from its number with its token.
    assert sorted(r.to for r in routed) == ["+393480000001", "+393480000002"]
    assert {r.path.split("/")[-2] for r in routed} == {ASSEMINI_NUMBER}
    assert {r.headers.get("Authorization") for r in routed} == {f"Bearer {ASSEMINI_TOKEN}"}
    assert fake_graph.sent_messages() == routed


def test_the_reach_figures_are_each_comunes_own(
    two_comuni, fake_graph, eager_tasks, django_capture_on_commit_callbacks
):
    from urp_portal.api.stats import reach_per_period

    cagliari, assemini = two_comuni
    subscribe(cagliari, ["+393470000001", "+393470000002"])
    subscribe(assemini, ["+393480000001"])
    for comune in (cagliari, assemini):
        campaign = approved_campaign(comune)
        with django_capture_on_commit_callbacks(execute=True), comune_scope(comune):
            services.campaign_start(campaign_id=campaign.pk)

    figures = {}
    for comune in (cagliari, assemini):
        with comune_scope(comune):
            figures[comune.slug] = reach_per_period(now=timezone.now())["today"]

    assert (figures["cagliari"]["campaigns"], figures["cagliari"]["recipients"]) == (1, 2)
    assert (figures["assemini"]["campaigns"], figures["assemini"]["recipients"]) == (1, 1)


def test_a_campaign_from_before_the_tenancy_is_the_active_comunes(
    municipality, fake_graph, monkeypatch, settings, eager_tasks, django_capture_on_commit_callbacks
):
    """Rows without a comune are the active comune's: once another comune is served, such a
    campaign still goes to the active comune's citizens only, from the deployment's number."""
    from broadcasts.tasks import campaign_start_task
    from tests.fixtures.fake_graph import ACCESS_TOKEN, PHONE_NUMBER_ID

    settings.URP_SECRETS_KEY = [SECRETS_KEY]
    settings.WHATSAPP_RATE_PER_SECOND = 0
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 0
    Municipality.objects.update(quiet_hours_start="00:00", quiet_hours_end="00:00")
    monkeypatch.setenv("URP_TEST_TOKEN_ASSEMINI", ASSEMINI_TOKEN)
    now = timezone.now()
    old = Subscriber.objects.create(
        number="+393470000001", status=SubscriberStatus.SUBSCRIBED, subscribed_at=now
    )
    template = MessageTemplate.all_comuni.create(
        name="avviso_comune", body="Dal Comune: {{1}}.", approval_status=TemplateApproval.APPROVED
    )
    campaign = Campaign.all_comuni.create(
        title="Prima", template=template, parameters=["mercato"], state=CampaignState.APPROVED
    )
    call_command(
        "load_preset",
        "assemini",
        "--comune",
        "assemini",
        "--phone-number-id",
        ASSEMINI_NUMBER,
        "--business-account-id",
        ASSEMINI_WABA,
        "--access-token-env",
        "URP_TEST_TOKEN_ASSEMINI",
        stdout=StringIO(),
    )
    forget_serves_other_comuni()
    subscribe(Municipality.objects.get(slug="assemini"), ["+393480000001"])

    with django_capture_on_commit_callbacks(execute=True):
        # As a worker runs it: outside any scope.
        campaign_start_task(campaign.pk)

    sends = fake_graph.sent_messages()
    assert campaign.comune_id is None
    assert [r.to for r in sends] == [old.number]
    assert {r.path.split("/")[-2] for r in sends} == {PHONE_NUMBER_ID}
    assert {r.headers.get("Authorization") for r in sends} == {f"Bearer {ACCESS_TOKEN}"}
