"""The template's admin page after an edit sent to Meta, in a real browser (Debian's Chromium) at
a laptop's and a tablet's size: the status, what the provider last said, the text sent for
review and the header image are shown; axe-core finds no critical or serious violation.

Screenshots: `URP_SAVE_SCREENSHOTS=1 .venv/bin/pytest tests/test_template_admin_browser.py`
writes docs/screenshots/template-edit-pending.png and template-edit-pending-tablet.png."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from broadcasts.models import MessageTemplate
from broadcasts.states import TemplateApproval, TemplateCategory
from tests.fixtures.browser import LAPTOP, PASSWORD, TABLET, browser_login, screenshot
from tests.test_console_accessibility import _signed_in_context, _violations
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.browser

# The smallest valid PNG (1x1, grey), so the page shows a real picture.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
    "3a7e9b550000000a49444154789c63f80f00010101001b84a2bd0000000049454e44ae426082"
)


@pytest.mark.parametrize(
    ("viewport", "name"),
    [(LAPTOP, "template-edit-pending.png"), (TABLET, "template-edit-pending-tablet.png")],
)
def test_a_template_waiting_for_metas_verdict_on_its_edit_is_readable_and_accessible(
    transactional_db, live_server, browser, settings, tmp_path, no_queued_tasks, viewport, name
):
    settings.MEDIA_ROOT = tmp_path
    UserFactory(roles=[Role.COMMUNICATIONS], username="chiara", password=PASSWORD)
    now = timezone.now()
    template = MessageTemplate.objects.create(
        name="mercato_settimanale",
        category=TemplateCategory.UTILITY,
        body="Il mercato di {{1}} si sposta in {{2}}, anche con la pioggia.",
        examples=["sabato", "piazza Garibaldi"],
        footer="Comune di Cagliari",
        approval_status=TemplateApproval.PENDING,
        provider_id="880001",
        provider_status="PENDING",
        submitted_at=now,
        submitted_content={
            "body": "Il mercato di {{1}} si sposta in {{2}}, anche con la pioggia.",
            "edit": True,
        },
        approved_edits=[(now - dt.timedelta(days=3)).isoformat()],
    )
    template.header_image.save("mercato.png", ContentFile(PNG), save=True)
    url = f"/admin/broadcasts/messagetemplate/{template.pk}/change/"

    page = browser_login(browser, live_server, "chiara", landing=url, viewport=viewport)

    content = page.content()
    assert "in revisione" in content
    assert "in revisione (PENDING)" in page.locator(".field-provider_said").inner_text()
    assert "anche con la pioggia" in page.locator(".field-submitted_text").inner_text()
    assert "mercato" in page.locator(".field-header_image").inner_text()
    screenshot(page, name, full_page=True)
    assert _violations(page) == []


@pytest.mark.parametrize(
    ("viewport", "name"),
    [(LAPTOP, "rate-card.png"), (TABLET, "rate-card-tablet.png")],
)
def test_the_rate_card_page_says_whether_utility_is_free_inside_the_window(
    transactional_db, live_server, browser, no_queued_tasks, viewport, name
):
    UserFactory(roles=[Role.ADMINISTRATOR], username="paola", password=PASSWORD)
    # An administrator signs in with a second factor: the session is made as the axe test does.
    context = _signed_in_context(browser, live_server, "paola")
    page = context.new_page()
    page.set_viewport_size(viewport)

    page.goto(f"{live_server.url}/admin/broadcasts/ratecard/add/")

    checkbox = page.locator("#id_utility_free_in_window")
    assert checkbox.is_checked()  # Meta's rule since 1 July 2025, until a card says otherwise
    assert "1° ottobre 2026" in page.locator(".field-utility_free_in_window").inner_text()
    screenshot(page, name, full_page=True)
    assert _violations(page) == []
