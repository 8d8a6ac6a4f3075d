"""The OpenAPI document at /api/v1/schema/, its pages, and the API checked against it by
generated requests (schemathesis)."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, settings
from schemathesis import checks

from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory, make_api_token
from urp_portal.wsgi import application

SCHEMA_URL = "/api/v1/schema/?format=json"


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(roles=[Role.OPERATOR], is_staff=True))
    return client


@pytest.fixture
def openapi(staff_client) -> dict:
    response = staff_client.get(SCHEMA_URL)
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_valid_openapi_3(openapi):
    validate_schema(openapi)

    assert openapi["openapi"].startswith("3.")
    assert all(path.startswith("/api/v1/") for path in openapi["paths"])


def test_the_schema_documents_the_token_scheme_and_the_error_shape(openapi):
    scheme = openapi["components"]["securitySchemes"]["tokenAuth"]
    error = openapi["components"]["schemas"]["Error"]

    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    assert set(error["required"]) == {"code", "message", "message_en", "details"}
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            assert {"tokenAuth": []} in operation["security"], (method, path)
            for code in ("401", "403", "429"):
                ref = operation["responses"][code]["content"]["application/json"]["schema"]
                assert ref == {"$ref": "#/components/schemas/Error"}, (method, path, code)


def test_every_operation_has_an_example(openapi):
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            success = next(code for code in operation["responses"] if code.startswith("2"))
            content = operation["responses"][success]["content"]["application/json"]
            assert content.get("examples"), (method, path)


def test_the_lookup_requires_a_number_in_e164(openapi):
    (parameter,) = openapi["paths"]["/api/v1/subscribers/"]["get"]["parameters"]

    assert parameter["name"] == "number"
    assert parameter["required"] is True
    assert parameter["schema"]["pattern"] == r"^\+[1-9][0-9]{6,14}$"


def test_the_schema_generated_by_the_command_has_no_warnings(tmp_path):
    from django.core.management import call_command

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )

    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_documentation_pages_load_their_scripts_from_our_own_static_files(staff_client, page):
    client = staff_client
    response = client.get(page)

    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn" not in html.lower()
    script = html.split('src="/static/drf_spectacular_sidecar/')[1].split('"')[0]
    assert client.get(f"/static/drf_spectacular_sidecar/{script}").status_code == 200


@pytest.mark.parametrize("page", [SCHEMA_URL, "/api/v1/docs/", "/api/v1/redoc/"])
def test_the_description_is_closed_to_anonymous_callers_and_open_to_a_token(client, db, page):
    key = make_api_token(Role.COMMUNICATIONS)[1]

    anonymous = client.get(page)
    bad_token = client.get(page, headers={"Authorization": "Token not-a-key"})
    with_token = client.get(page, headers={"Authorization": f"Token {key}"})

    assert anonymous.status_code == 401
    assert bad_token.status_code == 401
    assert with_token.status_code == 200


def test_a_signed_in_user_who_is_not_staff_does_not_read_the_schema(client, db):
    client.force_login(UserFactory(roles=[], is_staff=False))

    assert client.get(SCHEMA_URL).status_code == 403


def test_api_docs_public_opens_the_description_to_anyone(client, db, settings):
    settings.API_DOCS_PUBLIC = True

    assert client.get(SCHEMA_URL).status_code == 200
    assert client.get("/api/v1/docs/").status_code == 200


def _api_views():
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern.callback

    return [
        (route, view) for route, view in walk(get_resolver().url_patterns) if "api/v1/" in route
    ]


def test_every_write_of_the_api_honours_idempotency_key():
    """A guard for the resources still to come: a POST without @idempotent_write fails here."""
    writes = []
    for route, view in _api_views():
        cls = getattr(view, "cls", None)
        if cls is None:
            continue
        actions = getattr(view, "actions", None) or {}
        handler_names = [name for method, name in actions.items() if method == "post"]
        if not actions and hasattr(cls, "post"):
            handler_names = ["post"]
        for name in handler_names:
            if "drf_spectacular" in cls.__module__:
                continue
            writes.append((route, name, getattr(getattr(cls, name), "idempotent_write", False)))

    assert [write for write in writes if not write[2]] == []


# --- schemathesis ------------------------------------------------------------------------------


def _generated_schema():
    """The document the schema endpoint serves, built without a request: schemathesis's lazy
    fixture loader does not run on pytest 9, so the schema is loaded at collection time."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(document)))
    loaded.app = application
    return loaded


schema = _generated_schema()


@pytest.fixture
def in_process_wsgi(db):
    # The raw WSGI handler closes the database connection after each request, which would end
    # the test's transaction: Django's own test client detaches the same receivers.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_key(db) -> str:
    # Administrator: the role every operation admits, so the generated requests reach the views.
    return make_api_token(Role.ADMINISTRATOR)[1]


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_its_own_schema_and_never_answers_5xx(case, api_key, in_process_wsgi):
    case.call_and_validate(
        headers={"Authorization": f"Token {api_key}"},
        checks=[
            checks.not_a_server_error,
            checks.status_code_conformance,
            checks.content_type_conformance,
            checks.response_headers_conformance,
            checks.response_schema_conformance,
            checks.negative_data_rejection,
        ],
    )
