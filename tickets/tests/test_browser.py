"""The console in a real browser: Debian's Chromium, headless, driven by Playwright.

An operator opens a new ticket from the inbox, plays the citizen's voice note, answers with a
canned reply and forwards another ticket; the service's staff log in, see only that ticket and
answer it; the answer is back on the operator's page. Screenshots of the inbox, a conversation and
the service's view are saved under docs/screenshots/ for the README, at a laptop's width, plus
the tablet's width where the layout changes.

Chromium, its fixtures and the sign-in are shared with the other browser tests
(tests/fixtures/browser.py).
"""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from subscribers.tests.factories import SubscriberFactory
from tests.fixtures.browser import LAPTOP, PASSWORD, ROOT, browser_login, screenshot
from tickets.models import CannedAnswer, Forward, MunicipalService, ServiceKeywordRule, Ticket
from tickets.states import TicketState
from tickets.tests.factories import MessageFactory, TicketFactory, operator, service_staff
from urp_portal.gateway.media import media_check
from urp_portal.gateway.models import OutboundMessage
from urp_portal.gateway.states import MessageKind

pytestmark = pytest.mark.browser

VOICE_NOTE = ROOT / "urp_portal" / "simulator" / "samples" / "vocale.ogg"
TABLET = {"width": 820, "height": 1180}
INBOX = "/admin/tickets/ticket/"


def _login(browser, live_server, username: str, viewport=LAPTOP):
    return browser_login(browser, live_server, username, landing=INBOX, viewport=viewport)


def _no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _inbox_fits(page) -> bool:
    """The inbox's table needs no sideways scrolling: every column is on the screen."""
    return page.evaluate(
        "(() => { const r = document.querySelector('#changelist-form .results');"
        " return r.scrollWidth <= r.clientWidth; })()"
    )


def _inbox_at_work(receive) -> dict[str, Ticket]:
    """A morning's inbox: a voice note just arrived, a pothole to forward, and colleagues' work."""
    now = timezone.now()
    voice_in = receive("+393331110001", kind=MessageKind.VOICE, profile_name="Anna Piras")
    voice = Ticket.objects.get(messages__inbound=voice_in)
    # What the gateway's download keeps: the real file, its type read from the bytes.
    content = VOICE_NOTE.read_bytes()
    voice_in.media_file.save("vocale.ogg", ContentFile(content), save=False)
    voice_in.media_mime_type = media_check(content=content).mime_type
    voice_in.save(update_fields=["media_file", "media_mime_type"])
    receive("+393331110001", "Vi ho mandato un vocale sulla mia pratica TARI", profile_name="Anna")
    pothole_in = receive(
        "+393331110002",
        "Buongiorno, c'è una buca pericolosa in via Roma davanti al civico 12.",
        profile_name="Marco Melis",
    )
    pothole = Ticket.objects.get(messages__inbound=pothole_in)
    colleagues = operator(username="paola", first_name="Paola", last_name="Cocco")
    for name, text, state, due in [
        ("Giovanni Deiana", "Quando aprono le iscrizioni alla mensa?", TicketState.OPEN, -1),
        ("Sara Loi", "Serve un certificato di residenza", TicketState.OPEN, 0),
        ("Luca Pinna", "Multa ricevuta per un'auto che non è mia", TicketState.WAITING_CITIZEN, 2),
        ("Elena Murgia", "Orari dello sportello anagrafe", TicketState.RESOLVED, 1),
    ]:
        first, last = name.split()
        ticket = TicketFactory(
            subscriber=SubscriberFactory(first_name=first, last_name=last),
            state=state,
            assignee=colleagues,
            opened_at=now - dt.timedelta(days=2),
            due_at=now + dt.timedelta(days=due) if due else now + dt.timedelta(minutes=90),
        )
        MessageFactory(ticket=ticket, text=text, at=now - dt.timedelta(days=2))
    return {"voice": voice, "pothole": pothole}


def test_an_operator_and_a_service_work_the_console_in_chromium(
    transactional_db, live_server, browser, receive, no_queued_tasks
):
    # --- arrange: the Cagliari URP, an operator, the roads service's staff, a canned answer ----
    from urp_portal.municipality.services import municipality_load_preset

    municipality_load_preset(slug="cagliari")
    operator(username="giulia", first_name="Giulia", last_name="Serra", password=PASSWORD)
    roads, _created = MunicipalService.objects.get_or_create(
        slug="lavori-pubblici", defaults={"name": "Lavori pubblici"}
    )
    # A live server's test empties the tables between tests: the migration's rules may be gone.
    ServiceKeywordRule.objects.get_or_create(service=roads, keyword="buca")
    service_staff(roads, username="roberto", first_name="Roberto", password=PASSWORD)
    CannedAnswer.objects.create(
        title="Presa in carico",
        text="Buongiorno {nome}, la sua richiesta {numero} è stata presa in carico.",
    )
    tickets = _inbox_at_work(receive)
    voice, pothole = tickets["voice"], tickets["pothole"]

    # --- the operator opens the new ticket from the inbox ---------------------------------------
    page = _login(browser, live_server, "giulia")
    assert page.locator("#result_list tbody tr").count() == 6
    assert _no_horizontal_overflow(page) and _inbox_fits(page)
    screenshot(page, "inbox.png")
    page.click(f'#result_list a.ticket-number:text-is("#{voice.pk}")')
    page.wait_for_url(f"**/admin/tickets/ticket/{voice.pk}/conversation/")

    # ...plays the voice note: the browser decodes the real OGG/Opus file and time advances...
    audio = page.locator("article.bubble.in audio")
    assert audio.count() == 1
    played = audio.evaluate(
        """async (a) => {
            a.muted = true;
            await a.play();
            const start = performance.now();
            while (a.currentTime === 0 && performance.now() - start < 10000) {
                await new Promise((r) => setTimeout(r, 50));
            }
            a.pause();
            a.muted = false;
            return {readyState: a.readyState, currentTime: a.currentTime, duration: a.duration};
        }"""
    )
    assert played["readyState"] >= 1  # HAVE_METADATA
    assert played["currentTime"] > 0
    assert 7 < played["duration"] < 9  # the sample says its sentence in about 8 s
    assert _no_horizontal_overflow(page)
    screenshot(page, "conversation.png")

    # ...answers with the canned reply, which the page fills in with the citizen's name...
    page.select_option("#id_reply_canned_answer", label="Presa in carico")
    expected = f"Buongiorno Anna, la sua richiesta #{voice.pk} è stata presa in carico."
    assert page.input_value("#id_reply_text") == expected
    page.click("#submit-reply")
    page.wait_for_selector("ul.messagelist li.success")
    reply = OutboundMessage.objects.get(purpose="reply")
    assert (reply.to, reply.text) == ("+393331110001", expected)
    assert page.locator(f"article.bubble.out:has-text('{expected}')").count() == 1

    # ...and forwards the pothole to the roads service, which the page suggests.
    page.goto(f"{live_server.url}/admin/tickets/ticket/{pothole.pk}/conversation/")
    assert page.locator(".suggestions").inner_text().count("Lavori pubblici") == 1
    page.select_option("#id_forward_service", label="Lavori pubblici")
    page.fill("#id_forward_note", "Sopralluogo urgente, il cittadino segnala un pericolo.")
    page.click("#submit-forward")
    page.wait_for_selector("ul.messagelist li.success")
    assert Forward.objects.get().service == roads

    # --- the service's staff see only that ticket, and answer it --------------------------------
    staff_page = _login(browser, live_server, "roberto")
    assert staff_page.locator("#result_list tbody tr").count() == 1
    screenshot(staff_page, "service-inbox.png")
    staff_page.click(f'#result_list a.ticket-number:text-is("#{pothole.pk}")')
    assert staff_page.locator(".forward-note").inner_text().count("Sopralluogo urgente") == 1
    screenshot(staff_page, "service-conversation.png")
    staff_page.fill("#id_service_answer_answer", "Squadra inviata, la buca sarà chiusa domani.")
    staff_page.click("#submit-service_answer")
    staff_page.wait_for_selector("ul.messagelist li.success")

    # --- the answer comes back to the URP -------------------------------------------------------
    pothole.refresh_from_db()
    assert pothole.state == TicketState.ANSWERED_BY_SERVICE
    page.reload()
    assert page.locator("article.bubble:has-text('Squadra inviata')").count() == 1
    assert page.locator(".conversation-head .badge.state-answered_by_service").count() == 1

    # --- the same pages on a tablet: one column, nothing wider than the screen ------------------
    tablet = _login(browser, live_server, "giulia", viewport=TABLET)
    assert _no_horizontal_overflow(tablet) and _inbox_fits(tablet)
    screenshot(tablet, "inbox-tablet.png")
    tablet.goto(f"{live_server.url}/admin/tickets/ticket/{voice.pk}/conversation/")
    assert _no_horizontal_overflow(tablet)
    screenshot(tablet, "conversation-tablet.png")
