"""Values from a webhook body made safe to store, and bodies too deep to be a real webhook.

PostgreSQL's text and jsonb types cannot hold the NUL character (U+0000), which JSON allows
("\\u0000"): a citizen's text carrying one failed the INSERT, after the webhook had answered
200, and the message was never processed. The NUL is removed and the message says so
(`extra["nul_removed"]`), so nothing is lost but a character no one can see.
"""

from __future__ import annotations

from typing import Any

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
