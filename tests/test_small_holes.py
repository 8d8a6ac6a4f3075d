"""Issue 21, point 6: the small holes an outside test found, each tried through its real door
(the sign-in pages, the API, the management commands, the settings a process starts with, the
media view)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from urp_portal.accounts.authentication import UncredentialedRateThrottle
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory, make_api_token, totp_device_for

PASSWORD = "una-password-lunga-per-i-test"
ROOT = Path(__file__).resolve().parent.parent


def _staff(username: str, *roles: str):
    user = UserFactory(username=username, roles=list(roles), is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


# --- The session id after the second factor -----------------------------------------------------


def test_the_session_id_changes_when_the_second_factor_is_passed(client, db):
    device = totp_device_for(_staff("paola", Role.ADMINISTRATOR))
    client.post("/admin/login/", {"username": "paola", "password": PASSWORD, "next": "/admin/"})
    after_password = client.cookies["sessionid"].value

    verified = client.post(reverse("accounts:second_factor_verify"), {"token": _code(device)})
    after_code = client.cookies["sessionid"].value

    assert verified.status_code == 302
    assert after_code != after_password
    assert client.get("/admin/").status_code == 200


def test_the_session_id_seen_before_the_code_opens_nothing_after_it(client, db):
    """Fixation: whoever learnt the id between password and code gets a dead session."""
    from django.test import Client

    device = totp_device_for(_staff("paola", Role.ADMINISTRATOR))
    client.post("/admin/login/", {"username": "paola", "password": PASSWORD, "next": "/admin/"})
    stolen = client.cookies["sessionid"].value
    client.post(reverse("accounts:second_factor_verify"), {"token": _code(device)})
    attacker = Client()
    attacker.cookies["sessionid"] = stolen

    response = attacker.get("/admin/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_session_id_changes_when_a_first_device_is_enrolled(client, db):
    _staff("andrea", Role.MODERATOR)
    client.post("/admin/login/", {"username": "andrea", "password": PASSWORD, "next": "/admin/"})
    client.get(reverse("accounts:second_factor_enrol"))
    before = client.cookies["sessionid"].value
    device = TOTPDevice.objects.get(user__username="andrea", confirmed=False)

    enrolled = client.post(reverse("accounts:second_factor_enrol"), {"token": _code(device)})

    assert enrolled.status_code == 302
    assert client.cookies["sessionid"].value != before


# --- Throttling before authentication -----------------------------------------------------------


@pytest.fixture
def three_a_minute(monkeypatch):
    monkeypatch.setattr(
        UncredentialedRateThrottle,
        "THROTTLE_RATES",
        {**UncredentialedRateThrottle.THROTTLE_RATES, "anonymous": "3/min"},
    )


def test_bad_tokens_from_one_address_are_throttled_then_answered_429(client, db, three_a_minute):
    wrong = {"Authorization": "Token tentativo-sbagliato"}

    first = [client.get("/api/v1/stats/", headers=wrong).status_code for _ in range(3)]
    fourth = client.get("/api/v1/stats/", headers=wrong)
    anonymous = client.get("/api/v1/stats/")

    assert first == [401, 401, 401]
    assert fourth.status_code == 429
    assert fourth.json()["code"] == "throttled"
    assert int(fourth["Retry-After"]) > 0
    assert anonymous.status_code == 429


def test_anonymous_requests_are_throttled_per_address(client, db, three_a_minute):
    answers = [client.get("/api/v1/tickets/").status_code for _ in range(4)]
    elsewhere = client.get("/api/v1/tickets/", REMOTE_ADDR="192.0.2.44")

    assert answers == [401, 401, 401, 429]
    assert elsewhere.status_code == 401


def test_a_valid_token_still_works_from_an_address_that_spent_its_anonymous_budget(
    client, db, three_a_minute
):
    key = make_api_token(Role.OPERATOR)[1]
    for _ in range(4):
        client.get("/api/v1/stats/")

    response = client.get("/api/v1/stats/", headers={"Authorization": f"Token {key}"})

    assert response.status_code == 200


def test_a_signed_in_console_user_does_not_spend_the_anonymous_budget(client, db, three_a_minute):
    client.force_login(UserFactory(roles=[Role.OPERATOR], is_staff=True))

    answers = {client.get("/api/v1/stats/").status_code for _ in range(5)}

    assert answers == {200}


# --- DEMO_PORT moves every simulator URL --------------------------------------------------------


def _settings_in_a_new_process(**env: str) -> dict[str, str]:
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'graph': s.SIMULATOR_GRAPH_URL, 'webhook': s.SIMULATOR_WEBHOOK_URL,"
        " 'port': s.DEMO_PORT}))"
    )
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SIMULATOR_", "DEMO_"))
    }
    environment.update(DJANGO_SETTINGS_MODULE="urp_portal.settings", **env)
    output = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    import json

    return json.loads(output.strip().splitlines()[-1])


def test_demo_port_moves_the_simulators_graph_and_webhook_urls():
    moved = _settings_in_a_new_process(DEBUG="true", DEMO_PORT="8765")
    default = _settings_in_a_new_process(DEBUG="true")

    assert moved["graph"].startswith("http://127.0.0.1:8765/simulator/graph/")
    assert moved["webhook"] == "http://127.0.0.1:8765/webhooks/whatsapp/meta/"
    assert ":8000/" in default["graph"] and ":8000/" in default["webhook"]


def test_run_demo_refuses_a_port_that_the_simulator_would_not_follow(settings):
    from django.core.management import CommandError, call_command

    settings.DEBUG = True

    with pytest.raises(CommandError, match="DEMO_PORT=8765"):
        call_command("run_demo", "--port", "8765", "--prepare-only")


# --- Point 4: mail printed into logs, query strings in request lines ----------------------------


def _settings_fail(**env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k not in ("EMAIL_URL", "DEBUG")}
    environment.update(DJANGO_SETTINGS_MODULE="urp_portal.settings", **env)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    return result.stderr if result.returncode else ""


def test_the_console_mail_backend_refuses_to_start_with_debug_off():
    refused = _settings_fail(DEBUG="false", EMAIL_URL="consolemail://")
    unset = _settings_fail(DEBUG="false")

    assert "EMAIL_URL must name a real mail server" in refused
    assert "EMAIL_URL must name a real mail server" in unset
    assert _settings_fail(DEBUG="true") == ""
    assert _settings_fail(DEBUG="false", EMAIL_URL="smtp+tls://u:p@smtp.example.it:587") == ""


def test_the_example_configuration_names_a_real_mail_server():
    lines = (ROOT / ".env.example").read_text().splitlines()
    (email_url,) = [line for line in lines if line.startswith("EMAIL_URL=")]

    assert email_url.startswith("EMAIL_URL=smtp")


def test_the_development_servers_request_lines_lose_their_query_strings():
    import logging

    from urp_portal.observability.logs import QueryStringFilter

    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /api/v1/subscribers/?number=%2B393471234987 HTTP/1.1", "200", "312"),
        None,
    )

    QueryStringFilter().filter(record)

    assert record.getMessage() == '"GET /api/v1/subscribers/ HTTP/1.1" 200 312'
