"""The request id of a webhook reaches the worker that processes it: the real Celery headers,
a real worker process, its JSON log lines."""

import json
import time

import pytest

from tests.fixtures.celery_worker import wait_until
from tests.fixtures.webhooks import META_WEBHOOK_PATH, meta_signature, meta_text_body
from urp_portal.gateway.models import InboundMessage

pytestmark = pytest.mark.worker


def _json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return lines


@pytest.mark.django_db(transaction=True)
def test_a_webhooks_request_id_is_in_the_workers_json_log_lines(
    municipality, celery_worker_process, client
):
    worker = celery_worker_process.start(
        pipeline=[], env={"LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG"}
    )
    body = meta_text_body(
        wamid="wamid.reqid", sender="+393471112223", text="Buongiorno", timestamp=int(time.time())
    )

    response = client.post(
        META_WEBHOOK_PATH,
        data=body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": meta_signature(body), "X-Request-ID": "webhook-req-42"},
    )
    lines = wait_until(
        lambda: [
            line
            for line in _json_lines(worker.log())
            if line.get("request_id") == "webhook-req-42"
            and "webhook_event_process" in line["message"]
            and "succeeded" in line["message"]
        ],
        timeout=60,
        message=worker.log,
    )

    assert response["X-Request-ID"] == "webhook-req-42"
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert lines[0]["logger"] == "celery.app.trace"
    # The event the worker processed is the one this request stored.
    assert InboundMessage.objects.filter(provider_id="wamid.reqid").exists()
