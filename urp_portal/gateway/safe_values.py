"""Values from a webhook body made safe to store, and bodies too deep to be a real webhook
(used by the Cloud API parser, and by the webhook service for every adapter's messages).

PostgreSQL's text and jsonb types cannot hold the NUL character (U+0000), which JSON allows
("\\u0000"): a citizen's text carrying one failed the INSERT, after the webhook had answered
200, and the message was never processed. The NUL is removed and the message says so
(`extra["nul_removed"]`), so nothing is lost but a character no one can see.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from .adapters.base import ParsedInbound

# Meta's bodies are about 8 levels deep (a Flow's answer travels as a JSON *string*). Anything
# much deeper is not a webhook, and walking it would only spend the worker's stack.
MAX_DEPTH = 32


class TooDeep(ValueError):
    pass


def depth_check(value: Any, *, limit: int = MAX_DEPTH) -> None:
    """TooDeep when containers nest beyond `limit` (iterative: no recursion to exhaust)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise TooDeep(f"JSON nested deeper than {limit} levels")
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def without_nul(value: Any) -> tuple[Any, int]:
    """`value` with every NUL removed from its strings (keys included), and how many were.
    Call after depth_check: it recurses once per level."""
    if isinstance(value, str):
        count = value.count("\x00")
        return (value.replace("\x00", "") if count else value), count
    if isinstance(value, dict):
        total = 0
        cleaned: dict[str, Any] = {}
        for key, item in value.items():
            clean_key, key_count = without_nul(key)
            clean_item, item_count = without_nul(item)
            cleaned[clean_key] = clean_item
            total += key_count + item_count
        return cleaned, total
    if isinstance(value, list):
        total = 0
        items = []
        for item in value:
            clean_item, item_count = without_nul(item)
            items.append(clean_item)
            total += item_count
        return items, total
    return value, 0


def _fit(value: str, limit: int) -> str:
    """An identifier longer than its column: a digest of it, still unique, never cut."""
    if len(value) <= limit:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def inbound_made_safe(message: ParsedInbound) -> ParsedInbound:
    """A parsed message whatever the adapter, ready for the database: no NUL anywhere (noted
    in `extra.nul_removed`), identifiers that fit their columns, names cut to theirs. Whatever
    a body carries, the message is stored rather than lost to a database error."""
    values = {
        name: getattr(message, name)
        for name in (
            "provider_id",
            "sender",
            "sender_user_id",
            "profile_name",
            "kind",
            "text",
            "media_id",
            "media_mime_type",
            "media_filename",
            "reply_to_provider_id",
        )
    }
    cleaned, removed = without_nul(values)
    extra, extra_removed = without_nul(message.extra)
    removed += extra_removed
    if removed:
        extra = {**extra, "nul_removed": extra.get("nul_removed", 0) + removed}
    return dataclasses.replace(
        message,
        provider_id=_fit(cleaned["provider_id"], 200),
        sender=_fit(cleaned["sender"], 100),
        sender_user_id=_fit(cleaned["sender_user_id"], 100),
        profile_name=cleaned["profile_name"][:200],
        kind=cleaned["kind"],
        text=cleaned["text"],
        media_id=_fit(cleaned["media_id"], 200),
        media_mime_type=cleaned["media_mime_type"][:100],
        media_filename=cleaned["media_filename"][:255],
        reply_to_provider_id=_fit(cleaned["reply_to_provider_id"], 200),
        extra=extra,
    )
