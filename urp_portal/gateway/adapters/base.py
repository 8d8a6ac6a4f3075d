"""The one interface every gateway adapter speaks, and the plain objects it speaks in.

An adapter knows a provider's wire format and nothing of the product: it checks a webhook's
signature, turns a webhook body into `ParsedInbound` / `ParsedStatus`, sends one outbound message
and fetches inbound media. Everything that writes to the database lives in the services.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import requests
from requests.adapters import HTTPAdapter

from ..models import OutboundMessage


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


@dataclass(frozen=True)
class ParsedStatus:
    """What the provider says happened to one of our messages."""

    provider_id: str
    # One of "sent", "delivered", "read", "failed" (OutboundState values).
    status: str
    at: dt.datetime
    recipient: str = ""
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
class ParsedEvent:
    messages: list[ParsedInbound] = field(default_factory=list)
    statuses: list[ParsedStatus] = field(default_factory=list)


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

    def verify_signature(self, *, body: bytes, headers: Mapping[str, str], url: str) -> bool:
        """True when the webhook request is signed by the provider (constant-time compare).
        `url` is the request's absolute URL when `signature_covers_url`, else empty."""
        ...

    def parse_webhook(self, *, body: bytes, content_type: str = "") -> ParsedEvent:
        """The messages and statuses of a webhook body; WebhookFormatError when it is not this
        gateway's format."""
        ...

    def send(self, message: OutboundMessage) -> str:
        """Send one message and return the provider's id for it; raises a SendError subclass."""
        ...

    def fetch_media(self, media_id: str) -> tuple[bytes, str, str]:
        """The media's bytes, MIME type and file name (may be empty); raises a SendError
        subclass (transient or permanent) when the provider cannot give it."""
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
