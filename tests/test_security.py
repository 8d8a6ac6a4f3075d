"""Staff sign-in and the browser protections (issue 9, points 1 and 2), through the real pages:
the admin's login form, the second-factor pages, the console's responses and their headers."""

import datetime as dt
import logging
import re

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tickets.tests.factories import MessageFactory, TicketFactory
from urp_portal.accounts.lockout import cool_off_for_failures
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory, totp_device_for

PASSWORD = "una-password-lunga-per-i-test"
START = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)
LOGIN = "/admin/login/"


def _staff(username: str, *roles: str, superuser: bool = False):
    user = UserFactory(username=username, roles=list(roles), is_staff=True)
    user.is_superuser = superuser
    user.set_password(PASSWORD)
    user.save()
    return user


def _sign_in(client, username: str, password: str = PASSWORD, **extra):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, **extra
    )


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


# --- Lockout ------------------------------------------------------------------------------------


@pytest.fixture
def frozen():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_five_wrong_passwords_lock_the_account_at_that_address_even_for_the_right_one(
    client, db, frozen
):
    _staff("giulia", Role.OPERATOR)

    failures = [_sign_in(client, "giulia", "sbagliata-davvero") for _ in range(4)]
    fifth = _sign_in(client, "giulia", "sbagliata-davvero")
    right_password = _sign_in(client, "giulia")

    assert [r.status_code for r in failures] == [200] * 4
    assert fifth.status_code == 429
    assert right_password.status_code == 429
    assert "Troppi tentativi" in right_password.content.decode()
    assert "Riprova tra 15 minuti" in right_password.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lockout_holds_one_username_at_one_address_not_the_whole_office(client, db, frozen):
    _staff("giulia", Role.OPERATOR)
    _staff("marco", Role.OPERATOR)
    for _ in range(5):
        _sign_in(client, "giulia", "sbagliata-davvero", REMOTE_ADDR="10.1.1.1")

    colleague = _sign_in(client, "marco", REMOTE_ADDR="10.1.1.1")
    client.logout()
    same_user_elsewhere = _sign_in(client, "giulia", REMOTE_ADDR="10.2.2.2")

    assert colleague.status_code == 302
    assert same_user_elsewhere.status_code == 302


def test_each_further_series_of_failures_doubles_the_cool_off(client, db, frozen):
    _staff("giulia", Role.OPERATOR)
    for _ in range(5):
        _sign_in(client, "giulia", "sbagliata-davvero")

    frozen.shift(dt.timedelta(minutes=16))
    for _ in range(5):
        _sign_in(client, "giulia", "sbagliata-davvero")
    frozen.shift(dt.timedelta(minutes=16))
    still_locked = _sign_in(client, "giulia")
    frozen.shift(dt.timedelta(minutes=15))
    open_again = _sign_in(client, "giulia")

    assert still_locked.status_code == 429
    assert "Riprova tra 30 minuti" in still_locked.content.decode()
    assert open_again.status_code == 302
    assert cool_off_for_failures(5) == dt.timedelta(minutes=15)
    assert cool_off_for_failures(10) == dt.timedelta(minutes=30)
    assert cool_off_for_failures(15) == dt.timedelta(hours=1)
    assert cool_off_for_failures(10_000) == dt.timedelta(days=1)


def test_behind_a_proxy_the_client_is_the_address_the_proxy_saw_not_what_it_wrote(
    client, db, frozen, settings
):
    settings.URP_PROXY_COUNT = 1
    _staff("giulia", Role.OPERATOR)
    # The attacker writes a different address each time; the proxy appends the real one.
    for n in range(5):
        _sign_in(
            client,
            "giulia",
            "sbagliata-davvero",
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 198.51.100.7",
        )

    attacker = _sign_in(
        client, "giulia", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7"
    )
    office = _sign_in(client, "giulia", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.1")

    assert attacker.status_code == 429
    assert office.status_code == 302


# --- The second factor ----------------------------------------------------------------------------


def test_an_administrator_without_a_device_is_sent_to_enrol_and_reaches_nothing_before(client, db):
    admin = _staff("paola", Role.ADMINISTRATOR)

    signed_in = _sign_in(client, "paola")
    console = client.get("/admin/tickets/ticket/")
    api = client.get("/api/v1/tickets/")

    assert signed_in.status_code == 302
    assert console.status_code == 302
    assert console["Location"].startswith(reverse("accounts:second_factor_enrol"))
    assert api.status_code == 403
    assert api.json()["code"] == "second_factor_required"
    assert not TOTPDevice.objects.filter(user=admin, confirmed=True).exists()


def test_a_superuser_counts_as_an_administrator(client, db):
    _staff("root", superuser=True)

    _sign_in(client, "root")

    assert client.get("/admin/").status_code == 302


def test_enrolling_with_the_code_from_the_qr_opens_the_console(client, db):
    _staff("andrea", Role.MODERATOR)
    _sign_in(client, "andrea")
    page = client.get(reverse("accounts:second_factor_enrol"))
    device = TOTPDevice.objects.get(user__username="andrea", confirmed=False)

    wrong = client.post(reverse("accounts:second_factor_enrol"), {"token": "000000"})
    # django-otp makes each failure wait longer before the next try: a person waits, a test resets.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    right = client.post(
        reverse("accounts:second_factor_enrol"), {"token": _code(device), "next": "/admin/"}
    )

    assert page.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in page.content.decode()
    assert wrong.status_code == 200
    assert right.status_code == 302 and right["Location"] == "/admin/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200


def test_an_enrolled_administrator_types_the_code_after_the_password(client, db, caplog):
    admin = _staff("paola", Role.ADMINISTRATOR)
    device = totp_device_for(admin)
    _sign_in(client, "paola")

    before = client.get("/admin/")
    with caplog.at_level(logging.INFO, logger="urp_portal.security"):
        wrong = client.post(reverse("accounts:second_factor_verify"), {"token": "123456"})
    still_refused = client.get("/admin/")
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    right = client.post(reverse("accounts:second_factor_verify"), {"token": _code(device)})

    assert before["Location"].startswith(reverse("accounts:second_factor_verify"))
    assert wrong.status_code == 200 and "Codice non valido" in wrong.content.decode()
    assert still_refused.status_code == 302
    assert right.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert "second factor failed user=paola" in caplog.text


def test_the_code_page_does_not_let_an_unverified_session_enrol_a_second_phone(client, db):
    admin = _staff("paola", Role.ADMINISTRATOR)
    totp_device_for(admin)
    _sign_in(client, "paola")

    response = client.get(reverse("accounts:second_factor_enrol"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:second_factor_verify"))
    assert TOTPDevice.objects.filter(user=admin).count() == 1


def test_an_operator_works_without_a_second_factor_until_enrolling_one(client, db):
    operator = _staff("marco", Role.OPERATOR)
    _sign_in(client, "marco")
    assert client.get("/admin/").status_code == 200
    totp_device_for(operator)
    client.logout()

    _sign_in(client, "marco")

    assert client.get("/admin/")["Location"].startswith(reverse("accounts:second_factor_verify"))


# --- Passwords, sessions, the log -----------------------------------------------------------------


def test_a_breached_password_is_refused_offline_and_a_random_one_accepted():
    with pytest.raises(ValidationError) as refused:
        validate_password("iloveyou2010")
    validate_password("vC7#qe!pLx2m-Tavolara")

    assert "password_breached" in [e.code for e in refused.value.error_list]


def test_a_session_idle_for_half_an_hour_is_signed_out(client, db, frozen):
    _staff("marco", Role.OPERATOR)
    _sign_in(client, "marco")
    frozen.shift(dt.timedelta(minutes=29))
    assert client.get("/admin/").status_code == 200

    frozen.shift(dt.timedelta(minutes=31))

    assert client.get("/admin/")["Location"].startswith(LOGIN)


def test_a_busy_session_still_ends_ten_hours_after_the_sign_in(client, db, frozen):
    _staff("marco", Role.OPERATOR)
    _sign_in(client, "marco")
    for _ in range(20):
        frozen.shift(dt.timedelta(minutes=29))
        assert client.get("/admin/").status_code == 200
    frozen.shift(dt.timedelta(minutes=29))

    assert client.get("/admin/")["Location"].startswith(LOGIN)


def test_sign_in_failure_and_sign_out_are_logged_without_the_password(client, db, caplog):
    _staff("marco", Role.OPERATOR)

    with caplog.at_level(logging.INFO, logger="urp_portal.security"):
        _sign_in(client, "marco", "password-sbagliata")
        _sign_in(client, "marco", REMOTE_ADDR="10.9.8.7")
        client.post(reverse("admin:logout"))

    assert "login failed user=marco" in caplog.text
    assert "login user=marco ip=10.9.8.7" in caplog.text
    assert "logout user=marco" in caplog.text
    assert "password-sbagliata" not in caplog.text


# --- Browser protections --------------------------------------------------------------------------


def test_the_conversation_page_carries_a_csp_that_runs_only_its_own_scripts(client, municipality):
    ticket = TicketFactory()
    MessageFactory(ticket=ticket)
    client.force_login(_staff("marco", Role.OPERATOR))

    response = client.get(reverse("admin:tickets_ticket_conversation", args=[ticket.pk]))

    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    scripts = re.findall(r"<script\b([^>]*)>", response.content.decode())
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in directives["script-src"]
    # The console's scripts are files of our own (live updates, shortcuts, the template preview):
    # an inline script would need the response's nonce, and there is none to need.
    assert scripts, "the conversation page has its scripts"
    inline = [attrs for attrs in scripts if "src=" not in attrs and "json" not in attrs]
    assert all("nonce=" in attrs for attrs in inline)
    assert all(re.search(r'src="/static/', attrs) for attrs in scripts if "src=" in attrs), scripts


def test_session_and_csrf_cookies_are_secure_httponly_and_samesite(client, db):
    _staff("marco", Role.OPERATOR)
    client.get(LOGIN)

    response = _sign_in(client, "marco")

    session = response.cookies["sessionid"]
    csrf = response.cookies["csrftoken"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    # Office PCs are shared: the session ends with the browser.
    assert session["max-age"] == ""


def test_pages_say_no_sniffing_no_framing_and_keep_the_referrer_and_opener_here(client, db):
    response = client.get(LOGIN, secure=True)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
