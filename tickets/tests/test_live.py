"""The live console's rules (issue 20): what changed since, unread, presence, the collision
warning, the next ticket, the landing page. The browser side is in test_live_browser.py."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tickets import services
from tickets.live import console_cursor
from tickets.models import ConversationPresence, Ticket
from tickets.states import TicketState
from tickets.tests.factories import (
    MunicipalServiceFactory,
    TicketFactory,
    operator,
    service_staff,
)
from urp_portal.gateway.models import OutboundMessage

LIVE = "admin:tickets_ticket_live"


def _live(client, cursor, **params):
    response = client.get(reverse(LIVE), {"m": cursor.message, "e": cursor.event, **params})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return response.json()


def _conversation(ticket):
    return reverse("admin:tickets_ticket_conversation", args=[ticket.pk])


def _ticket_of(message) -> Ticket:
    return Ticket.objects.get(messages__inbound=message)


def test_the_live_view_reports_a_citizens_message_and_a_reconnect_catches_up(urp, receive):
    start = console_cursor()

    ticket = _ticket_of(receive("+393331110001", "Buongiorno"))
    first = _live(urp, start)
    # A network blip: the next poll comes with the old cursors and finds the same change.
    again = _live(urp, start)

    changed = {change[1] for change in first["changes"]}
    assert changed == {ticket.pk}
    assert again["changes"] == first["changes"]
    assert (first["m"], first["e"]) > (start.message, start.event)
    # The new conversation is flagged for the sound and the notification.
    assert any(change[2] == 1 for change in first["changes"])


def test_a_services_staff_is_told_nothing_about_another_services_ticket(
    client, municipality, receive
):
    roads = MunicipalServiceFactory(slug="strade")
    staff = service_staff(roads)
    client.force_login(staff)
    start = console_cursor()

    other = _ticket_of(receive("+393331110002", "Una richiesta di un altro servizio"))
    answer = _live(client, start, t=other.pk)

    assert answer["changes"] == []
    assert "colleagues" not in answer
    assert not ConversationPresence.objects.filter(ticket=other).exists()


def test_the_title_counts_conversations_waiting_for_me_or_nobody(urp, receive):
    colleague = operator()
    start = console_cursor()
    mine = _ticket_of(receive("+393331110003", "Prima"))
    theirs = _ticket_of(receive("+393331110004", "Seconda"))
    _ticket_of(receive("+393331110005", "Terza"))
    Ticket.objects.filter(pk=mine.pk).update(assignee=urp.user)
    Ticket.objects.filter(pk=theirs.pk).update(assignee=colleague)

    assert _live(urp, start)["waiting"] == 2  # mine and nobody's; the colleague's is theirs

    urp.get(_conversation(mine))

    assert _live(urp, start)["waiting"] == 1


def test_a_follow_up_on_a_forwarded_ticket_is_unread_and_comes_up_in_the_inbox(urp, receive):
    now = timezone.now()
    sooner = TicketFactory(state=TicketState.OPEN, due_at=now + dt.timedelta(hours=1))
    forwarded = _ticket_of(receive("+393331110006", "Una buca in via Roma"))
    urp.get(_conversation(forwarded))
    services.ticket_forward(
        ticket=forwarded,
        service=MunicipalServiceFactory(),
        note="",
        actor=urp.user,
        site_url="http://testserver/",
    )
    Ticket.objects.filter(pk=forwarded.pk).update(due_at=now + dt.timedelta(days=3))
    before = urp.get(reverse("admin:tickets_ticket_changelist")).context["cl"].result_list

    receive("+393331110006", "È ancora lì, qualcuno passa?")
    after = urp.get(reverse("admin:tickets_ticket_changelist"))

    assert [t.pk for t in before] == [sooner.pk, forwarded.pk]
    assert [t.pk for t in after.context["cl"].result_list] == [forwarded.pk, sooner.pk]
    assert "1 non letto" in after.content.decode()
    forwarded.refresh_from_db()
    assert (forwarded.state, forwarded.unread_count) == (TicketState.FORWARDED, 1)

    urp.get(_conversation(forwarded))

    forwarded.refresh_from_db()
    assert forwarded.unread_count == 0


def test_a_colleague_sees_who_has_the_conversation_open_and_who_types(urp, receive):
    ticket = _ticket_of(receive("+393331110007", "Buongiorno"))
    colleague = operator(first_name="Paola", last_name="Cocco")
    other = Client()
    other.force_login(colleague)
    start = console_cursor()

    _live(other, start, t=ticket.pk, typing=1)
    seen = _live(urp, start, t=ticket.pk)
    ConversationPresence.objects.filter(user=colleague).update(
        seen_at=timezone.now() - dt.timedelta(seconds=30)
    )
    gone = _live(urp, start, t=ticket.pk)

    assert seen["colleagues"] == [{"name": "Paola Cocco", "typing": True}]
    assert gone["colleagues"] == []


def test_a_reply_after_a_colleagues_reply_asks_before_sending(urp, receive):
    ticket = _ticket_of(receive("+393331110008", "Quando passa il vetro?"))
    page = urp.get(_conversation(ticket))
    seen = page.context["reply_form"]["seen_message"].value()
    colleague = operator(first_name="Paola", last_name="Cocco")
    services.ticket_reply(ticket=ticket, actor=colleague, text="Il martedì.")
    post = {"op": "reply", "text": "Passa il martedì mattina.", "seen_message": seen}

    asked = urp.post(_conversation(ticket), post)

    assert asked.status_code == 200
    assert "Un collega (Paola Cocco) ha risposto" in asked.context["collision"].message
    assert OutboundMessage.objects.filter(purpose="reply").count() == 1

    confirmed = urp.post(
        _conversation(ticket), {**post, "seen_message": asked.context["collision"].latest_message}
    )

    assert confirmed.status_code == 302
    assert OutboundMessage.objects.filter(purpose="reply").count() == 2


def test_a_reply_after_the_citizen_wrote_again_asks_too(urp, receive):
    ticket = _ticket_of(receive("+393331110009", "Buongiorno"))
    seen = urp.get(_conversation(ticket)).context["last_message"]
    receive("+393331110009", "Anzi, ho risolto da solo")

    with pytest.raises(services.ReplyCollision, match="Il cittadino ha scritto"):
        services.ticket_reply(ticket=ticket, actor=urp.user, text="Ecco", unseen_after=seen)


def test_replying_to_an_unassigned_ticket_assigns_it_to_me(urp, receive):
    ticket = _ticket_of(receive("+393331110010", "Buongiorno"))

    services.ticket_reply(ticket=ticket, actor=urp.user, text="Buongiorno a lei")

    ticket.refresh_from_db()
    assert ticket.assignee == urp.user


def test_resolving_opens_the_next_ticket_to_work_on(urp):
    now = timezone.now()
    current = TicketFactory(
        state=TicketState.OPEN, assignee=urp.user, due_at=now + dt.timedelta(hours=1)
    )
    TicketFactory(state=TicketState.OPEN, assignee=operator(), due_at=now + dt.timedelta(hours=2))
    following = TicketFactory(state=TicketState.OPEN, due_at=now + dt.timedelta(hours=3))

    response = urp.post(_conversation(current), {"op": "resolve"})

    assert response.status_code == 302
    assert response.url == _conversation(following)
    nxt = reverse("admin:tickets_ticket_next", args=[following.pk])
    assert urp.get(nxt, {"dir": "prev"}).url == reverse("admin:tickets_ticket_changelist")


def test_operators_land_on_the_inbox_and_administrators_on_the_dashboard(municipality):
    operator(username="giulia", password="una-password-lunga-per-i-test")
    client = Client()

    response = client.post(
        reverse("admin:login"),
        # What the admin's sign-in form posts when nobody asked for a page.
        {"username": "giulia", "password": "una-password-lunga-per-i-test", "next": "/admin/"},
    )

    assert response.url == reverse("admin:tickets_ticket_changelist")


def test_the_live_view_runs_a_fixed_number_of_queries(urp, receive, django_assert_max_num_queries):
    start = console_cursor()
    tickets = [_ticket_of(receive(f"+39333111{n:04d}", "Buongiorno")) for n in range(30)]

    _live(urp, start, t=tickets[0].pk)  # the first poll writes the presence's row

    # Session and user, the role (remembered across polls with Redis: test_live_costs.py), the
    # changes (both range scans) with the title's count, the colleagues with the ticks'
    # signature and the presence's update: however many changed.
    with django_assert_max_num_queries(6):
        _live(urp, start, t=tickets[0].pk, typing=1)


def test_the_admin_speaks_italian_grammar_and_names_the_sign_in_attempts(municipality):
    from django.contrib.auth import get_user_model

    from broadcasts.models import CampaignEvent
    from broadcasts.states import CampaignState
    from broadcasts.tests.factories import CampaignFactory

    admin = get_user_model().objects.create_superuser("capo", password="una-password-lunga-x")
    client = Client()
    client.force_login(admin)
    service = MunicipalServiceFactory(name="Tributi")

    response = client.post(
        reverse("admin:tickets_municipalservice_change", args=[service.pk]),
        {
            "slug": service.slug,
            "name": "Tributi",
            "email": "",
            "is_active": "on",
            "keyword_rules-TOTAL_FORMS": "0",
            "keyword_rules-INITIAL_FORMS": "0",
        },
        follow=True,
    )
    index = client.get(reverse("admin:index")).content.decode()
    campaign = CampaignFactory()
    event = CampaignEvent(
        campaign=campaign, from_state=CampaignState.DRAFT, to_state=CampaignState.APPROVED
    )

    link = reverse("admin:tickets_municipalservice_change", args=[service.pk])
    assert [str(m) for m in response.context["messages"]] == [
        f'Modifica salvata: servizio comunale «<a href="{link}">Tributi</a>».'
    ]
    assert "Tentativi di accesso" in index and ">Axes<" not in index
    assert str(event) == f"{CampaignState.DRAFT.label} → {CampaignState.APPROVED.label}"


def test_an_open_console_alone_does_not_keep_an_idle_session_open(urp):
    import time

    from urp_portal.accounts.middleware import SEEN_AT

    session = urp.session
    session[SEEN_AT] = int(time.time()) - 120
    session.save()
    cursor = console_cursor()
    params = {"m": cursor.message, "e": cursor.event}

    polled = urp.get(reverse(LIVE), params, headers={"X-URP-Background": "1"})
    stamp_after_poll = urp.session[SEEN_AT]
    session = urp.session
    session[SEEN_AT] = int(time.time()) - 31 * 60
    session.save()
    expired = urp.get(reverse(LIVE), params, headers={"X-URP-Background": "1"})

    assert polled.status_code == 200
    assert stamp_after_poll <= int(time.time()) - 120  # the poll did not count as activity
    assert expired.status_code == 302 and "/admin/login/" in expired.url
