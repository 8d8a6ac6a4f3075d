"""How the tests talk to the product as a citizen.

Two doors:

- `WhatsApp` (the `whatsapp` fixture below, a pytest plugin named in the root conftest.py, so
  every app's tests may use it) is the real one: what a
  citizen writes goes in as Meta's signed webhook (POST /webhooks/whatsapp/meta/ with
  X-Hub-Signature-256), the gateway's tasks parse it and run the inbound pipeline, the outbox
  sends the answers through the `meta` adapter over HTTP to the fake Graph API, and what the
  citizen *received* is read from that server's log. Flow tests read like a chat:

      citizen = whatsapp.citizen("+393471234567", name="Eufrasia P.")
      assert citizen.says("Iscrivimi") == [comune.welcome_text, comune.privacy_notice_text]

- `receive` stores an InboundMessage and runs the pipeline on it directly: for the unit tests
  of the rules in between (and other apps' tests) that need no HTTP. `outbox` and `texts` are
  what the product queued in answer (the OutboundMessage rows), sent or not.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from tests.fixtures.fake_graph import FakeGraph, RecordedRequest
from tests.fixtures.webhooks import post_signed_webhook
from urp_portal.gateway.models import InboundMessage, OutboundMessage
from urp_portal.gateway.pipeline import inbound_message_run_pipeline
from urp_portal.gateway.states import MessageKind

_ids = itertools.count(1)

# The smallest JPEG header the media check recognises as a photo.
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64


def receive(
    sender: str,
    text: str = "",
    *,
    kind: str = MessageKind.TEXT,
    profile_name: str = "",
    sent_at: dt.datetime | None = None,
    **extra,
) -> InboundMessage:
    """The citizen `sender` writes `text`; returns the stored message after the pipeline ran
    (no webhook, no send: see `WhatsApp` for the real door)."""
    message = InboundMessage.objects.create(
        provider_id=f"wamid.test.{next(_ids)}.{timezone.now().timestamp()}",
        sender=sender,
        profile_name=profile_name,
        sent_at=sent_at or timezone.now(),
        kind=kind,
        text=text,
        **extra,
    )
    inbound_message_run_pipeline(message_id=message.pk)
    message.refresh_from_db()
    return message


def outbox(to: str | None = None) -> list[OutboundMessage]:
    """What we sent (or queued), oldest first; only to `to` if given."""
    messages = OutboundMessage.objects.order_by("created_at", "pk")
    if to is not None:
        messages = messages.filter(to=to)
    return list(messages)


def texts(to: str | None = None) -> list[str]:
    return [message.text for message in outbox(to)]


# --- the real door -------------------------------------------------------------------------------


def _meta_body(*, number: str, name: str, message: dict[str, Any]) -> bytes:
    """A Cloud API webhook carrying one message from `number`, as Meta posts it."""
    digits = number.lstrip("+")
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "390700000000", "phone_number_id": "1122334455667"},
        "contacts": [{"profile": {"name": name}, "wa_id": digits}],
        "messages": [{"from": digits, "timestamp": str(int(timezone.now().timestamp()))} | message],
    }
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
        }
    ).encode()


def _meta_statuses_body(statuses: list[dict[str, Any]]) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "390700000000", "phone_number_id": "1122334455667"},
        "statuses": statuses,
    }
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
        }
    ).encode()


def received_text(request: RecordedRequest) -> str:
    """What the citizen's phone shows for one send to the Graph API."""
    payload = request.json or {}
    kind = payload.get("type")
    if kind == "text":
        return payload["text"]["body"]
    if kind == "template":
        return f"[modello {payload['template']['name']}]"
    if kind == "interactive":
        return payload["interactive"]["body"]["text"]
    return (payload.get(kind) or {}).get("caption", f"[{kind}]")


@dataclass
class WhatsApp:
    """The citizens' side of WhatsApp in a test. `deliver(post)` calls `post()` (the webhook
    request) and sees the work it starts through: the event's processing, the pipeline, the
    sends (eagerly in-process, or by a real worker)."""

    client: Any
    graph: FakeGraph
    deliver: Callable[[Callable[[], Any]], None]
    citizens: dict[str, Citizen] = field(default_factory=dict)

    def citizen(self, number: str, *, name: str = "Cittadino") -> Citizen:
        if number not in self.citizens:
            self.citizens[number] = Citizen(number=number, name=name, whatsapp=self)
        return self.citizens[number]

    def post(self, body: bytes) -> None:
        """A signed webhook in, and everything it causes."""

        def post():
            response = post_signed_webhook(self.client, body)
            assert response.status_code == 200, response
            return response

        self.deliver(post)

    def received(self, number: str) -> list[str]:
        return [received_text(r) for r in self.graph.sent_messages() if r.to == number]

    def statuses_come_back(self, *statuses: str) -> None:
        """Meta's status callbacks (sent, delivered, read) for every message it accepted."""
        for request in self.graph.sent_messages():
            for status in statuses:
                self.post(
                    _meta_statuses_body(
                        [
                            {
                                "id": request.message_id,
                                "status": status,
                                "timestamp": str(int(timezone.now().timestamp())),
                                "recipient_id": request.to.lstrip("+"),
                            }
                        ]
                    )
                )


@dataclass
class Citizen:
    number: str
    name: str
    whatsapp: WhatsApp
    # What the product stored of the last message this citizen sent.
    last_wamid: str = ""

    @property
    def received(self) -> list[str]:
        """Every text this citizen's phone received, oldest first."""
        return self.whatsapp.received(self.number)

    @property
    def last_message(self) -> InboundMessage:
        return InboundMessage.objects.get(provider_id=self.last_wamid)

    def _send(self, message: dict[str, Any]) -> list[str]:
        before = len(self.received)
        self.last_wamid = f"wamid.citizen.{next(_ids)}.{uuid.uuid4().hex[:12]}"
        self.whatsapp.post(
            _meta_body(
                number=self.number, name=self.name, message={"id": self.last_wamid} | message
            )
        )
        return self.received[before:]

    def says(self, text: str) -> list[str]:
        """The citizen writes `text`; returns what they received in answer."""
        return self._send({"type": "text", "text": {"body": text}})

    def taps(self, title: str) -> list[str]:
        """The citizen taps the reply button `title` of the last interactive message they got."""
        for request in reversed(self.whatsapp.graph.sent_messages()):
            payload = request.json or {}
            if request.to != self.number or payload.get("type") != "interactive":
                continue
            for button in payload["interactive"]["action"]["buttons"]:
                if button["reply"]["title"] == title:
                    reply = {"type": "button_reply", "button_reply": button["reply"]}
                    return self._send({"type": "interactive", "interactive": reply})
        raise AssertionError(f"no button {title!r} was sent to {self.number}")

    def sends(self, message: dict[str, Any]) -> list[str]:
        """Any other kind of message, as Meta's `messages[]` item without id and sender."""
        return self._send(message)

    def sends_photo(self, *, caption: str = "", content: bytes = JPEG_BYTES) -> list[str]:
        """A photo (served by the fake Graph API, fetched by the gateway), with a caption."""
        media_id = f"{next(_ids)}{uuid.uuid4().int % 10**12}"
        self.whatsapp.graph.add_media(media_id, content, "image/jpeg")
        image = {"id": media_id, "mime_type": "image/jpeg", "sha256": "x", "caption": caption}
        return self._send({"type": "image", "image": image})


@pytest.fixture
def whatsapp(db, client, fake_graph, settings, django_capture_on_commit_callbacks):
    """The real door: signed webhooks into the view; the work queued on commit (the event's
    task, the pipeline, the outbox's sends through the `meta` adapter to the fake Graph API)
    runs eagerly, with the real task functions, when the request's transaction would commit.
    (The gateway's own tests run the same path with a real worker process.)"""
    from urp_portal.celery import app as celery_app

    settings.WHATSAPP_RATE_PER_SECOND = 0
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 0

    def deliver(post):
        with django_capture_on_commit_callbacks(execute=True):
            post()

    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield WhatsApp(client=client, graph=fake_graph, deliver=deliver)
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous
