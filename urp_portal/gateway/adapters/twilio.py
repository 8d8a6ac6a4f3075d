"""Twilio's WhatsApp API: form-encoded webhooks signed with X-Twilio-Signature, status callbacks,
`POST /2010-04-01/Accounts/{sid}/Messages.json` with basic auth."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import mimetypes
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlparse

import requests
from django.conf import settings

from ..states import MessageKind
from .base import (
    AmbiguousSendError,
    Outgoing,
    ParsedEvent,
    ParsedInbound,
    ParsedStatus,
    PermanentSendError,
    Processor,
    SendError,
    TransientSendError,
    WebhookFormatError,
    pooled_session,
)
from .media_download import download_capped, url_check
from .twilio_content import TwilioContent

TIMEOUT = (5, 20)

# Twilio's MessageStatus → ours; "queued", "accepted", "sending", "receiving" say nothing new.
STATUS_OF = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
    "undelivered": "failed",
}
# Twilio error codes (twilio.com/docs/api/errors) that a later retry can cure.
TRANSIENT_CODES = {"20429", "20500", "20503", "30001", "63038"}
WINDOW_CLOSED_CODE = "63016"


def _address(value: str) -> str:
    # "whatsapp:+39333..." → "+39333..."
    return value.split(":", 1)[1] if value.startswith("whatsapp:") else value


def twilio_signature(*, auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """Base64 HMAC-SHA1 of the URL followed by every POST parameter (name then value) sorted by
    name, as Twilio computes it."""
    payload = url + "".join(f"{key}{value}" for key, value in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class Adapter(TwilioContent):
    name = "twilio"
    signature_covers_url = True
    required_settings: tuple[str, ...] = (
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_WHATSAPP_FROM",
    )
    for_testing_only = False
    processor: Processor | None = Processor(
        name="Twilio Ireland Ltd. (WhatsApp tramite Twilio) e Meta Platforms Ireland Ltd.",
        transfers=(
            "Stati Uniti d'America, sulla base delle garanzie previste dai contratti con i "
            "fornitori (Data Privacy Framework UE-USA e clausole contrattuali tipo): da verificare "
            "nei contratti."
        ),
    )

    def __init__(self) -> None:
        self._local = threading.local()

    def probe_url(self) -> str:
        return str(settings.TWILIO_API_URL).rstrip("/") + "/"

    def answer_handshake(self, query: Mapping[str, str]) -> str | None:
        # Twilio makes no subscription handshake: a GET on the webhook is no one we expect.
        return None

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = pooled_session(base_url=str(settings.TWILIO_API_URL), pool_connections=2)
            self._local.session = session
        return session

    def _auth(self) -> tuple[str, str]:
        # Read at each call, not kept on the session: the settings may change (tests, a rotated
        # token) while the process and its session live on.
        return (str(settings.TWILIO_ACCOUNT_SID), str(settings.TWILIO_AUTH_TOKEN))

    def verify_signature(self, *, body: bytes, headers: Mapping[str, str], url: str) -> bool:
        token = str(settings.TWILIO_AUTH_TOKEN)
        given = headers.get("X-Twilio-Signature", "")
        if not token or not given:
            return False
        try:
            params = parse_qsl(body.decode(), keep_blank_values=True)
        except UnicodeDecodeError:
            return False
        expected = twilio_signature(auth_token=token, url=url, params=params)
        return hmac.compare_digest(expected.encode(), given.encode())

    def parse_webhook(self, *, body: bytes, content_type: str = "") -> ParsedEvent:
        try:
            params = dict(parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError) as exc:
            raise WebhookFormatError(f"not a form body: {exc}") from exc
        sid = params.get("MessageSid") or params.get("SmsSid")
        if not sid or not params.get("AccountSid"):
            raise WebhookFormatError("not a Twilio webhook (no MessageSid / AccountSid)")
        # Twilio gives no event time; the moment we parse it is the closest we have.
        now = dt.datetime.now(tz=dt.UTC)
        if "MessageStatus" in params:
            status = STATUS_OF.get(params["MessageStatus"])
            if status is None:
                return ParsedEvent()
            return ParsedEvent(
                statuses=[
                    ParsedStatus(
                        provider_id=sid,
                        status=status,
                        at=now,
                        recipient=_address(params.get("To", "")),
                        error_code=params.get("ErrorCode", ""),
                        error_message=params.get("ErrorMessage", ""),
                    )
                ]
            )
        sender = _address(params.get("From", ""))
        if not sender:
            raise WebhookFormatError("inbound message without From")
        kind, text, media_id, mime = MessageKind.TEXT, params.get("Body", ""), "", ""
        extra: dict[str, Any] = {}
        if int(params.get("NumMedia") or 0) > 0:
            media_id = params.get("MediaUrl0", "")
            mime = params.get("MediaContentType0", "")
            major = mime.split("/", 1)[0]
            kind = {
                "image": MessageKind.IMAGE,
                "audio": MessageKind.VOICE,
                "video": MessageKind.VIDEO,
            }.get(major, MessageKind.DOCUMENT)
            if mime == "image/webp":
                kind = MessageKind.STICKER
        elif params.get("Latitude") and params.get("Longitude"):
            kind = MessageKind.LOCATION
            extra["location"] = {
                "latitude": float(params["Latitude"]),
                "longitude": float(params["Longitude"]),
                "address": params.get("Address", ""),
            }
        elif params.get("ButtonPayload"):
            kind = MessageKind.BUTTON
            text = params.get("ButtonText", text)
            extra["payload"] = params["ButtonPayload"]
        return ParsedEvent(
            messages=[
                ParsedInbound(
                    provider_id=sid,
                    sender=sender,
                    sender_user_id=params.get("WaId", ""),
                    profile_name=params.get("ProfileName", ""),
                    sent_at=now,
                    kind=kind,
                    text=text,
                    media_id=media_id,
                    media_mime_type=mime,
                    reply_to_provider_id=params.get("OriginalRepliedMessageSid", ""),
                    extra=extra,
                )
            ]
        )

    def _classify(self, response: requests.Response) -> SendError:
        try:
            data = response.json()
        except ValueError:
            data = {}
        code = str(data.get("code") or response.status_code)
        message = str(data.get("message") or response.reason or "")
        if code == WINDOW_CLOSED_CODE:
            message += " (finestra di 24 ore chiusa: usare un modello approvato)"
        if code in TRANSIENT_CODES or response.status_code == 429 or response.status_code >= 500:
            return TransientSendError(code=code, message=message)
        return PermanentSendError(code=code, message=message)

    def send(self, message: Outgoing) -> str:
        form: dict[str, str] = {
            "From": f"whatsapp:{settings.TWILIO_WHATSAPP_FROM}",
            "To": f"whatsapp:{message.to}",
        }
        if message.template_name:
            # On Twilio an approved template is a Content API item sent by its SID (HX...); our
            # template's name stays ours. Parameters are numbered variables.
            content_sid = message.template_provider_id
            if not content_sid.startswith("HX"):
                raise PermanentSendError(
                    code="content_sid",
                    message=(
                        f"Il modello «{message.template_name}» non ha un Content SID di Twilio "
                        "(HX...): indicarlo nel modello prima di usarlo."
                    ),
                )
            form["ContentSid"] = content_sid
            form["ContentVariables"] = json.dumps(
                {str(i): str(p) for i, p in enumerate(message.template_parameters, start=1)}
            )
        elif message.buttons:
            # Twilio's free-form messages carry no reply buttons (they need a Content template):
            # the choices go as numbered lines, and a typed number is read as the button.
            choices = "\n".join(
                f"{index}. {button['title']}"
                for index, button in enumerate(message.buttons, start=1)
            )
            form["Body"] = f"{message.text}\n\n{choices}"
        else:
            form["Body"] = message.text
            media_url = self._media_url(message)
            if media_url:
                form["MediaUrl"] = media_url
        url = (
            f"{str(settings.TWILIO_API_URL).rstrip('/')}/2010-04-01/Accounts/"
            f"{settings.TWILIO_ACCOUNT_SID}/Messages.json"
        )
        try:
            response = self.session.post(url, data=form, auth=self._auth(), timeout=TIMEOUT)
        except (requests.ConnectTimeout, requests.exceptions.SSLError) as exc:
            raise TransientSendError(code="network", message=str(exc)) from exc
        except requests.RequestException as exc:
            raise AmbiguousSendError(code="network", message=str(exc)) from exc
        if response.status_code >= 300:
            raise self._classify(response)
        try:
            return str(response.json()["sid"])
        except (ValueError, KeyError) as exc:
            raise AmbiguousSendError(code="response", message=response.text[:200]) from exc

    def _media_url(self, message: Outgoing) -> str:
        """Twilio has no upload: it fetches an attachment from a public URL. A stored file
        goes by its storage's URL, which must then be absolute (an object store's); a file
        served only to logged-in staff cannot reach Twilio, and is refused rather than dropped."""
        if message.media_url:
            return message.media_url
        if not message.media_file:
            return ""
        url = message.media_file.url
        if not urlparse(url).scheme:
            raise PermanentSendError(
                code="media_url",
                message=(
                    f"Twilio scarica gli allegati da un indirizzo pubblico; {url!r} non lo è: "
                    "usare un archivio dei file con indirizzi pubblici o un link."
                ),
            )
        return url

    # Twilio's own API host takes our credentials; its answer redirects to a signed URL on its
    # media CDN, fetched once and without them.
    MEDIA_HOSTS = frozenset({"api.twilio.com"})

    def fetch_media(self, media_id: str) -> tuple[bytes, str, str]:
        # Twilio's media id is the MediaUrl itself (from the webhook's form fields).
        limit = int(settings.URP_MEDIA_MAX_BYTES)
        api = urlparse(str(settings.TWILIO_API_URL))
        api_origin = f"{api.scheme}://{api.netloc}".lower()
        # Only the configured API URL's own origin may be plain http (the tests' fake Twilio).
        plain_http = {api_origin} if api_origin.startswith("http://") else set()
        url_check(
            media_id,
            allowed_hosts=self.MEDIA_HOSTS | {api.hostname or ""},
            plain_http_origins=plain_http,
        )
        response = download_capped(
            self.session,
            media_id,
            headers={},
            auth=self._auth(),
            limit=limit,
            timeout=(5, 60),
            redirect_without_credentials=True,
            plain_http_origins=plain_http,
        )
        if response.status_code >= 300:
            raise self._classify(response)
        mime = response.headers.get("Content-Type", "")
        extension = mimetypes.guess_extension(mime) or ""
        return response.content, mime, f"{urlparse(media_id).path.rsplit('/', 1)[-1]}{extension}"
