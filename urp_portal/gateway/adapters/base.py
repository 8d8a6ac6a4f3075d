"""The one interface every gateway adapter speaks, and the plain objects it speaks in.

An adapter knows a provider's wire format and nothing of the product: it checks a webhook's
signature, turns a webhook body into `ParsedInbound` / `ParsedStatus`, sends one `Outgoing`
message and fetches inbound media. Everything that writes to the database lives in the services.

It also declares what the rest of the product needs to know about its provider (the variables it
needs, the URL that answers when the provider is reachable, the processor named in the records of
processing, whether it is for tests and training only): `check_config`, `/readyz` and the records
read these from the adapter, so a new gateway is one module and nothing else.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import requests
from requests.adapters import HTTPAdapter

from ..models import OutboundMessage


@dataclass(frozen=True)
class Outgoing:
    """One message to send, as the adapter needs it: a plain value, so that an adapter never
    reads or writes the outbox's row."""

    to: str
    text: str = ""
    template_name: str = ""
    template_language: str = ""
    # As stored on the outbox row (a JSON value).
    template_parameters: Any = ()
    media_url: str = ""
    # A stored file (`name`, `url`, `open()`), or None when there is none.
    media_file: Any = None
    # Reply buttons of an interactive message: [{"id": ..., "title": ...}], at most three.
    buttons: Any = ()
    # The template's category (Meta routes marketing through /marketing_messages) and the
    # provider's own id of it (Twilio's Content SID).
    template_category: str = ""
    template_provider_id: str = ""
    # The comune's own number and token (gateway.numbers.SendingNumber) when the deployment
    # serves several; None: the deployment's own WHATSAPP_* number.
    sender: Any = None

    @classmethod
    def of(cls, message: OutboundMessage, *, sender: Any = None) -> Outgoing:
        return cls(
            sender=sender,
            to=message.to,
            text=message.text,
            template_name=message.template_name,
            template_language=message.template_language,
            template_parameters=message.template_parameters,
            media_url=message.media_url,
            media_file=message.media_file or None,
            buttons=message.buttons,
            template_category=message.template_category,
            template_provider_id=message.template_provider_id,
        )


@dataclass(frozen=True)
class Processor:
    """The provider acting as processor (GDPR art. 28) in the records of processing."""

    # Who processes the citizens' messages on the comune's behalf, in Italian.
    name: str
    # Where the data goes outside the EU, and on what guarantees, in Italian.
    transfers: str


@dataclass(frozen=True)
class ParsedInbound:
    """A citizen's message as the provider described it."""

    provider_id: str
    # E.164 with "+" when the provider gives the number; otherwise the username-based user id.
    sender: str
    sent_at: dt.datetime
    kind: str
    sender_user_id: str = ""
    profile_name: str = ""
    text: str = ""
    media_id: str = ""
    media_mime_type: str = ""
    media_filename: str = ""
    reply_to_provider_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # The business number it was written to (Meta's metadata.phone_number_id): its comune.
    phone_number_id: str = ""


@dataclass(frozen=True)
class ParsedStatus:
    """What the provider says happened to one of our messages."""

    provider_id: str
    # One of "sent", "delivered", "read", "failed" (OutboundState values).
    status: str
    at: dt.datetime
    recipient: str = ""
    # The recipient's business-scoped user id, when the provider names them by it.
    recipient_user_id: str = ""
    error_code: str = ""
    error_message: str = ""
    # What WhatsApp says the message costs and which window it opened (Meta's `pricing` and
    # `conversation` objects; empty when the provider says nothing). `pricing_category` is what
    # the message is billed as (marketing, utility, authentication, service...).
    pricing: StatusPricing | None = None


@dataclass(frozen=True)
class StatusPricing:
    """The billing facts of a status: Meta's `pricing` object and its `conversation` object."""

    category: str = ""
    # "regular", "free_customer_service", "free_entry_point".
    type: str = ""
    # "PMP" (per-message pricing) since July 2025; "CBP" before.
    model: str = ""
    # Deprecated by Meta with per-message pricing, still sent: None when absent.
    billable: bool | None = None
    conversation_id: str = ""
    conversation_origin: str = ""
    conversation_expires_at: dt.datetime | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            k: v for k, v in self.__dict__.items() if k != "conversation_expires_at"
        }
        expires = self.conversation_expires_at
        data["conversation_expires_at"] = expires.timestamp() if expires else None
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StatusPricing | None:
        if not data:
            return None
        values = dict(data)
        expires = values.pop("conversation_expires_at", None)
        return cls(
            **values,
            conversation_expires_at=dt.datetime.fromtimestamp(expires, tz=dt.UTC)
            if expires
            else None,
        )


@dataclass(frozen=True)
class ParsedTemplateUpdate:
    """What the provider says about one of our message templates: its review's verdict, a new
    category, a new quality rating. Fields the update does not speak of are empty."""

    # "status", "category" or "quality".
    kind: str
    provider_id: str = ""
    name: str = ""
    language: str = ""
    # The provider's words, upper case as Meta writes them (APPROVED, REJECTED, PAUSED, ...).
    status: str = ""
    reason: str = ""
    # For "category": the category now in force (MARKETING, UTILITY, AUTHENTICATION).
    category: str = ""
    previous_category: str = ""
    # For "quality": GREEN, YELLOW, RED or UNKNOWN.
    quality: str = ""
    # The WhatsApp Business Account the template lives in (Meta's entry.id; empty where the
    # provider does not say): on a deployment serving several comuni, only that WABA's
    # comuni's template of that name is updated (issue #24).
    business_account_id: str = ""


@dataclass(frozen=True)
class ParsedEvent:
    messages: list[ParsedInbound] = field(default_factory=list)
    statuses: list[ParsedStatus] = field(default_factory=list)
    templates: list[ParsedTemplateUpdate] = field(default_factory=list)
    # Parts of the body addressed to a phone number id that is not ours (another business's
    # number on the same app): never processed, only logged and kept in the stored body.
    foreign_phone_number_ids: list[str] = field(default_factory=list)
    # Our business numbers the body spoke for (Meta's metadata.phone_number_id of each part
    # processed; empty where the provider does not say): the worker records the event's comune
    # from them.
    phone_number_ids: list[str] = field(default_factory=list)
    # What the body carried that means nothing to us ("statuses: played", "field: ..."), for
    # the admin's view of the event.
    ignored: list[str] = field(default_factory=list)


class WebhookFormatError(ValueError):
    """The body is not this gateway's webhook format (malformed or foreign)."""


class SendError(Exception):
    """Sending failed; `code` is the provider's error code as text, `message` its explanation."""

    def __init__(self, code: str, message: str) -> None:
        # Both in args, so that the exception pickles (Celery stores it with a retry).
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class TransientSendError(SendError):
    """Not sent, and trying again later may work (network, 5xx, throttling)."""

    # Seconds the recipient's pace is pushed back before the retry (pair rate limit).
    recipient_cooldown: float = 0.0


class PairRateLimitError(TransientSendError):
    """Too many messages to this one recipient (Meta 131056): wait longer before the next."""

    recipient_cooldown = 60.0


class PermanentSendError(SendError):
    """Not sent, and sending the same message again will fail the same way."""


class MediaTooLarge(PermanentSendError):
    """A media file over URP_MEDIA_MAX_BYTES: refused from the lookup's declared size, or
    stopped while streaming once the cap was passed (never read whole)."""

    def __init__(self, *, size: int | None, limit: int) -> None:
        super().__init__(code="too_large", message=f"media over {limit} bytes ({size or '?'})")
        self.size = size
        self.limit = limit

    def __reduce__(self):  # pickles with its keyword arguments (Celery stores exceptions)
        return (_media_too_large, (self.size, self.limit))


def _media_too_large(size: int | None, limit: int) -> MediaTooLarge:
    return MediaTooLarge(size=size, limit=limit)


class MediaHostRefused(PermanentSendError):
    """The media lookup named a URL we do not send credentials to (another host, not https,
    or a redirect): nothing was requested from it."""


BUSINESS_SCOPED_USER_ID = re.compile(r"[A-Z]{2}(?:\.[A-Za-z0-9]+)+")


def is_business_scoped_user_id(value: str) -> bool:
    """WhatsApp's business-scoped user id ("IT.1502576394655843", "US.ENT.118..."), as opposed
    to a phone number: sends to it go in `recipient`, not `to`."""
    return bool(BUSINESS_SCOPED_USER_ID.fullmatch(value or ""))


class AmbiguousSendError(SendError):
    """The request left, but no answer came back: the message may have been sent. Never
    resent automatically; an operator reviews it."""


@runtime_checkable
class GatewayAdapter(Protocol):
    # The adapter's module name under urp_portal.gateway.adapters, stored on each WebhookEvent.
    name: ClassVar[str]
    # Whether the webhook's signature covers the URL it was posted to (Twilio's does, Meta's
    # covers the body only): the view builds the absolute URL only for such a gateway.
    signature_covers_url: ClassVar[bool]
    # The settings (variables of .env.example) without which it can neither send nor receive.
    required_settings: ClassVar[tuple[str, ...]]
    # Only for tests, the demo and training: check_config blocks it in production and the records
    # of processing name no processor.
    for_testing_only: ClassVar[bool]
    # The provider named in the records of processing (None: no one outside the comune).
    processor: ClassVar[Processor | None]

    def probe_url(self) -> str:
        """A URL of the provider's API that answers anything (even 401) when it is reachable:
        /readyz probes it."""
        ...

    def answer_handshake(self, query: Mapping[str, str]) -> str | None:
        """The body to answer a GET on the webhook URL (a subscription handshake) with, or None
        to refuse it (403)."""
        ...

    def verify_signature(self, *, body: bytes, headers: Mapping[str, str], url: str) -> bool:
        """True when the webhook request is signed by the provider (constant-time compare).
        `url` is the request's absolute URL when `signature_covers_url`, else empty."""
        ...

    def parse_webhook(self, *, body: bytes, content_type: str = "") -> ParsedEvent:
        """The messages and statuses of a webhook body; WebhookFormatError when it is not this
        gateway's format."""
        ...

    def send(self, message: Outgoing) -> str:
        """Send one message and return the provider's id for it; raises a SendError subclass."""
        ...

    def fetch_media(self, media_id: str) -> tuple[bytes, str, str]:
        """The media's bytes, MIME type and file name (may be empty); raises a SendError
        subclass (transient or permanent) when the provider cannot give it, MediaTooLarge past
        URP_MEDIA_MAX_BYTES (read no further than the cap) and MediaHostRefused when the file
        is not on one of the provider's hosts (credentials go nowhere else)."""
        ...


# --- shared by the adapters that speak HTTP ----------------------------------------------------


def pooled_session(*, base_url: str, pool_connections: int) -> requests.Session:
    """A session keeping its connections to the provider open, without automatic retries (a
    retried POST could send a message twice: the outbox decides about retries).

    The environment's proxy and CA settings are read once, here: requests would otherwise read
    the environment and ~/.netrc again on every request, a quarter of a send's time on a fast
    network, and a .netrc entry could replace the provider's authorisation header."""
    session = requests.Session()
    session.trust_env = False
    # {} when NO_PROXY names the provider's host.
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    session.verify = bundle or True
    pool = HTTPAdapter(pool_connections=pool_connections, pool_maxsize=16, max_retries=0)
    session.mount("http://", pool)
    session.mount("https://", pool)
    return session
