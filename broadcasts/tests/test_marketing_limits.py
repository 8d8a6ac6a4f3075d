"""Meta's per-user marketing limit (131049): never retried, counted and explained in Italian in
the campaign's report; every provider error a comune meets has its explanation."""

import pytest
from django.urls import reverse

from broadcasts import selectors, services
from broadcasts.services import fanout
from broadcasts.states import CampaignState, TemplateCategory
from urp_portal.gateway.models import OutboundMessage
from urp_portal.gateway.provider_errors import PROVIDER_ERRORS, provider_error_explain
from urp_portal.gateway.states import OutboundState

from .factories import CampaignFactory, MessageTemplateFactory, subscribers_bulk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def batches_driven_by_the_test(monkeypatch):
    monkeypatch.setattr(fanout, "enqueue_send_batch", lambda pk, **kwargs: None)


def test_131049_is_not_retried_and_the_report_says_how_many_meta_held_back(
    municipality, communications, fake_graph, admin_client, django_capture_on_commit_callbacks
):
    subscribers = subscribers_bulk(5)
    held = [s.number for s in subscribers[:2]]
    for number in held:
        fake_graph.fail_always_to(
            number,
            status=400,
            code=131049,
            message="This message was not delivered to maintain healthy ecosystem engagement.",
        )
    template = MessageTemplateFactory(category=TemplateCategory.MARKETING)
    campaign = CampaignFactory(template=template, state=CampaignState.APPROVED)

    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_start(campaign_id=campaign.pk, actor=communications)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            fanout.campaign_send_next_batch(campaign_id=campaign.pk)

    tried = [r for r in fake_graph.marketing_requests() if r.to in held]
    assert len(tried) == 2  # once each: never retried
    assert set(OutboundMessage.objects.filter(to__in=held).values_list("state", "error_code")) == {
        (OutboundState.FAILED, "131049")
    }
    counts = selectors.campaign_counts(campaign=campaign, errors=True)
    assert counts.held_back == 2
    report = admin_client.get(reverse("admin:broadcasts_campaign_report", args=[campaign.pk]))
    html = report.content.decode()
    assert "Meta ha trattenuto 2 cittadini" in html
    assert str(provider_error_explain("131049").what_to_do)[:40] in html


@pytest.mark.parametrize(
    "code", ["131047", "131049", "131050", "131026", "131056", "130429", "368", "470"]
)
def test_every_error_a_comune_meets_is_explained_in_italian(code):
    explained = provider_error_explain(code)

    assert explained is not None
    assert str(explained.what) and str(explained.what_to_do)
    assert code in PROVIDER_ERRORS
