"""The Content-Security-Policy in a real browser: an administrator signs in with the password and
the TOTP code, then opens the console's pages with scripts, charts and previews and the API's
documentation; Chromium reports no violation and each page's scripts did their work.

Chromium comes from tests/fixtures/browser.py (Debian's package, never a download)."""

import pytest
from django.utils import timezone
from django_otp.oath import totp

from broadcasts.tests.factories import CampaignFactory
from tests.fixtures.browser import PASSWORD, italian_context
from tickets.tests.factories import MessageFactory, TicketFactory
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory, totp_device_for

pytestmark = pytest.mark.browser


def test_the_console_and_the_api_docs_run_under_the_policy_without_a_violation(
    transactional_db, live_server, browser, municipality
):
    admin = UserFactory(username="paola", roles=[Role.ADMINISTRATOR], is_staff=True)
    admin.set_password(PASSWORD)
    admin.save()
    device = totp_device_for(admin)
    ticket = TicketFactory(last_message_at=timezone.now())
    MessageFactory(ticket=ticket, text="Buongiorno, una buca in via Roma")
    campaign = CampaignFactory()
    context = italian_context(browser)
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "paola")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/2fa/verifica/**")
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    page.fill("#id_token", f"{code:06d}")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.wait_for_selector(".tickets-dashboard")

    page.goto(f"{live_server.url}/admin/tickets/ticket/{ticket.pk}/conversation/")
    page.wait_for_selector(".chat")
    page.goto(f"{live_server.url}/admin/broadcasts/campaign/{campaign.pk}/report/")
    page.goto(f"{live_server.url}/admin/broadcasts/messagetemplate/add/")
    page.fill("#id_body", "Gentile cittadino, {{1}}")
    page.wait_for_selector("#wa-preview mark.wa-missing")
    page.goto(f"{live_server.url}/admin/2fa/attiva/")
    qr_width = page.eval_on_selector("img[src^='data:image/svg+xml']", "img => img.naturalWidth")
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    page.goto(f"{live_server.url}/api/v1/redoc/")
    page.wait_for_selector("text=URP Portal API")
    context.close()

    assert qr_width > 0
    # Redoc's footer logo comes from its CDN: the policy stops that fetch, as it should (no CDN at
    # the comune's site), and nothing else of any page is blocked.
    assert [v for v in violations if "https://cdn.redoc.ly/" not in v] == []
