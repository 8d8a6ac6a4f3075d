"""The Cloud API's three template webhooks (fields `message_template_status_update`,
`template_category_update`, `message_template_quality_update`) read into ParsedTemplateUpdate.

Sources (developers.facebook.com/documentation/business-messaging/whatsapp/): webhooks/reference/
message_template_status_update (updated 13 Apr 2026), webhooks/reference/template_category_update
(11 Nov 2025: route on `new_category` of the completed notification, never on `correct_category`
of an impending one)."""

from __future__ import annotations

from typing import Any

from ..adapters.base import ParsedTemplateUpdate

TEMPLATE_FIELDS = {
    "message_template_status_update": "status",
    "template_category_update": "category",
    "message_template_quality_update": "quality",
}


def parse_template_change(field_name: str, value: dict[str, Any]) -> ParsedTemplateUpdate | None:
    """A template webhook's change, or None when it changes nothing we follow (an impending
    category change is a warning: the route changes only with the completed one)."""
    kind = TEMPLATE_FIELDS[field_name]
    common = {
        "provider_id": str(value.get("message_template_id") or ""),
        "name": str(value.get("message_template_name") or ""),
        "language": str(value.get("message_template_language") or ""),
    }
    if kind == "status":
        reason = str(value.get("reason") or "")
        return ParsedTemplateUpdate(
            kind=kind,
            status=str(value.get("event") or "").upper(),
            reason="" if reason.upper() == "NONE" else reason,
            category=str(value.get("message_template_category") or "").upper(),
            **common,
        )
    if kind == "category":
        if "previous_category" not in value:
            return None
        return ParsedTemplateUpdate(
            kind=kind,
            category=str(value.get("new_category") or "").upper(),
            previous_category=str(value.get("previous_category") or "").upper(),
            **common,
        )
    return ParsedTemplateUpdate(
        kind=kind, quality=str(value.get("new_quality_score") or "").upper(), **common
    )
