import pytest
from django.core.cache import cache

from tests.fixtures.celery_worker import purge_broker
from urp_portal.gateway.tasks import outbound_message_send


@pytest.fixture(autouse=True)
def _no_cached_gateway_answer():
    cache.clear()
    yield
    cache.clear()


def test_liveness_answers_without_touching_anything(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readiness_checks_the_database_the_broker_and_the_gateway(client, fake_graph):
    purge_broker()
    # A send to a citizen waiting for a worker (none runs here).
    outbound_message_send.delay(1)

    response = client.get("/readyz")
    purge_broker()

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": True, "broker": True, "gateway": True}
    assert body["backlog"]["queues"] == {
        "citizens": 1,
        "statuses": 0,
        "broadcasts": 0,
        "housekeeping": 0,
    }
    assert body["backlog"]["oldest_waiting_seconds"] == {
        "status_event": None,
        "webhook_event": None,
        "inbound_message": None,
    }


@pytest.mark.django_db
def test_readiness_says_unavailable_when_the_broker_is_down(client, fake_graph, unreachable_broker):
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"] is False


@pytest.mark.django_db
def test_an_unreachable_gateway_is_reported_but_keeps_the_instance_in_service(client, settings):
    settings.WHATSAPP_GATEWAY = "meta"
    settings.WHATSAPP_GRAPH_URL = "http://127.0.0.1:1/v23.0"

    response = client.get("/readyz")

    # The console and the webhooks' storage still work; sends wait in the outbox.
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["gateway"] is False


@pytest.mark.django_db
def test_the_gateway_probe_is_cached_so_probes_do_not_become_traffic(client, fake_graph):
    client.get("/readyz")
    client.get("/readyz")
    client.get("/readyz")

    probes = [r for r in fake_graph.requests if r.method == "GET" and r.path.endswith("/")]
    assert len(probes) == 1
