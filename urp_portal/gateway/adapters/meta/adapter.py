"""WhatsApp Cloud API (Meta's Graph API): signed JSON webhooks, `POST /{phone-id}/messages`."""

from __future__ import annotations

import hashlib
import hmac
import logging
import mimetypes
import threading
import time
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import urlparse

import requests
from django.conf import settings

from ...cloud_api import parse_cloud_api_body
from ...cloud_api.envelope import STATUS_NAMES, e164  # noqa: F401 (kept importable)
from ...cloud_api.envelope import _timestamp as cloud_api_timestamp
from ...cloud_api.messages import MEDIA_TYPES  # noqa: F401 (kept importable)
from ...states import MessageKind
from ..base import (
    AmbiguousSendError,
    Outgoing,
    ParsedEvent,
    PermanentSendError,
    Processor,
    TransientSendError,
    is_business_scoped_user_id,
    pooled_session,
)
from ..media_download import declared_size_check, download_capped, url_check
from .errors import classify_error
from .templates import MetaTemplates

logger = logging.getLogger(__name__)

UPLOAD_REUSE_SECONDS = 24 * 3600

# (connect, read) seconds. Connecting fails fast and is safe to retry; a read timeout means the
# request may have been taken, so it is never retried blindly (see AmbiguousSendError).
TIMEOUT = (5, 20)

# The parsing moved to gateway/cloud_api; the old names stay importable from here.
KIND_OF_TYPE = {
    type_: MessageKind(type_)
    for type_ in (
        "text",
        "image",
        "audio",
        "video",
        "document",
        "sticker",
        "location",
        "button",
        "interactive",
        "reaction",
    )
}
_timestamp = cloud_api_timestamp
_e164 = e164


def _signed_with(secret: str, body: bytes, given: str) -> bool:
    if not secret:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), given.encode())


class Adapter(MetaTemplates):
    """The Cloud API over HTTP with one pooled session per process."""

    name = "meta"
    signature_covers_url = False
    required_settings: tuple[str, ...] = (
        "WHATSAPP_PHONE_NUMBER_ID",
        "WHATSAPP_ACCESS_TOKEN",
        "WHATSAPP_APP_SECRET",
        "WHATSAPP_VERIFY_TOKEN",
    )
    for_testing_only = False
    processor: Processor | None = Processor(
        name="Meta Platforms Ireland Ltd. (WhatsApp Business Platform, Cloud API)",
        transfers=(
            "Stati Uniti d'America, sulla base delle garanzie previste dal contratto con il "
            "fornitore (Data Privacy Framework UE-USA e clausole contrattuali tipo): da verificare "
            "nel contratto."
        ),
    )

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

    def probe_url(self) -> str:
        return self.graph_url + "/"

    @property
    def session(self) -> requests.Session:
        # requests.Session is not thread-safe to share; one per thread, each keeping its pool.
        session = getattr(self._local, "session", None)
        if session is None:
            session = pooled_session(base_url=self.graph_url, pool_connections=4)
            self._local.session = session
        return session

    def _headers(self, token: str = "") -> dict[str, str]:
        return {"Authorization": f"Bearer {token or settings.WHATSAPP_ACCESS_TOKEN}"}

    def _from_number(self, message: Outgoing) -> tuple[str, str]:
        """(phone number id, token) the message leaves with: its comune's own number where the
        deployment serves several (message.sender), else the deployment's."""
        sender = message.sender
        if sender is not None and sender.phone_number_id:
            return str(sender.phone_number_id), str(sender.access_token or "")
        return self.phone_number_id, ""

    # --- webhooks ------------------------------------------------------------------------------
    def verify_signature(self, *, body: bytes, headers: Mapping[str, str], url: str) -> bool:
        given = headers.get("X-Hub-Signature-256", "")
        if not given.startswith("sha256="):
            return False
        if _signed_with(str(settings.WHATSAPP_APP_SECRET), body, given):
            return True
        # A comune whose number sits on another Meta app signs with that app's secret; read
        # only when the deployment's own secret did not match (the common case costs nothing).
        from ...numbers import other_app_secrets

        return any(_signed_with(secret, body, given) for secret in other_app_secrets())

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

    def our_phone_number_ids(self) -> Collection[str]:
        """The numbers whose webhooks we process: the deployment's own and those bound to its
        comuni (none configured: every one, for a number being set up); another business's
        number on the same app is stored, not processed."""
        from ...numbers import OurPhoneNumberIds

        return OurPhoneNumberIds()

    def parse_webhook(self, *, body: bytes, content_type: str = "") -> ParsedEvent:
        return parse_cloud_api_body(body, our_phone_number_ids=self.our_phone_number_ids())

    # --- sending -------------------------------------------------------------------------------
    def build_payload(self, message: Outgoing) -> dict[str, Any]:
        payload: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual"}
        if is_business_scoped_user_id(message.to):
            # A citizen known only by their username: Meta takes the business-scoped user id in
            # `recipient` (docs: business-scoped user ids), never in `to`.
            payload["recipient"] = message.to
        else:
            payload["to"] = message.to.lstrip("+")
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

    def _post(self, url: str, *, token: str = "", **kwargs: Any) -> requests.Response:
        try:
            return self.session.post(url, headers=self._headers(token), timeout=TIMEOUT, **kwargs)
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

    def send_path(self, message: Outgoing) -> str:
        """Meta asks that marketing templates go through the Marketing Messages API
        (route-template-messages: MARKETING -> /marketing_messages, the rest -> /messages)."""
        if message.template_name and message.template_category == "marketing":
            return "marketing_messages"
        return "messages"

    def send(self, message: Outgoing) -> str:
        phone_number_id, token = self._from_number(message)
        response = self._post(
            f"{self.graph_url}/{phone_number_id}/{self.send_path(message)}",
            token=token,
            json=self.build_payload(message),
        )
        if response.status_code >= 300:
            raise classify_error(response)
        try:
            return str(response.json()["messages"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise AmbiguousSendError(
                code="response", message=f"answer without a message id: {response.text[:200]}"
            ) from exc

    def _upload_once(self, message: Outgoing) -> str:
        """A broadcast sends the same picture to every recipient: upload it once per process
        and reuse its media id (Meta keeps uploads for 30 days; ours are reused for a day)."""
        key = (self._from_number(message)[0], message.media_file.name)
        cached = self._uploads.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        media_id = self._upload(message)
        self._uploads[key] = (media_id, time.monotonic() + UPLOAD_REUSE_SECONDS)
        return media_id

    def _upload(self, message: Outgoing) -> str:
        name = message.media_file.name
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        phone_number_id, token = self._from_number(message)
        with message.media_file.open("rb") as handle:
            response = self._post(
                f"{self.graph_url}/{phone_number_id}/media",
                token=token,
                data={"messaging_product": "whatsapp", "type": mime},
                files={"file": (name.rsplit("/", 1)[-1], handle, mime)},
            )
        if response.status_code >= 300:
            raise classify_error(response)
        return str(response.json()["id"])

    # --- media ---------------------------------------------------------------------------------
    # Where Meta serves media files (the lookup's `url`, developers.facebook.com/documentation/
    # business-messaging/whatsapp/business-phone-numbers/media): the token goes nowhere else.
    MEDIA_HOSTS = frozenset({"lookaside.fbsbx.com"})

    def _graph_origin(self) -> str:
        parts = urlparse(self.graph_url)
        return f"{parts.scheme}://{parts.netloc}".lower()

    def fetch_media(self, media_id: str, *, token: str = "") -> tuple[bytes, str, str]:
        """`token`: the comune's own, for a citizen who wrote to its number (empty: the
        deployment's WHATSAPP_ACCESS_TOKEN)."""
        limit = int(settings.URP_MEDIA_MAX_BYTES)
        try:
            lookup = self.session.get(
                f"{self.graph_url}/{media_id}",
                headers=self._headers(token),
                timeout=TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise TransientSendError(code="network", message=str(exc)) from exc
        if lookup.status_code >= 300:
            raise classify_error(lookup)
        try:
            info = lookup.json()
            url = str(info["url"])
        except (ValueError, KeyError, TypeError) as exc:
            raise PermanentSendError(code="response", message=f"media lookup: {exc!r}") from exc
        graph_origin = self._graph_origin()
        # The configured Graph URL's own origin is trusted as the Graph API itself is (the
        # token already goes there); only it may be plain http (the tests' fake, the simulator).
        url_check(
            url,
            allowed_hosts=self.MEDIA_HOSTS | {urlparse(self.graph_url).hostname or ""},
            plain_http_origins={graph_origin} if graph_origin.startswith("http://") else set(),
        )
        declared_size_check(info.get("file_size"), limit=limit)
        # The URL is valid for five minutes and wants the same bearer token.
        download = download_capped(
            self.session, url, headers=self._headers(token), limit=limit, timeout=(5, 60)
        )
        if download.status_code >= 300:
            raise classify_error(download)
        mime = info.get("mime_type") or download.headers.get("Content-Type", "")
        return download.content, mime, info.get("filename", "")
