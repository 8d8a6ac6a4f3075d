import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from urp_portal.celery import app as celery_app


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """A loopback HTTP server standing in for the product's webhook: it keeps every request."""

    url: str
    requests: list[ReceivedRequest] = field(default_factory=list)
    answer_status: int = 200


@pytest.fixture
def webhook_receiver(settings):
    receiver = WebhookReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            receiver.requests.append(
                ReceivedRequest(self.path, dict(self.headers.items()), self.rfile.read(length))
            )
            self.send_response(receiver.answer_status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_port}/webhooks/whatsapp/meta/"
    settings.SIMULATOR_WEBHOOK_URL = receiver.url
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def eager_celery():
    """Tasks run in the test's own process, at once (countdowns ignored)."""
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user(
        username="operatore", password="x" * 12, is_staff=True
    )
    client.force_login(user)
    return client
