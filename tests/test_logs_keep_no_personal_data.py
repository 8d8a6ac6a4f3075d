"""Issue 21, point 4: after a citizen's whole story (subscribe, write, looked up through the API,
forwarded to a service, erased), no log holds their number or their name: gunicorn's access log
and the Django log of the web process, the Celery worker's log, and this process's own log
(the erasure command). Everything runs through its real door: signed webhooks and API calls over
HTTP to a real gunicorn, a real worker, `manage.py erase_subscriber`."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.core.management import call_command

from subscribers.models import Subscriber
from subscribers.states import SubscriberStatus
from tests.fixtures.celery_worker import _database_url, wait_until
from tests.fixtures.webhooks import META_WEBHOOK_PATH, meta_signature, meta_text_body
from tickets.models import MunicipalService, Ticket
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import make_api_token

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

NUMBER = "+393471234987"
NAME = "Mariangela Fois"
# Every way the number can be written: E.164, Meta's wa_id (no plus), URL-encoded.
NEEDLES = [NUMBER, NUMBER.lstrip("+"), "%2B" + NUMBER.lstrip("+"), "Mariangela", "Fois"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path, fake_graph):
    """`gunicorn urp_portal.wsgi` with gunicorn.conf.py, on the test database, its access log
    and its error log (where Django's log goes) in files."""
    port = _free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.fixtures.worker_settings",
        "DATABASE_URL": _database_url(),
        "WHATSAPP_APP_SECRET": settings.WHATSAPP_APP_SECRET,
        "WHATSAPP_PHONE_NUMBER_ID": settings.WHATSAPP_PHONE_NUMBER_ID,
        "WHATSAPP_GATEWAY": "meta",
        "WHATSAPP_GRAPH_URL": fake_graph.url,
        "LOG_LEVEL": "INFO",
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "4",
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    if settings.REDIS_URL:
        environment["REDIS_URL"] = settings.REDIS_URL
    else:
        environment.pop("REDIS_URL", None)
    access, errors = tmp_path / "access.log", tmp_path / "gunicorn.log"
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "urp_portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(access),
            "--error-logfile",
            str(errors),
        ],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=errors.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until(
        lambda: _answers(f"{base}/healthz"),
        timeout=60,
        message=lambda: f"gunicorn did not start\n{errors.read_text(errors='replace')}",
    )
    yield base, [access, errors]
    process.terminate()
    process.wait(timeout=15)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _webhook(base: str, text: str, wamid: str) -> None:
    body = meta_text_body(
        wamid=wamid, sender=NUMBER, text=text, timestamp=int(time.time()), name=NAME
    )
    response = requests.post(
        base + META_WEBHOOK_PATH,
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(body)},
        timeout=10,
    )
    assert response.status_code == 200


def test_a_citizens_whole_story_leaves_no_number_and_no_name_in_any_log(
    municipality, fake_graph, celery_worker_process, gunicorn, caplog
):
    base, web_logs = gunicorn
    # Seeded by a migration, so gone after an earlier test's flush: made here if missing.
    MunicipalService.objects.get_or_create(
        slug="lavori-pubblici",
        defaults={"name": "Lavori pubblici", "email": "lavori-pubblici@comune.example.it"},
    )
    worker = celery_worker_process.start(graph=fake_graph)
    _token, key = make_api_token(Role.ADMINISTRATOR)
    api = {"Authorization": f"Token {key}"}

    _webhook(base, "Iscrivimi", "wamid.story1")
    wait_until(
        lambda: Subscriber.objects.filter(
            number=NUMBER, status=SubscriberStatus.SUBSCRIBED
        ).exists(),
        timeout=60,
        message=lambda: f"not subscribed\n{worker.log()}",
    )
    _webhook(base, f"Buongiorno, sono {NAME}: c'è una buca in via Roma 12", "wamid.story2")
    ticket = wait_until(
        lambda: Ticket.objects.filter(subscriber__number=NUMBER).first(),
        timeout=60,
        message=lambda: f"no ticket\n{worker.log()}",
    )
    lookup = requests.get(
        f"{base}/api/v1/subscribers/", params={"number": NUMBER}, headers=api, timeout=10
    )
    search = requests.get(f"{base}/api/v1/tickets/", params={"q": "Fois"}, headers=api, timeout=10)
    refused = requests.get(f"{base}/api/v1/subscribers/", params={"number": NUMBER}, timeout=10)
    forwarded = requests.post(
        f"{base}/api/v1/tickets/{ticket.pk}/forward/",
        json={"service": "lavori-pubblici", "note": f"Segnalazione di {NAME}"},
        headers=api,
        timeout=10,
    )
    wait_until(
        lambda: len([r for r in fake_graph.sent_messages() if r.to == NUMBER]) >= 1,
        timeout=60,
        message=lambda: f"nothing sent to the citizen\n{worker.log()}",
    )
    time.sleep(2)  # the forward's email and the last statuses
    # This process's log: the product's own lines while erasing (the requests above are the
    # outside callers', whose client logs its URLs at DEBUG).
    with caplog.at_level(logging.DEBUG):
        call_command("erase_subscriber", "--number", NUMBER, "--reason", "richiesta 2026/17")

    assert lookup.status_code == 200 and NUMBER in lookup.text
    assert search.status_code == 200
    assert refused.status_code == 401
    assert forwarded.status_code == 200, forwarded.text
    logs = {path.name: path.read_text(errors="replace") for path in web_logs}
    logs["worker"] = worker.log()
    logs["this process"] = caplog.text
    assert "/api/v1/subscribers/" in logs["access.log"], "the access log was not written"
    assert "/webhooks/whatsapp/meta/" in logs["access.log"]
    found = {
        (name, needle)
        for name, text in logs.items()
        for needle in NEEDLES
        if needle.lower() in text.lower()
    }
    lines = [
        f"{name}: {line}"
        for name, text in logs.items()
        for line in text.splitlines()
        if any(needle.lower() in line.lower() for needle in NEEDLES)
    ]
    assert found == set(), "\n".join(lines)
