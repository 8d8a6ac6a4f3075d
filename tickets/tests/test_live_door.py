"""The live poll's short door (issue 20, point 6): the poll is answered before the admin's URL
list and the page-only middleware, and keeps every guard of a console page: sign-in, staff,
timeouts, the second factor, the roles. Its JSON carries no Content-Security-Policy (it renders
nothing); every page still does."""

import pytest
from django.test import Client
from django.test.client import ClientMixin
from django.urls import reverse

from tickets.live import console_cursor
from tickets.tests.factories import operator
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import (
    UserFactory,
    pass_second_factor,
    totp_device_for,
)

LIVE = "admin:tickets_ticket_live"


def _poll(client, **params):
    top = console_cursor()
    return client.get(reverse(LIVE), {"m": top.message, "e": top.event, **params})


@pytest.fixture(autouse=True, params=["short door", "whole way"])
def door(request, settings):
    """Every guard holds on both ways: the short door (URP_LIVE_MIDDLEWARE) and, with it shut,
    the site's whole middleware and URL list. The test client builds its handler at its first
    request, after this."""
    if request.param == "whole way":
        settings.URP_LIVE_MIDDLEWARE = []
    return request.param


@pytest.fixture
def administrator(municipality):
    admin = UserFactory(username="paola", roles=[Role.ADMINISTRATOR])
    totp_device_for(admin)
    return admin


def test_a_forced_sign_in_of_an_administrator_with_a_device_is_asked_for_the_code(
    client, administrator
):
    # Django's own force_login (the suite's fixture passes the second factor for it, see
    # tests/fixtures/second_factor.py): it goes through django.contrib.auth.login like the
    # sign-in page, the session is stamped "needs the second factor" at once, and the poll
    # meets the code page.
    ClientMixin.force_login(client, administrator)

    asked = _poll(client)
    pass_second_factor(client, administrator)
    verified = _poll(client)

    assert asked.status_code == 302
    assert asked.url.startswith(reverse("accounts:second_factor_verify"))
    assert verified.status_code == 200 and "changes" in verified.json()


def test_a_session_stamped_before_the_second_factor_was_needed_is_asked_after_the_recheck(
    client, municipality
):
    import time

    from urp_portal.accounts.middleware import NO_SECOND_FACTOR_UNTIL

    user = operator()
    ClientMixin.force_login(client, user)
    assert _poll(client).status_code == 200  # no second factor needed: the session says so
    totp_device_for(user)  # the operator enrols on another session
    session = client.session
    session[NO_SECOND_FACTOR_UNTIL] = int(time.time()) - 1  # the minute of the recheck is over
    session.save()

    asked = _poll(client)

    assert asked.status_code == 302
    assert asked.url.startswith(reverse("accounts:second_factor_verify"))


def test_a_session_without_its_stamps_is_stamped_and_still_asked_for_the_code(
    client, administrator
):
    from urp_portal.accounts.middleware import NO_SECOND_FACTOR_UNTIL, SEEN_AT, SIGNED_IN_AT

    ClientMixin.force_login(client, administrator)
    session = client.session
    for key in (SIGNED_IN_AT, SEEN_AT, NO_SECOND_FACTOR_UNTIL):
        session.pop(key, None)
    session.save()

    asked = _poll(client)

    assert asked.status_code == 302
    assert asked.url.startswith(reverse("accounts:second_factor_verify"))


def test_a_poll_is_refused_to_anonymous_and_to_non_staff(client, municipality):
    anonymous = _poll(client)
    user = operator()
    user.is_staff = False
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    not_staff = _poll(client)

    assert anonymous.status_code == 302 and "/admin/login/" in anonymous.url
    assert not_staff.status_code == 302 and "/admin/login/" in not_staff.url


def test_a_user_without_a_ticket_role_is_refused(client, municipality):
    client.force_login(UserFactory(username="nessuno", roles=[]))

    assert _poll(client).status_code == 404


def test_the_short_door_answers_without_walking_the_urls_and_the_pages_still_do(
    urp, door, monkeypatch
):
    from django.urls.resolvers import URLResolver

    walks = []
    resolve = URLResolver.resolve
    monkeypatch.setattr(
        URLResolver, "resolve", lambda self, path: walks.append(path) or resolve(self, path)
    )

    _poll(urp)  # the short door finds the live view once, at its first poll
    walks.clear()
    poll = _poll(urp)
    polled_walks = len(walks)
    page = urp.get(reverse("admin:tickets_ticket_changelist"))

    assert poll.status_code == 200 and page.status_code == 200
    assert (polled_walks == 0) == (door == "short door")
    assert len(walks) > polled_walks


def test_the_poll_carries_no_csp_and_the_pages_keep_theirs(urp):
    poll = _poll(urp)
    inbox = urp.get(reverse("admin:tickets_ticket_changelist"))

    assert poll.status_code == 200 and poll["Content-Type"] == "application/json"
    assert "Content-Security-Policy" not in poll
    assert poll["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in poll["Cache-Control"]
    assert "script-src 'self'" in inbox["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in inbox["Content-Security-Policy"]


def test_a_post_to_the_poll_takes_the_ordinary_door_and_its_csrf_check(municipality):
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator())

    refused = client.post(reverse(LIVE))

    assert refused.status_code == 403


def test_the_live_refresh_draws_the_live_parts_alone_and_marks_them_seen(urp, receive):
    from tickets.models import Ticket
    from urp_portal.audit.models import AuditEvent

    message = receive("+393331110001", "Buongiorno, una buca in via Roma")
    ticket = Ticket.objects.get(messages__inbound=message)
    url = reverse("admin:tickets_ticket_conversation", args=[ticket.pk])
    audited = AuditEvent.objects.count()

    live = urp.get(url, {"live": "1"}, headers={"X-URP-Background": "1"})
    page = urp.get(url)

    html = live.content.decode()
    for part in ("head", "chat", "forwards", "history"):
        assert f'data-live-part="{part}"' in html
        assert f'data-live-part="{part}"' in page.content.decode()
    assert "una buca in via Roma" in html and ticket.number in html
    assert '"signature": "' in html
    # The page around the parts is not drawn: no form, no token, no admin frame.
    assert "csrfmiddlewaretoken" not in html and "<form" not in html
    assert 'id="form-reply"' in page.content.decode()
    ticket.refresh_from_db()
    assert ticket.unread_count == 0
    # Only the page's own opening is a new reading of the conversation.
    assert AuditEvent.objects.count() == audited + 1


def test_the_live_refresh_is_refused_for_a_ticket_the_user_may_not_see(
    client, municipality, receive
):
    from tickets.models import Ticket
    from tickets.tests.factories import MunicipalServiceFactory, service_staff

    message = receive("+393331110002", "Buongiorno")
    ticket = Ticket.objects.get(messages__inbound=message)
    client.force_login(service_staff(MunicipalServiceFactory()))

    refused = client.get(
        reverse("admin:tickets_ticket_conversation", args=[ticket.pk]), {"live": "1"}
    )

    assert refused.status_code == 404
