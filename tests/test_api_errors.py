"""Every error the API gives has one shape: {"code", "message", "message_en", "details"}."""

import pytest
from django.http import HttpResponse
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import token_client
from urp_portal.api.throttling import PrincipalRateThrottle
from urp_portal.municipality.errors import UserError

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


class CampaignAlreadySent(UserError):
    default_message = _("La campagna è già stata inviata.")
    code = "campaign_already_sent"
    http_status = 409


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10)


class ErrorsView(APIView):
    def post(self, request, kind: str):
        data = request.data
        if kind == "invalid":
            NoteSerializer(data=request.data).is_valid(raise_exception=True)
        if kind == "user-error":
            raise UserError(_("Testo vuoto."), code="empty_text", details={"field": "text"})
        if kind == "conflict":
            raise CampaignAlreadySent()
        if kind == "refused":
            raise UserError(_("Solo un amministratore."), code="permission_denied")
        if kind == "bug":
            raise RuntimeError("a bug")
        return Response(data)


def plain_django_view_that_breaks(request):
    raise RuntimeError("outside DRF")


def plain_page(request):
    return HttpResponse("ok")


urlpatterns = [
    path("api/v1/", include("urp_portal.api.urls")),
    path("api/v1/test/errors/<str:kind>/", ErrorsView.as_view()),
    path("api/v1/test/broken/", plain_django_view_that_breaks),
    path("page/", plain_page),
]
handler404 = "urp_portal.api.errors.handler404"
handler500 = "urp_portal.api.errors.handler500"


def assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"code", "message", "message_en", "details"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["message_en"], str) and body["message_en"]
    assert isinstance(body["details"], dict)
    return body


def test_invalid_input_is_400_with_each_fields_errors():
    response = token_client(Role.OPERATOR).post(
        "/api/v1/test/errors/invalid/", {"text": "far too long a note"}, format="json"
    )

    body = assert_error_shape(response, 400, "invalid")
    assert body["message"] == "Dati non validi."
    assert body["message_en"] == "Invalid input."
    assert body["details"]["text"][0]["code"] == "max_length"


def test_validation_details_follow_accept_language_while_message_stays_italian():
    client = token_client(Role.OPERATOR)

    italian = client.post("/api/v1/test/errors/invalid/", {}, format="json")
    english = client.post(
        "/api/v1/test/errors/invalid/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert italian.json()["details"]["text"][0]["message"] == "Campo obbligatorio."
    assert english.json()["details"]["text"][0]["message"] == "This field is required."
    assert english.json()["message"] == "Dati non validi."


def test_a_body_that_is_not_json_is_400():
    response = token_client(Role.OPERATOR).post(
        "/api/v1/test/errors/ok/", "{not json", content_type="application/json"
    )

    assert_error_shape(response, 400, "parse_error")


def test_a_user_error_is_400_with_its_own_code_message_and_details():
    response = token_client(Role.OPERATOR).post("/api/v1/test/errors/user-error/", {})

    body = assert_error_shape(response, 400, "empty_text")
    assert body["message"] == "Testo vuoto."
    assert body["details"] == {"field": "text"}


def test_a_user_error_that_names_a_conflict_is_409():
    response = token_client(Role.OPERATOR).post("/api/v1/test/errors/conflict/", {})

    body = assert_error_shape(response, 409, "campaign_already_sent")
    assert body["message"] == "La campagna è già stata inviata."


def test_a_services_own_refusal_is_403():
    response = token_client(Role.OPERATOR).post("/api/v1/test/errors/refused/", {})

    body = assert_error_shape(response, 403, "permission_denied")
    assert body["message"] == "Solo un amministratore."


def test_no_credentials_is_401(client):
    assert_error_shape(client.get("/api/v1/stats/"), 401, "not_authenticated")


def test_a_role_that_may_not_is_403():
    response = token_client(Role.SERVICE).get("/api/v1/stats/")

    body = assert_error_shape(response, 403, "role_not_allowed")
    assert body["message_en"] == "Your role does not allow this operation."


def test_a_path_no_view_answers_is_404_json_under_the_api(client):
    response = client.get("/api/v1/no-such-thing/")

    assert_error_shape(response, 404, "not_found")


def test_a_404_outside_the_api_stays_a_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_method_the_resource_does_not_have_is_405():
    response = token_client(Role.OPERATOR).delete("/api/v1/stats/")

    body = assert_error_shape(response, 405, "method_not_allowed")
    assert body["details"] == {"method": "DELETE"}
    assert "GET" in response["Allow"]


def test_a_bug_in_a_view_is_500_json_and_logged(caplog):
    response = token_client(Role.OPERATOR).post("/api/v1/test/errors/bug/", {})

    assert_error_shape(response, 500, "server_error")
    assert "a bug" in caplog.text


def test_a_bug_outside_drf_under_the_api_is_500_json(client):
    client.raise_request_exception = False

    response = client.get("/api/v1/test/broken/")

    assert_error_shape(response, 500, "server_error")


def test_too_many_requests_is_429_with_the_wait(monkeypatch):
    monkeypatch.setattr(
        PrincipalRateThrottle,
        "THROTTLE_RATES",
        {**PrincipalRateThrottle.THROTTLE_RATES, "reads": "2/min"},
    )
    client = token_client(Role.OPERATOR)
    client.get("/api/v1/stats/")
    client.get("/api/v1/stats/")

    response = client.get("/api/v1/stats/")

    body = assert_error_shape(response, 429, "throttled")
    assert 0 < body["details"]["retry_after"] <= 60
    assert response["Retry-After"]


def test_each_token_has_its_own_budget(monkeypatch):
    monkeypatch.setattr(
        PrincipalRateThrottle,
        "THROTTLE_RATES",
        {**PrincipalRateThrottle.THROTTLE_RATES, "reads": "1/min"},
    )
    first, second = token_client(Role.OPERATOR), token_client(Role.OPERATOR)
    first.get("/api/v1/stats/")

    assert first.get("/api/v1/stats/").status_code == 429
    assert second.get("/api/v1/stats/").status_code == 200
