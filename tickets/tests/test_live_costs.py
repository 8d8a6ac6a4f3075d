"""The live poll's last CPU cuts (issue 20, point 6): the access remembered across polls until a
role changes, the title's count read with the changes, the presence heartbeat written every
other poll; each as strong as before (a role taken away, a session ended, a second factor
pending are refused by the very next poll)."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tickets import access, selectors
from tickets.live import console_cursor
from tickets.models import ConversationPresence, Ticket
from tickets.states import TicketState
from tickets.tests.factories import (
    MunicipalServiceFactory,
    TicketFactory,
    operator,
    service_staff,
)
from urp_portal.accounts.roles import GROUP_NAMES, Role

LIVE = "admin:tickets_ticket_live"


def _poll(client, cursor, **params):
    return client.get(reverse(LIVE), {"m": cursor["m"], "e": cursor["e"], **params})


def _start():
    top = console_cursor()
    return {"m": top.message, "e": top.event}


def test_a_quiet_poll_reads_the_session_and_the_user_alone(
    urp, shared_cache, django_assert_num_queries
):
    first = _poll(urp, _start(), inbox="").json()
    cursor = {"m": first["m"], "e": first["e"]}

    # The session (from Redis with cached_db sessions, the database otherwise) and the user
    # row (its password's hash checks the session); the role is the access remembered by the
    # first poll: no query.
    session_queries = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1
    with django_assert_num_queries(session_queries + 1):
        quiet = _poll(urp, cursor, inbox="", v=first["v"])

    assert quiet.status_code == 200 and quiet.json()["changes"] == []


def test_an_operator_whose_role_is_taken_away_is_refused_by_the_next_poll(urp, shared_cache):
    first = _poll(urp, _start(), inbox="").json()
    cursor = {"m": first["m"], "e": first["e"]}

    urp.user.groups.remove(Group.objects.get(name=GROUP_NAMES[Role.OPERATOR]))
    refused = _poll(urp, cursor, inbox="", v=first["v"])

    assert refused.status_code == 404


def test_staff_added_to_a_service_see_its_tickets_at_the_next_poll(
    client, municipality, receive, shared_cache
):
    roads, parks = MunicipalServiceFactory(slug="strade"), MunicipalServiceFactory(slug="verde")
    staff = service_staff(roads)
    client.force_login(staff)
    ticket = TicketFactory()
    ticket.forwards.create(service=parks, at=timezone.now(), token="t-verde-1")
    start = _start()
    before = _poll(client, start, t=ticket.pk).json()

    parks.staff.add(staff)
    after = _poll(client, start, t=ticket.pk).json()

    assert "colleagues" not in before
    assert "colleagues" in after


def test_an_access_read_before_a_role_changed_is_not_used_after(urp, shared_cache):
    # A request read the generation, then the roles; the change committed between the two.
    _nothing, generation = access.access_remembered(user_pk=urp.user.pk)
    read_before = access.Access(is_urp=True, service_ids=[])
    urp.user.groups.clear()
    access.access_remember(user_pk=urp.user.pk, access=read_before, generation=generation)

    remembered, _generation = access.access_remembered(user_pk=urp.user.pk)

    assert remembered is None
    assert _poll(urp, _start()).status_code == 404


def test_a_ticket_of_the_service_is_still_refused_to_another_service(
    client, municipality, shared_cache
):
    roads = MunicipalServiceFactory(slug="strade")
    client.force_login(service_staff(roads))
    ticket = TicketFactory()

    for _ in range(2):  # the second from the access remembered
        answer = _poll(client, _start(), t=ticket.pk).json()
        assert "colleagues" not in answer
    assert Ticket.objects.filter(pk=ticket.pk, presences__isnull=False).count() == 0


def test_the_presence_is_written_every_other_poll_and_never_looks_gone(urp, receive):
    ticket = Ticket.objects.get(messages__inbound=receive("+393331130001", "Buongiorno"))
    colleague = operator(first_name="Paola", last_name="Cocco")
    other = Client()
    other.force_login(colleague)
    start = _start()
    began = timezone.now()
    written = []

    for second in range(0, 12, 2):  # a console polling every 2 s
        with time_machine.travel(began + dt.timedelta(seconds=second), tick=False):
            _poll(other, start, t=ticket.pk)
            written.append(ConversationPresence.objects.get(user=colleague).seen_at)
            seen = _poll(urp, start, t=ticket.pk).json()
        assert seen["colleagues"] == [{"name": "Paola Cocco", "typing": False}]

    writes = {at - began for at in written}
    assert writes == {dt.timedelta(seconds=s) for s in (0, 4, 8)}


def test_typing_is_written_at_once_and_kept_while_it_goes_on(urp, receive):
    ticket = Ticket.objects.get(messages__inbound=receive("+393331130002", "Buongiorno"))
    colleague = operator(first_name="Paola", last_name="Cocco")
    other = Client()
    other.force_login(colleague)
    start = _start()
    began = timezone.now()
    seen = []

    for second, typing in ((0, 0), (1, 1), (3, 1), (5, 1), (7, 1)):
        with time_machine.travel(began + dt.timedelta(seconds=second), tick=False):
            _poll(other, start, t=ticket.pk, typing=typing)
            seen.append(_poll(urp, start, t=ticket.pk).json()["colleagues"][0]["typing"])

    assert seen == [False, True, True, True, True]


def test_a_poll_for_a_ticket_that_does_not_exist_says_nothing_about_it(urp):
    answer = _poll(urp, _start(), t=999_999).json()

    assert "colleagues" not in answer and "signature" not in answer
    assert not ConversationPresence.objects.filter(ticket_id=999_999).exists()


def test_the_title_count_read_with_the_changes_is_the_count_of_waiting_tickets(urp, receive):
    from tickets.live import tickets_waiting_for

    start = _start()
    waiting = Ticket.objects.get(messages__inbound=receive("+393331130003", "Prima"))
    finished = Ticket.objects.get(messages__inbound=receive("+393331130004", "Seconda"))
    Ticket.objects.filter(pk=finished.pk).update(state=TicketState.RESOLVED)
    parks = MunicipalServiceFactory(slug="verde")
    staff = service_staff(parks)
    waiting.forwards.create(service=parks, at=timezone.now(), token="t-verde-2")
    Ticket.objects.filter(pk=waiting.pk).update(state=TicketState.FORWARDED)
    other = Client()
    other.force_login(staff)

    for_urp = _poll(urp, start).json()["waiting"]
    for_service = _poll(other, start).json()["waiting"]

    assert for_urp == tickets_waiting_for(user=urp.user) == 1
    assert for_service == tickets_waiting_for(user=staff) == 1


def test_with_the_access_remembered_a_poll_is_still_refused_to_an_ended_or_unverified_session(
    urp, shared_cache
):
    import time

    from urp_portal.accounts.middleware import SEEN_AT
    from urp_portal.accounts.tests.factories import totp_device_for

    assert _poll(urp, _start()).status_code == 200  # the access is remembered from here on
    user = urp.user
    session = urp.session
    session[SEEN_AT] = int(time.time()) - 31 * 60
    session.save()
    expired = _poll(urp, _start())
    totp_device_for(user)
    urp.post(
        reverse("admin:login"),
        {"username": user.get_username(), "password": "a-long-test-password"},
    )
    unverified = _poll(urp, _start())
    urp.logout()
    signed_out = _poll(urp, _start())

    assert expired.status_code == 302 and "/admin/login/" in expired.url
    assert unverified.status_code == 302
    assert unverified.url.startswith(reverse("accounts:second_factor_verify"))
    assert signed_out.status_code == 302 and "/admin/login/" in signed_out.url


def _has_checkbox(client, ticket):
    answer = _poll(client, _start(), inbox="", rows=str(ticket.pk)).json()
    cells = {row[0]: row[1] for row in answer["rows"]}[ticket.pk]
    page = client.get(reverse("admin:tickets_ticket_changelist")).content.decode()
    on_page = f'name="_selected_action" value="{ticket.pk}"' in page
    assert ("action-select" in cells) == on_page  # the live row is the page's
    return on_page


@pytest.mark.parametrize("shared", [False, True])
def test_the_rows_checkbox_follows_the_change_permission_taken_away_at_once(
    urp, shared, monkeypatch
):
    if shared:
        monkeypatch.setattr(access, "access_cache_shared", lambda: True)
        monkeypatch.setattr(selectors.access, "access_cache_shared", lambda: True)
        cache.clear()
    ticket = TicketFactory()
    assert _has_checkbox(urp, ticket)  # remembered with the access, when shared

    group = Group.objects.get(name=GROUP_NAMES[Role.OPERATOR])
    change = group.permissions.get(codename="change_ticket")
    group.permissions.remove(change)

    assert not _has_checkbox(urp, ticket)
    group.permissions.add(change)
    assert _has_checkbox(urp, ticket)
