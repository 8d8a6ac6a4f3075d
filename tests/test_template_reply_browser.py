"""An operator answers a citizen who wrote three days ago, in a real browser (Debian's Chromium):
free text is closed, the reply box offers only approved templates, shows a field per parameter
of the chosen one with the live preview, and sends it; the fake Graph API receives the template
with its parameters."""

import datetime as dt

import pytest
from django.utils import timezone

from broadcasts.models import MessageTemplate
from broadcasts.states import TemplateApproval
from tests.fixtures.browser import PASSWORD, browser_login, screenshot
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory, UserFactory
from urp_portal.accounts.roles import Role
from urp_portal.gateway.models import OutboundMessage

pytestmark = pytest.mark.browser


def test_an_operator_picks_an_approved_template_fills_it_and_sends_it_outside_the_window(
    transactional_db, live_server, browser, fake_graph, settings, no_queued_tasks
):
    from urp_portal.municipality.services import municipality_load_preset

    municipality_load_preset(slug="cagliari")
    UserFactory(roles=[Role.OPERATOR], username="giulia", password=PASSWORD)
    MessageTemplate.objects.create(
        name="aggiornamento_richiesta",
        body="Gentile {{1}}, la sua richiesta {{2}} è stata aggiornata.",
        approval_status=TemplateApproval.APPROVED,
    )
    MessageTemplate.objects.create(
        name="in_revisione", body="Testo {{1}}", approval_status=TemplateApproval.PENDING
    )
    ticket = TicketFactory(subscriber__last_inbound_at=timezone.now() - dt.timedelta(days=3))
    url = f"/admin/tickets/ticket/{ticket.pk}/conversation/"

    page = browser_login(browser, live_server, "giulia", landing=url)

    select = page.locator("select[name$='template']")
    options = select.locator("option").all_inner_texts()
    assert any("aggiornamento_richiesta" in option for option in options)
    assert not any("in_revisione" in option for option in options)
    select.select_option("aggiornamento_richiesta")
    page.fill("[data-template-parameter='1']", "Anna")
    page.fill("[data-template-parameter='2']", "n. 42")
    preview = page.locator("#reply-template-preview")
    assert preview.inner_text() == "Gentile Anna, la sua richiesta n. 42 è stata aggiornata."
    screenshot(page, "template-reply.png")
    page.locator(
        "section.reply button[type=submit], section.reply input[type=submit]"
    ).first.click()
    page.wait_for_load_state("networkidle")

    sent = OutboundMessage.objects.get(purpose="reply")
    assert (sent.template_name, sent.template_parameters) == (
        "aggiornamento_richiesta",
        ["Anna", "n. 42"],
    )
    assert (
        Ticket.objects.get(pk=ticket.pk)
        .messages.filter(text="Gentile Anna, la sua richiesta n. 42 è stata aggiornata.")
        .exists()
    )
