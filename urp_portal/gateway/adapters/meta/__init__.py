"""WhatsApp Cloud API (Meta's Graph API): signed JSON webhooks, `POST /{phone-id}/messages`.

The adapter loader takes `Adapter` from here (WHATSAPP_GATEWAY=meta); every name of the former
single module stays importable from this package."""

from .adapter import (
    KIND_OF_TYPE,
    MEDIA_TYPES,
    STATUS_NAMES,
    TIMEOUT,
    UPLOAD_REUSE_SECONDS,
    Adapter,
    _e164,
    _timestamp,
)
from .errors import PAIR_RATE_CODES, PERMANENT_CODES, TRANSIENT_CODES, classify_error, graph_error

__all__ = [
    "KIND_OF_TYPE",
    "MEDIA_TYPES",
    "PAIR_RATE_CODES",
    "PERMANENT_CODES",
    "STATUS_NAMES",
    "TIMEOUT",
    "TRANSIENT_CODES",
    "UPLOAD_REUSE_SECONDS",
    "Adapter",
    "_e164",
    "_timestamp",
    "classify_error",
    "graph_error",
]
