"""API tokens: how they are made, shown once, used, and revoked."""

import hashlib
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from urp_portal.accounts.models import ApiToken
from urp_portal.accounts.roles import Role
from urp_portal.accounts.services import api_token_create, api_token_revoke
from urp_portal.accounts.tests.factories import UserFactory, client_with_key, make_api_token
from urp_portal.municipality.errors import UserError

pytestmark = pytest.mark.django_db

STATS = "/api/v1/stats/"


def test_only_the_keys_hash_is_stored():
    token, key = make_api_token(Role.OPERATOR)

    stored = ApiToken.objects.get(pk=token.pk)

    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {stored.key_hash, stored.prefix, stored.name}
    assert key.startswith(stored.prefix)


def test_each_token_gets_a_different_key():
    keys = {make_api_token(Role.OPERATOR)[1] for _ in range(5)}

    assert len(keys) == 5


@pytest.mark.parametrize(
    ("role", "service_slug", "code"),
    [
        (Role.SERVICE, "", "service_required"),
        (Role.OPERATOR, "tributi", "service_not_allowed"),
        ("mayor", "", "unknown_role"),
    ],
)
def test_a_token_binds_a_service_exactly_when_its_role_is_service(role, service_slug, code):
    with pytest.raises(UserError) as raised:
        api_token_create(name="x", role=role, service_slug=service_slug)

    assert raised.value.code == code
    assert not ApiToken.objects.exists()


def test_create_api_token_prints_the_key_alone_on_its_last_line_and_the_key_works():
    out, err = StringIO(), StringIO()

    call_command(
        "create_api_token", "protezione civile", "--role", "communications", stdout=out, stderr=err
    )

    key = out.getvalue().splitlines()[-1]
    assert key == key.strip() and " " not in key
    token = ApiToken.objects.get()
    assert (token.name, token.role, token.service_slug) == (
        "protezione civile",
        "communications",
        "",
    )
    assert client_with_key(key).get(STATS).status_code == 200


def test_create_api_token_binds_a_service_token_to_its_service():
    out = StringIO()

    call_command(
        "create_api_token",
        "gestionale tributi",
        "--role",
        "service",
        "--service",
        "tributi",
        stdout=out,
        stderr=StringIO(),
    )

    token = ApiToken.objects.get()
    assert (token.role, token.service_slug) == ("service", "tributi")
    assert token.key_hash == hashlib.sha256(out.getvalue().splitlines()[-1].encode()).hexdigest()


def test_create_api_token_refuses_a_service_token_without_its_service():
    with pytest.raises(CommandError):
        call_command("create_api_token", "x", "--role", "service", stdout=StringIO())

    assert not ApiToken.objects.exists()


def test_a_valid_token_authenticates_and_records_its_last_use():
    token, key = make_api_token(Role.OPERATOR)

    with time_machine.travel("2025-03-03 10:00:00+01:00", tick=False):
        response = client_with_key(key).get(STATS)

    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == timezone.datetime.fromisoformat("2025-03-03 10:00:00+01:00")


def test_last_use_is_written_at_most_once_a_minute(django_assert_num_queries):
    token, key = make_api_token(Role.OPERATOR)
    client = client_with_key(key)
    with time_machine.travel("2025-03-03 10:00:00+01:00", tick=False):
        client.get(STATS)

    # The token's lookup, the stats' three grouped counts (tickets, citizens, reach) and the
    # satisfaction totals; no UPDATE.
    with (
        time_machine.travel("2025-03-03 10:00:40+01:00", tick=False),
        django_assert_num_queries(5),
    ):
        client.get(STATS)
    token.refresh_from_db()
    assert token.last_used_at == timezone.datetime.fromisoformat("2025-03-03 10:00:00+01:00")

    with time_machine.travel("2025-03-03 10:01:30+01:00", tick=False):
        client.get(STATS)
    token.refresh_from_db()
    assert token.last_used_at == timezone.datetime.fromisoformat("2025-03-03 10:01:30+01:00")


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Token urp_not-a-real-key", "invalid_token"),
        ("Token", "invalid_authorization_header"),
        ("Token two parts", "invalid_authorization_header"),
    ],
)
def test_a_wrong_token_is_answered_401_in_the_error_shape(client, header, code):
    make_api_token(Role.OPERATOR)

    response = client.get(STATS, HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    body = response.json()
    assert body["code"] == code
    assert body["message"] and body["message_en"]
    assert body["details"] == {}


def test_a_revoked_token_is_answered_401_at_once():
    token, key = make_api_token(Role.OPERATOR)
    client = client_with_key(key)
    assert client.get(STATS).status_code == 200

    api_token_revoke(token=token)
    response = client.get(STATS)

    assert response.status_code == 401
    assert response.json() == {
        "code": "token_revoked",
        "message": "Token revocato.",
        "message_en": "Token revoked.",
        "details": {},
    }


def test_revoking_twice_keeps_the_first_time():
    token, _key = make_api_token(Role.OPERATOR)
    with time_machine.travel("2025-03-03 10:00:00+01:00", tick=False):
        first = api_token_revoke(token=token).revoked_at

    with time_machine.travel("2025-03-04 10:00:00+01:00", tick=False):
        second = api_token_revoke(token=token).revoked_at

    assert first == second


def test_no_credentials_is_answered_401_not_403(client):
    response = client.get(STATS)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_the_console_session_still_authenticates_the_api(client):
    user = UserFactory(roles=[Role.COMMUNICATIONS])
    client.force_login(user)

    assert client.get(STATS).status_code == 200


# --- admin ---------------------------------------------------------------------------------------


@pytest.fixture
def admin_client_(client):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


def test_the_admin_creates_a_token_and_shows_its_key_once(admin_client_):
    response = admin_client_.post(
        reverse("admin:accounts_apitoken_add"),
        {"name": "sito comunicazione", "role": "communications", "service_slug": ""},
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    key = response.context["key"]
    assert key in response.content.decode()
    assert token.created_by.username == "admin"
    assert client_with_key(key).get(STATS).status_code == 200
    # Not kept anywhere: the token's page does not show it again.
    page = admin_client_.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))
    assert key not in page.content.decode()


def test_the_admin_refuses_a_service_token_without_its_service(admin_client_):
    response = admin_client_.post(
        reverse("admin:accounts_apitoken_add"),
        {"name": "tributi", "role": "service", "service_slug": ""},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not ApiToken.objects.exists()


def test_the_admin_revokes_selected_tokens_and_lists_their_last_use(admin_client_):
    token, key = make_api_token(Role.OPERATOR, name="gestionale protocollo")
    client_with_key(key).get(STATS)

    admin_client_.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )

    token.refresh_from_db()
    assert token.revoked_at is not None
    listing = admin_client_.get(reverse("admin:accounts_apitoken_changelist"))
    assert "gestionale protocollo" in listing.content.decode()
    assert client_with_key(key).get(STATS).status_code == 401


def test_tokens_are_never_deleted_from_the_admin(admin_client_):
    token, _key = make_api_token(Role.OPERATOR)

    response = admin_client_.get(reverse("admin:accounts_apitoken_delete", args=[token.pk]))

    assert response.status_code == 403
    assert ApiToken.objects.filter(pk=token.pk).exists()
