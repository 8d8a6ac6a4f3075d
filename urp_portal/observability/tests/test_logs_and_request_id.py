"""The request id (taken or made, returned, in log lines, into Celery's headers), the two log
formats, and Sentry only when asked for."""

import io
import json
import logging
import logging.config
from types import SimpleNamespace

import pytest

from urp_portal.observability import sentry as sentry_module
from urp_portal.observability.context import current_request_id, request_id_var
from urp_portal.observability.logs import logging_config
from urp_portal.observability.tasks import (
    HEADER,
    request_id_forget,
    request_id_from_task_headers,
    request_id_to_task_headers,
)


def test_an_incoming_request_id_is_kept_and_returned(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a"})

    assert response["X-Request-ID"] == "lb-7f3a"


def test_a_missing_or_forged_request_id_is_replaced_by_a_new_one(client):
    plain = client.get("/healthz")
    forged = client.get("/healthz", headers={"X-Request-ID": "x\nFAKE LOG LINE"})

    assert len(plain["X-Request-ID"]) == 32
    assert forged["X-Request-ID"] != "x\nFAKE LOG LINE" and len(forged["X-Request-ID"]) == 32
    assert plain["X-Request-ID"] != forged["X-Request-ID"]


def _log_with(log_format: str, request_id: str = "") -> str:
    stream = io.StringIO()
    config = logging_config(level="INFO", log_format=log_format)
    config["handlers"]["console"]["stream"] = stream
    config["root"]["handlers"] = ["console"]
    logger = logging.getLogger("urp_portal.test_logs")
    previous = logging.getLogger().handlers[:]
    logging.config.dictConfig(config)
    token = request_id_var.set(request_id) if request_id else None
    try:
        logger.info("ticket %s answered", 12)
    finally:
        if token is not None:
            request_id_var.reset(token)
        root = logging.getLogger()
        root.handlers = previous
    return stream.getvalue()


def test_json_logs_are_one_object_per_line_with_the_request_id():
    line = _log_with("json", request_id="req-9").strip()

    record = json.loads(line)
    assert record["message"] == "ticket 12 answered"
    assert record["request_id"] == "req-9"
    assert (record["level"], record["logger"]) == ("INFO", "urp_portal.test_logs")
    assert "time" in record


def test_plain_logs_are_readable_lines_with_the_request_id_or_a_dash():
    inside = _log_with("plain", request_id="req-9")
    outside = _log_with("plain")

    assert "[req-9] ticket 12 answered" in inside and not inside.startswith("{")
    assert "[-] ticket 12 answered" in outside


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logging_config(level="INFO", log_format="xml")


def test_publishing_a_task_inside_a_request_puts_its_id_in_the_headers():
    token = request_id_var.set("req-pub")
    try:
        headers: dict = {}
        request_id_to_task_headers(headers=headers)
    finally:
        request_id_var.reset(token)

    assert headers[HEADER] == "req-pub"


def test_a_task_runs_with_its_requests_id_and_forgets_it_afterwards():
    task = SimpleNamespace(name="t", request=SimpleNamespace(**{HEADER: "req-run"}))

    request_id_from_task_headers(task_id="1", task=task)
    during = current_request_id()
    request_id_forget(task_id="1")

    assert during == "req-run"
    assert current_request_id() == ""


def test_a_task_from_the_scheduler_gets_an_id_of_its_own():
    task = SimpleNamespace(name="t", request=SimpleNamespace())

    request_id_from_task_headers(task_id="2", task=task)
    during = current_request_id()
    request_id_forget(task_id="2")

    assert len(during) == 32


def test_without_a_dsn_sentry_is_not_started(monkeypatch):
    import sentry_sdk

    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **kwargs: calls.append(kwargs))

    assert sentry_module.sentry_init(dsn="", environment="x", traces_sample_rate=0) is False
    assert calls == []


def test_with_a_dsn_sentry_starts_with_django_and_celery_and_no_personal_data(monkeypatch):
    import sentry_sdk

    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **kwargs: calls.append(kwargs))

    started = sentry_module.sentry_init(
        dsn="https://key@sentry.example.invalid/1", environment="comune", traces_sample_rate=0
    )

    assert started is True
    (options,) = calls
    assert options["send_default_pii"] is False
    assert {type(i).__name__ for i in options["integrations"]} == {
        "DjangoIntegration",
        "CeleryIntegration",
    }
    token = request_id_var.set("req-s")
    try:
        event = options["before_send"]({}, {})
    finally:
        request_id_var.reset(token)
    assert event["tags"]["request_id"] == "req-s"
