"""Broadcasts in a real browser (Debian's Chromium, headless, driven by Playwright).

The communications officer composes a campaign and watches the live preview fill in as she
types, a colleague approves it, she schedules it into San Giuliano's next broadcast slot and then
sends it at once; the progress page shows it going out. Screenshots of the compose page, the
approved and scheduled campaign and the progress page go to docs/screenshots/ with
URP_SAVE_SCREENSHOTS=1 (var/screenshots/ otherwise).

The send is real up to the gateway: the "send now" button plans the deliveries; the test then
runs the first batches and sends part of them to the fake Graph API through the gateway's own
service, as a worker would, so the progress page is caught half way.
"""

import datetime as dt

import pytest
from django.utils import timezone

from broadcasts.models import Campaign, Delivery, MessageTemplate
from broadcasts.services import campaign_send_next_batch
from broadcasts.states import CampaignState, TemplateApproval
from broadcasts.timing import slot_occurrences
from subscribers.models import Subscriber
from subscribers.states import SubscriberStatus
from tests.fixtures.browser import PASSWORD, browser_login, screenshot
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory
from urp_portal.gateway.adapters.base import ParsedStatus
from urp_portal.gateway.models import OutboundMessage
from urp_portal.gateway.services import outbound_message_apply_status, outbound_message_send

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 900}
CAMPAIGNS = "/admin/broadcasts/campaign/"
RECIPIENTS = 400


def _login(browser, live_server, username: str):
    return browser_login(browser, live_server, username, landing=CAMPAIGNS, viewport=LAPTOP)


def _shoot(page, name: str) -> None:
    screenshot(page, name, full_page=True)


def _send_part_as_a_worker(campaign: Campaign, *, count: int) -> None:
    """What a worker does with the first batches: hand them off, send through the adapter;
    the provider then reports some delivered and read."""
    while Delivery.objects.filter(campaign=campaign, state="handed_off").count() < count:
        campaign_send_next_batch(campaign_id=campaign.pk)
    ids = list(
        OutboundMessage.objects.filter(delivery__campaign=campaign, delivery__state="handed_off")
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )
    for message_id in ids:
        outbound_message_send(message_id=message_id)
    sent = list(OutboundMessage.objects.filter(pk__in=ids).order_by("pk"))
    for index, message in enumerate(sent):
        statuses = ["delivered", "read"] if index % 3 == 0 else ["delivered"]
        if index % 5 == 4:
            continue  # not yet reported
        for status in statuses:
            outbound_message_apply_status(
                status=ParsedStatus(
                    provider_id=message.provider_id, status=status, at=timezone.now()
                )
            )


def test_compose_preview_approve_schedule_and_watch_a_campaign_in_chromium(
    transactional_db, live_server, browser, fake_graph, settings, no_queued_tasks
):
    # --- arrange: San Giuliano (broadcasts on Tuesday and Friday at 10:00), two officers ------
    from urp_portal.municipality.services import municipality_load_preset

    comune = municipality_load_preset(slug="san_giuliano")
    # "Send now" must not depend on the hour the test runs at: no quiet hours today.
    comune.quiet_hours_start = comune.quiet_hours_end
    comune.save()
    settings.WHATSAPP_RATE_PER_SECOND = 0
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 0
    UserFactory(
        roles=[Role.COMMUNICATIONS], username="chiara", first_name="Chiara", password=PASSWORD
    )
    UserFactory(
        roles=[Role.COMMUNICATIONS], username="marco", first_name="Marco", password=PASSWORD
    )
    template = MessageTemplate.objects.create(
        name="notizie_settimana",
        language="it",
        body="*Comune di San Giuliano Milanese*\n{{1}}: {{2}}.\nInfo: {{3}}",
        approval_status=TemplateApproval.APPROVED,
    )
    now = timezone.now()
    Subscriber.objects.bulk_create(
        Subscriber(number=f"+39345{i:07d}", status=SubscriberStatus.SUBSCRIBED, subscribed_at=now)
        for i in range(RECIPIENTS)
    )

    # --- Chiara composes; the preview fills in as she types -------------------------------------
    page = _login(browser, live_server, "chiara")
    page.goto(f"{live_server.url}/admin/broadcasts/campaign/add/")
    page.fill("#id_title", "Mercato e viabilità")
    page.select_option("#id_template", str(template.pk))
    page.fill("#id_parameters", "Mercato del venerdì\nspostato in piazza Italia")
    preview = page.locator("#wa-preview")
    # The third value is missing: the preview marks it and says so.
    assert preview.locator("mark.wa-missing").inner_text() == "{{3}}"
    assert "{{3}}" in page.locator("#wa-preview-missing").inner_text()
    page.fill(
        "#id_parameters",
        "Mercato del venerdì\nspostato in piazza Italia\nwww.comune.sangiulianomilanese.mi.it",
    )
    assert preview.locator("strong").inner_text() == "Comune di San Giuliano Milanese"
    assert "Mercato del venerdì: spostato in piazza Italia." in preview.inner_text()
    assert preview.locator("mark.wa-missing").count() == 0
    _shoot(page, "broadcast-compose.png")
    page.click("input[name=_continue]")
    page.wait_for_url("**/admin/broadcasts/campaign/*/change/")
    campaign = Campaign.objects.get()
    assert (campaign.state, campaign.parameters[2]) == (
        CampaignState.DRAFT,
        "www.comune.sangiulianomilanese.mi.it",
    )

    # --- Marco, a colleague, reads it and approves it -------------------------------------------
    colleague = _login(browser, live_server, "marco")
    colleague.goto(f"{live_server.url}/admin/broadcasts/campaign/{campaign.pk}/change/")
    assert "piazza Italia" in colleague.locator("#wa-preview").inner_text()
    colleague.click(".wa-action-approve button")
    colleague.wait_for_selector(".messagelist li")
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.APPROVED
    assert campaign.approved_by is not None
    assert campaign.approved_by.username == "marco"

    # --- Chiara schedules it into the next free slot --------------------------------------------
    page.reload()
    page.click(".wa-action-schedule button")  # no time chosen: the next free slot
    page.wait_for_selector(".messagelist li")
    campaign.refresh_from_db()
    next_slot = next(slot_occurrences(comune, after=timezone.now(), until=now + dt.timedelta(8)))
    assert campaign.state == CampaignState.SCHEDULED
    assert campaign.scheduled_at == next_slot.at
    assert campaign.slot_id == next_slot.slot.pk
    assert "programmata" in page.locator(".messagelist").inner_text()
    _shoot(page, "broadcast-scheduled.png")

    # --- ...then decides to send it now, and watches it go out ----------------------------------
    page.click(".wa-action-send button")
    page.wait_for_selector(".messagelist li")
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.SENDING
    assert campaign.recipients_count == RECIPIENTS
    _send_part_as_a_worker(campaign, count=200)
    page.click("text=Andamento")
    page.wait_for_url(f"**/admin/broadcasts/campaign/{campaign.pk}/report/")
    bar = page.locator("[role=progressbar]")
    assert bar.get_attribute("aria-valuenow") == str(round(200 * 100 / RECIPIENTS))
    assert f"Raggiunti 200 su {RECIPIENTS}" in page.locator("#content-main").inner_text()
    assert page.locator("svg.wa-chart polyline").count() == 1
    # Nothing a Content-Security-Policy without 'unsafe-inline' would block.
    assert page.locator("#content-main [style], #content-main script:not([src])").count() == 0
    _shoot(page, "broadcast-progress.png")
    assert len(fake_graph.sent_messages()) == 200
