"""The webhooks' own handler (urp_portal/webhook_wsgi.py): a signed webhook through the WSGI
application, as gunicorn calls it, is stored and answered as through the site's middleware,
with three middleware instead of fourteen; every other path still takes the site's."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler

from tests.fixtures.webhooks import meta_signature, meta_text_body
from urp_portal.gateway.models import WebhookEvent
from urp_portal.webhook_wsgi import WebhookHandler, with_webhook_handler


def call(
    application: Any, path: str, *, body: bytes = b"", method: str = "POST", signature: str = ""
) -> tuple:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "testserver",
        "HTTP_X_HUB_SIGNATURE_256": signature or meta_signature(body),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    answer: list[tuple[str, list]] = []
    content = b"".join(
        application(environ, lambda status, headers, *rest: answer.append((status, headers)))
    )
    status, headers = answer[0]
    return int(status.split()[0]), dict(headers), content


@pytest.fixture
def applications(settings, fake_graph):
    settings.ALLOWED_HOSTS = ["testserver"]
    site = WSGIHandler()
    return site, with_webhook_handler(site)


@pytest.mark.django_db(transaction=True)
def test_a_signed_webhook_is_stored_and_answered_alike_through_either_handler(applications):
    site, lean = applications
    bodies = [
        meta_text_body(wamid=f"wamid.lean{i}", sender="+393330000001", text="Ciao", timestamp=i)
        for i in range(2)
    ]

    by_site = call(site, "/webhooks/whatsapp/meta/", body=bodies[0])
    by_lean = call(lean, "/webhooks/whatsapp/meta/", body=bodies[1])

    assert (by_site[0], by_lean[0]) == (200, 200)
    assert by_site[2] == by_lean[2] == b""
    # The request id still comes back; the page headers of the site's middleware do not.
    assert "X-Request-ID" in by_lean[1]
    assert "Content-Security-Policy" in by_site[1]
    assert "Content-Security-Policy" not in by_lean[1]
    stored = sorted(bytes(e.body) for e in WebhookEvent.objects.all())
    assert stored == sorted(bodies)


@pytest.mark.django_db(transaction=True)
def test_a_bad_signature_is_refused_by_the_webhook_handler(applications, settings):
    _site, lean = applications
    body = meta_text_body(wamid="wamid.bad", sender="+393330000001", text="Ciao", timestamp=1)
    forged = meta_signature(body, secret="another-secret")

    status, _headers, _content = call(lean, "/webhooks/whatsapp/meta/", body=body, signature=forged)

    assert status == 403
    assert not WebhookEvent.objects.exists()


def test_the_webhook_handler_runs_only_the_webhook_middleware(settings):
    handler = WebhookHandler()
    # Each middleware is wrapped by convert_exception_to_response (functools.wraps).
    chain, names = handler._middleware_chain, []
    while chain is not None:
        instance = getattr(chain, "__wrapped__", chain)
        names.append(type(instance).__module__ + "." + type(instance).__qualname__)
        chain = getattr(instance, "get_response", None)

    assert [n for n in names if "Middleware" in n] == settings.URP_WEBHOOK_MIDDLEWARE
    assert len(settings.MIDDLEWARE) > len(settings.URP_WEBHOOK_MIDDLEWARE)


@pytest.mark.django_db
def test_other_paths_and_the_plain_setting_take_the_site_middleware(applications, settings):
    _site, lean = applications

    status, headers, _content = call(lean, "/healthz/", method="GET")
    settings.URP_WEBHOOK_MIDDLEWARE = []
    plain = WSGIHandler()

    assert "Content-Security-Policy" in headers, status
    assert with_webhook_handler(plain) is plain
