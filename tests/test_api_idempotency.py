"""A POST retried with the same Idempotency-Key does its work once and answers the same."""

import threading
import time

import pytest
from django.db import connection
from django.urls import include, path
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from urp_portal.accounts.models import ApiToken
from urp_portal.accounts.permissions import HasRole
from urp_portal.accounts.roles import Role
from urp_portal.accounts.services import api_token_create
from urp_portal.accounts.tests.factories import UserFactory, client_with_key, make_api_token
from urp_portal.api.idempotency import idempotency_records_purge, idempotent_write
from urp_portal.api.models import IdempotencyRecord

pytestmark = pytest.mark.urls(__name__)


class EffectSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    fail = serializers.BooleanField(default=False)


class EffectView(APIView):
    """Stands for an emergency send: each call that gets through creates one row."""

    permission_classes = [HasRole(Role.COMMUNICATIONS)]
    # Long enough for a concurrent request with the same key to arrive while this one works.
    pause = 0.0

    @idempotent_write
    def post(self, request):
        data = EffectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        time.sleep(self.pause)
        token, _key = api_token_create(name=data.validated_data["name"], role=Role.OPERATOR)
        if data.validated_data["fail"]:
            return Response({"failed": True}, status=status.HTTP_409_CONFLICT)
        return Response(
            {"id": token.pk, "name": token.name},
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/v1/things/{token.pk}/"},
        )


urlpatterns = [
    path("api/v1/", include("urp_portal.api.urls")),
    path("api/v1/test/effects/", EffectView.as_view()),
    path("api/v1/test/other-effects/", EffectView.as_view()),
]

URL = "/api/v1/test/effects/"


def effects() -> int:
    return ApiToken.objects.filter(role=Role.OPERATOR).count()


@pytest.fixture
def client(db):
    _token, key = make_api_token(Role.COMMUNICATIONS)
    return client_with_key(key)


def test_a_retry_with_the_same_key_does_the_work_once_and_answers_the_same(client):
    first = client.post(URL, {"name": "allerta"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    retry = client.post(URL, {"name": "allerta"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert effects() == 1
    assert first.status_code == retry.status_code == 201
    assert first.json() == retry.json()
    assert retry["Location"] == first["Location"]
    assert retry["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")


def test_the_same_key_with_another_body_is_422_and_does_nothing(client):
    client.post(URL, {"name": "allerta"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    response = client.post(URL, {"name": "altro"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert effects() == 1


def test_the_same_key_on_another_path_is_422(client):
    client.post(URL, {"name": "allerta"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    response = client.post(
        "/api/v1/test/other-effects/",
        {"name": "allerta"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )

    assert response.status_code == 422


def test_different_keys_are_different_writes(client):
    client.post(URL, {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    client.post(URL, {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    assert effects() == 2


def test_without_a_key_every_post_is_a_new_write(client):
    client.post(URL, {"name": "a"}, format="json")
    client.post(URL, {"name": "a"}, format="json")

    assert effects() == 2
    assert not IdempotencyRecord.objects.exists()


def test_keys_belong_to_their_caller(db):
    _t1, first_key = make_api_token(Role.COMMUNICATIONS, name="uno")
    _t2, second_key = make_api_token(Role.COMMUNICATIONS, name="due")

    client_with_key(first_key).post(URL, {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    client_with_key(second_key).post(URL, {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert effects() == 2


def test_a_console_users_key_is_remembered_for_that_user(db):
    client = APIClient()
    client.force_login(UserFactory(roles=[Role.COMMUNICATIONS]))

    client.post(URL, {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    client.post(URL, {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert effects() == 1
    assert IdempotencyRecord.objects.get().user is not None


def test_an_invalid_request_is_not_remembered_so_the_corrected_retry_runs(client):
    refused = client.post(URL, {}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert refused.status_code == 400
    assert not IdempotencyRecord.objects.exists()


def test_an_answer_that_is_not_a_success_is_not_replayed(client):
    client.post(URL, {"name": "a", "fail": True}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    client.post(URL, {"name": "a", "fail": True}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert effects() == 2
    assert not IdempotencyRecord.objects.exists()


def test_a_refused_caller_stores_nothing(db):
    _token, key = make_api_token(Role.OPERATOR)

    response = client_with_key(key).post(
        URL, {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert response.status_code == 403
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "con spazi", "àccento"])
def test_a_malformed_key_is_400(client, key):
    response = client.post(URL, {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"
    assert effects() == 0


def test_a_key_may_be_used_again_after_a_day(client, time_machine):
    time_machine.move_to("2025-03-03 10:00:00+01:00", tick=False)
    client.post(URL, {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k")

    time_machine.move_to("2025-03-04 10:00:01+01:00", tick=False)
    response = client.post(URL, {"name": "b"}, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert response.status_code == 201
    assert effects() == 2


def test_purge_forgets_keys_older_than_a_day(client, time_machine):
    time_machine.move_to("2025-03-03 10:00:00+01:00", tick=False)
    client.post(URL, {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="old")
    time_machine.move_to("2025-03-04 09:00:00+01:00", tick=False)
    client.post(URL, {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="new")

    time_machine.move_to("2025-03-04 10:30:00+01:00", tick=False)
    purged = idempotency_records_purge()

    assert purged == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_the_same_key_do_the_work_once(monkeypatch):
    monkeypatch.setattr(EffectView, "pause", 0.3)
    _token, key = make_api_token(Role.COMMUNICATIONS)
    start = threading.Barrier(3)
    answers: list = []

    def send():
        client = client_with_key(key)
        start.wait()
        try:
            answers.append(
                client.post(URL, {"name": "allerta"}, format="json", HTTP_IDEMPOTENCY_KEY="same")
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert effects() == 1
    assert [answer.status_code for answer in answers] == [201, 201, 201]
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert sum(answer.has_header("Idempotent-Replayed") for answer in answers) == 2
