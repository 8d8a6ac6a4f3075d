"""WhatsApp Cloud API (Meta's Graph API): signed JSON webhooks, `POST /{phone-id}/messages`."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import mimetypes
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

import requests
from django.conf import settings

from ...models import OutboundMessage
from ...states import MessageKind
from ..base import (
    AmbiguousSendError,
    ParsedEvent,
    ParsedInbound,
    ParsedStatus,
    PermanentSendError,
    StatusPricing,
    TransientSendError,
    WebhookFormatError,
    pooled_session,
)
from .errors import classify_error

logger = logging.getLogger(__name__)

UPLOAD_REUSE_SECONDS = 24 * 3600

# (connect, read) seconds. Connecting fails fast and is safe to retry; a read timeout means the
# request may have been taken, so it is never retried blindly (see AmbiguousSendError).
TIMEOUT = (5, 20)

STATUS_NAMES = {"sent", "delivered", "read", "failed"}

KIND_OF_TYPE = {
    "text": MessageKind.TEXT,
    "image": MessageKind.IMAGE,
    "audio": MessageKind.AUDIO,
    "video": MessageKind.VIDEO,
    "document": MessageKind.DOCUMENT,
    "sticker": MessageKind.STICKER,
    "location": MessageKind.LOCATION,
    "button": MessageKind.BUTTON,
    "interactive": MessageKind.INTERACTIVE,
    "reaction": MessageKind.REACTION,
}
MEDIA_TYPES = {"image", "audio", "video", "document", "sticker"}


def _timestamp(value: Any) -> dt.datetime:
    # Meta sends strings; some tools send ints. Both mean seconds since the epoch, UTC.
    try:
        return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)
    except (TypeError, ValueError) as exc:
        raise WebhookFormatError(f"timestamp {value!r} is not a number") from exc


def _pricing(raw: dict) -> StatusPricing | None:
    """The `pricing` and `conversation` objects of a status (Meta's status webhook reference):
    what the message is billed as, and the window it belongs to."""
    pricing = raw.get("pricing") or {}
    conversation = raw.get("conversation") or {}
    if not isinstance(pricing, dict) or not isinstance(conversation, dict):
        raise WebhookFormatError("status pricing or conversation is not an object")
    if not pricing and not conversation:
        return None
    expires = conversation.get("expiration_timestamp")
    billable = pricing.get("billable")
    return StatusPricing(
        category=str(pricing.get("category") or "")[:40],
        type=str(pricing.get("type") or "")[:40],
        model=str(pricing.get("pricing_model") or "")[:20],
        billable=billable if isinstance(billable, bool) else None,
        conversation_id=str(conversation.get("id") or "")[:200],
        conversation_origin=str((conversation.get("origin") or {}).get("type") or "")[:40],
        conversation_expires_at=_timestamp(expires) if expires else None,
    )


def _e164(number: str) -> str:
    return f"+{number.lstrip('+')}" if number else ""


class Adapter:
    """The Cloud API over HTTP with one pooled session per process."""

    name = "meta"
    signature_covers_url = False

    def __init__(self) -> None:
        self._local = threading.local()
        # (phone number id, file name) -> (media id, reusable until, monotonic seconds)
        self._uploads: dict[tuple[str, str], tuple[str, float]] = {}

    # --- configuration, read at each use so that tests and reloads see the current settings --
    @property
    def graph_url(self) -> str:
        return str(settings.WHATSAPP_GRAPH_URL).rstrip("/")

    @property
    def phone_number_id(self) -> str:
        return str(settings.WHATSAPP_PHONE_NUMBER_ID)

    @property
    def session(self) -> requests.Session:
        # requests.Session is not thread-safe to share; one per thread, each keeping its pool.
        session = getattr(self._local, "session", None)
        if session is None:
            session = pooled_session(base_url=self.graph_url, pool_connections=4)
            self._local.session = session
        return session

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {settings.WHATSAPP_ACCESS_TOKEN}"}

    # --- webhooks ------------------------------------------------------------------------------
    def verify_signature(self, *, body: bytes, headers: Mapping[str, str], url: str) -> bool:
        secret = str(settings.WHATSAPP_APP_SECRET).encode()
        given = headers.get("X-Hub-Signature-256", "")
        if not secret or not given.startswith("sha256="):
            return False
        expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), given.encode())

    def answer_handshake(self, query: Mapping[str, str]) -> str | None:
        """The challenge to echo when Meta's subscription handshake carries our verify token."""
        token = str(settings.WHATSAPP_VERIFY_TOKEN)
        given = query.get("hub.verify_token", "")
        if (
            query.get("hub.mode") == "subscribe"
            and token
            and hmac.compare_digest(token.encode(), given.encode())
        ):
            return query.get("hub.challenge", "")
        return None

    def parse_webhook(self, *, body: bytes, content_type: str = "") -> ParsedEvent:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise WebhookFormatError(f"not JSON: {exc}") from exc
        if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
            raise WebhookFormatError("not a WhatsApp Business Account webhook")
        entries = data.get("entry")
        if not isinstance(entries, list):
            raise WebhookFormatError("no entry list")
        event = ParsedEvent()
        try:
            for entry in entries:
                for change in entry.get("changes") or []:
                    if change.get("field") != "messages":
                        continue
                    value = change.get("value") or {}
                    contacts = value.get("contacts") or []
                    for raw in value.get("messages") or []:
                        event.messages.append(self._inbound(raw, contacts))
                    for raw in value.get("statuses") or []:
                        status = self._status(raw)
                        if status is not None:
                            event.statuses.append(status)
        except (AttributeError, KeyError, TypeError) as exc:
            raise WebhookFormatError(f"unexpected shape: {exc!r}") from exc
        return event

    def _inbound(self, raw: dict, contacts: list[dict]) -> ParsedInbound:
        wa_id = raw.get("from") or ""
        user_id = raw.get("from_user_id") or ""
        contact = next(
            (
                c
                for c in contacts
                if (wa_id and c.get("wa_id") == wa_id) or (user_id and c.get("user_id") == user_id)
            ),
            contacts[0] if len(contacts) == 1 else {},
        )
        user_id = user_id or contact.get("user_id") or ""
        wa_id = wa_id or contact.get("wa_id") or ""
        sender = _e164(wa_id) if wa_id else user_id
        if not sender:
            raise WebhookFormatError(f"message {raw.get('id')!r} has no sender")
        type_ = raw.get("type") or "unsupported"
        kind = KIND_OF_TYPE.get(type_, MessageKind.UNSUPPORTED)
        found = raw.get(type_)
        payload: dict[str, Any] = found if isinstance(found, dict) else {}
        text = ""
        media_id = mime = filename = ""
        extra: dict[str, Any] = {}
        if type_ == "text":
            text = payload.get("body", "")
        elif type_ in MEDIA_TYPES:
            media_id = str(payload.get("id", ""))
            mime = payload.get("mime_type", "")
            filename = payload.get("filename", "")
            text = payload.get("caption", "")
            if type_ == "audio" and payload.get("voice"):
                kind = MessageKind.VOICE
        elif type_ == "location":
            extra["location"] = {
                k: payload[k]
                for k in ("latitude", "longitude", "name", "address", "url")
                if k in payload
            }
            text = payload.get("name") or payload.get("address") or ""
        elif type_ == "button":
            text = payload.get("text", "")
            extra["payload"] = payload.get("payload", "")
        elif type_ == "interactive":
            reply = payload.get(payload.get("type", ""), {})
            text = reply.get("title", "")
            extra["reply_id"] = reply.get("id", "")
            extra["interactive_type"] = payload.get("type", "")
        elif type_ == "reaction":
            text = payload.get("emoji", "")
            extra["reacted_to"] = payload.get("message_id", "")
        if raw.get("errors"):
            extra["errors"] = raw["errors"]
        context = raw.get("context") or {}
        if context.get("forwarded") or context.get("frequently_forwarded"):
            extra["forwarded"] = True
        return ParsedInbound(
            provider_id=str(raw["id"]),
            sender=sender,
            sender_user_id=user_id,
            profile_name=(contact.get("profile") or {}).get("name", ""),
            sent_at=_timestamp(raw.get("timestamp")),
            kind=kind,
            text=text,
            media_id=media_id,
            media_mime_type=mime,
            media_filename=filename,
            reply_to_provider_id=context.get("id", ""),
            extra=extra,
        )

    def _status(self, raw: dict) -> ParsedStatus | None:
        status = raw.get("status")
        if status not in STATUS_NAMES:
            # "deleted", "warning" and future ones: nothing to move.
            return None
        code = message = ""
        errors = raw.get("errors") or []
        if errors:
            first = errors[0]
            code = str(first.get("code", ""))
            message = first.get("message") or first.get("title") or ""
            details = (first.get("error_data") or {}).get("details")
            if details and details != message:
                message = f"{message}: {details}"
        return ParsedStatus(
            provider_id=str(raw["id"]),
            status=status,
            at=_timestamp(raw.get("timestamp")),
            recipient=_e164(raw.get("recipient_id", "")),
            error_code=code,
            error_message=message,
            pricing=_pricing(raw),
        )

    # --- sending -------------------------------------------------------------------------------
    def build_payload(self, message: OutboundMessage) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.to.lstrip("+"),
        }
        if message.template_name:
            template: dict[str, Any] = {
                "name": message.template_name,
                "language": {"code": message.template_language or "it"},
            }
            components: list[dict[str, Any]] = []
            if message.media_file or message.media_url:
                # The template's header image (a broadcast's picture): by the id of an upload,
                # made once per file, or by link.
                if message.media_file:
                    image = {"id": self._upload_once(message)}
                else:
                    image = {"link": message.media_url}
                components.append(
                    {"type": "header", "parameters": [{"type": "image", "image": image}]}
                )
            if message.template_parameters:
                components.append(
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": str(p)} for p in message.template_parameters
                        ],
                    }
                )
            if components:
                template["components"] = components
            payload.update(type="template", template=template)
        elif message.media_url or message.media_file:
            media: dict[str, Any]
            if message.media_file:
                media = {"id": self._upload_once(message)}
                name = message.media_file.name
            else:
                media = {"link": message.media_url}
                name = urlparse(message.media_url).path
            mime = mimetypes.guess_type(name)[0] or ""
            kind = "image" if mime.startswith("image/") else "document"
            if kind == "document":
                media["filename"] = name.rsplit("/", 1)[-1] or "allegato"
            if message.text:
                media["caption"] = message.text
            payload.update(type=kind, **{kind: media})
        elif message.buttons:
            payload.update(
                type="interactive",
                interactive={
                    "type": "button",
                    "body": {"text": message.text},
                    "action": {
                        "buttons": [
                            {"type": "reply", "reply": {"id": b["id"], "title": b["title"]}}
                            for b in message.buttons
                        ]
                    },
                },
            )
        else:
            payload.update(type="text", text={"body": message.text, "preview_url": False})
        return payload

    def _post(self, url: str, **kwargs: Any) -> requests.Response:
        try:
            return self.session.post(url, headers=self._headers(), timeout=TIMEOUT, **kwargs)
        except (requests.ConnectTimeout, requests.exceptions.SSLError) as exc:
            raise TransientSendError(code="network", message=str(exc)) from exc
        except requests.ConnectionError as exc:
            # Refused before anything was sent is safe to retry; a connection dropped after the
            # request went out may have delivered it.
            if "NewConnectionError" in repr(exc) or "Connection refused" in str(exc):
                raise TransientSendError(code="network", message=str(exc)) from exc
            raise AmbiguousSendError(code="network", message=str(exc)) from exc
        except requests.Timeout as exc:
            raise AmbiguousSendError(code="timeout", message=str(exc)) from exc

    def send(self, message: OutboundMessage) -> str:
        response = self._post(
            f"{self.graph_url}/{self.phone_number_id}/messages", json=self.build_payload(message)
        )
        if response.status_code >= 300:
            raise classify_error(response)
        try:
            return str(response.json()["messages"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise AmbiguousSendError(
                code="response", message=f"answer without a message id: {response.text[:200]}"
            ) from exc

    def _upload_once(self, message: OutboundMessage) -> str:
        """A broadcast sends the same picture to every recipient: upload it once per process
        and reuse its media id (Meta keeps uploads for 30 days; ours are reused for a day)."""
        key = (self.phone_number_id, message.media_file.name)
        cached = self._uploads.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        media_id = self._upload(message)
        self._uploads[key] = (media_id, time.monotonic() + UPLOAD_REUSE_SECONDS)
        return media_id

    def _upload(self, message: OutboundMessage) -> str:
        name = message.media_file.name
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        with message.media_file.open("rb") as handle:
            response = self._post(
                f"{self.graph_url}/{self.phone_number_id}/media",
                data={"messaging_product": "whatsapp", "type": mime},
                files={"file": (name.rsplit("/", 1)[-1], handle, mime)},
            )
        if response.status_code >= 300:
            raise classify_error(response)
        return str(response.json()["id"])

    # --- media ---------------------------------------------------------------------------------
    def fetch_media(self, media_id: str) -> tuple[bytes, str, str]:
        try:
            lookup = self.session.get(
                f"{self.graph_url}/{media_id}", headers=self._headers(), timeout=TIMEOUT
            )
            if lookup.status_code >= 300:
                raise classify_error(lookup)
            info = lookup.json()
            # The URL is valid for five minutes and wants the same bearer token.
            download = self.session.get(info["url"], headers=self._headers(), timeout=(5, 60))
        except requests.RequestException as exc:
            raise TransientSendError(code="network", message=str(exc)) from exc
        except (ValueError, KeyError) as exc:
            raise PermanentSendError(code="response", message=f"media lookup: {exc!r}") from exc
        if download.status_code >= 300:
            raise classify_error(download)
        mime = info.get("mime_type") or download.headers.get("Content-Type", "")
        return download.content, mime, info.get("filename", "")
