"""A new gateway is one module: dropped beside the others, it is configured, checked, probed and
named in the records of processing without touching any other file (the promise of
urp_portal/gateway/adapters/__init__.py)."""

import textwrap

import pytest
from django.core.cache import cache
from django.urls import reverse

from broadcasts.states import TemplateApproval
from broadcasts.tests.factories import MessageTemplateFactory
from tests.fixtures.check_config import run
from tests.fixtures.fake_graph import GRAPH_VERSION
from tickets.tests.factories import MunicipalServiceFactory
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory
from urp_portal.gateway import adapters
from urp_portal.gateway.adapters import adapter_names, clear_adapter_cache, get_adapter

pytestmark = pytest.mark.django_db

DUMMY_MODULE = '''
"""A fourth gateway, as a vendor would add it: nothing but this module."""

from django.conf import settings

from .base import Outgoing, ParsedEvent, Processor


class Adapter:
    name = "dummy"
    signature_covers_url = False
    required_settings = ("DUMMY_GATEWAY_TOKEN",)
    for_testing_only = False
    processor = Processor(name="Dummy Messaging S.r.l.", transfers="Nessuno: server in Italia.")

    def probe_url(self):
        return settings.DUMMY_GATEWAY_URL

    def answer_handshake(self, query):
        return query.get("echo")

    def verify_signature(self, *, body, headers, url):
        return headers.get("X-Dummy-Token") == settings.DUMMY_GATEWAY_TOKEN

    def parse_webhook(self, *, body, content_type=""):
        return ParsedEvent()

    def send(self, message: Outgoing) -> str:
        return "dummy-1"

    def fetch_media(self, media_id):
        return b"", "", ""
'''


@pytest.fixture
def dummy_gateway(settings, tmp_path, monkeypatch, fake_graph):
    """The `dummy` module in a folder of the adapters package, and the settings that choose it;
    its API is any loopback server that answers (the fake Graph API's)."""
    (tmp_path / "dummy.py").write_text(textwrap.dedent(DUMMY_MODULE))
    monkeypatch.setattr(adapters, "__path__", [*adapters.__path__, str(tmp_path)])
    settings.WHATSAPP_GATEWAY = "dummy"
    settings.DUMMY_GATEWAY_TOKEN = "t0ken"
    settings.DUMMY_GATEWAY_URL = fake_graph.url + "/dummy-api/"
    clear_adapter_cache()
    cache.clear()
    yield settings
    clear_adapter_cache()
    cache.clear()


@pytest.fixture
def production(production_like, dummy_gateway, municipality):
    """check_config's deployment as it should be, with the dummy gateway instead of meta."""
    production_like.WHATSAPP_GATEWAY = "dummy"
    MessageTemplateFactory(approval_status=TemplateApproval.APPROVED)
    MunicipalServiceFactory(name="Anagrafe")
    return production_like


def test_a_fourth_adapter_module_is_found_beside_the_others(dummy_gateway):
    assert adapter_names() == ["dummy", "meta", "twilio", "simulator"]
    assert get_adapter().name == "dummy"


def test_check_config_passes_with_the_new_gateway_and_its_own_variables(production):
    code, out = run()

    assert code == 0, out
    assert "Gateway dummy: variabili presenti." in out


def test_check_config_names_the_variable_the_new_gateway_declares(production):
    production.DUMMY_GATEWAY_TOKEN = ""

    code, out = run()

    assert code == 1
    assert "Manca la variabile DUMMY_GATEWAY_TOKEN (richiesta dal gateway dummy)." in out


def test_readyz_probes_the_url_the_new_gateway_declares(client, dummy_gateway, fake_graph):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    # (Beside the checks, /readyz reports the workers' backlog: tests/test_health.py.)
    assert {key: body[key] for key in ("status", "checks")} == {
        "status": "ok",
        "checks": {"database": True, "broker": True, "gateway": True},
    }
    assert [r.path for r in fake_graph.requests] == [f"/{GRAPH_VERSION}/dummy-api/"]


def test_readyz_reports_the_new_gateway_unreachable_when_it_is(client, dummy_gateway):
    dummy_gateway.DUMMY_GATEWAY_URL = "http://127.0.0.1:1/"

    response = client.get("/readyz")

    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["gateway"] is False


def test_the_webhook_handshake_and_signature_are_the_new_gateway_s(client, dummy_gateway):
    url = reverse("gateway:whatsapp_webhook", args=["dummy"])

    assert client.get(url, {"echo": "42"}).content == b"42"
    assert client.get(url).status_code == 403
    assert client.post(url, b"{}", content_type="application/json").status_code == 403
    signed = client.post(
        url, b"{}", content_type="application/json", headers={"X-Dummy-Token": "t0ken"}
    )
    assert signed.status_code == 200


def test_the_records_of_processing_name_the_new_gateway_s_processor(
    client, dummy_gateway, municipality
):
    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR]))

    response = client.get(reverse("admin:audit_processing_records"))

    assert response.status_code == 200
    assert "Dummy Messaging S.r.l., responsabile del trattamento (art. 28)" in response.text
    assert "Nessuno: server in Italia." in response.text
