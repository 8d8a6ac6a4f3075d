"""One parser per family of the Cloud API's `messages[]` items, each returning what a
`ParsedInbound` needs beyond the sender: kind, text, media and `extra`.

`extra` keeps what the operator's view needs of each family (a contact card's names and
numbers, a place, a form's fields, what an edit or a deletion points at), in our own small
shape, not Meta's raw one: the tickets app renders it, and a field Meta adds later does not
change it. A type we do not know yet becomes `unsupported` with its type name kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..states import MessageKind

MEDIA_TYPES = {"image", "audio", "video", "document", "sticker"}


@dataclass
class Content:
    kind: str
    text: str = ""
    media_id: str = ""
    media_mime_type: str = ""
    media_filename: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _text(payload: dict[str, Any]) -> Content:
    return Content(MessageKind.TEXT, text=_str(payload.get("body")))


def _media(type_: str) -> Callable[[dict[str, Any]], Content]:
    def parse(payload: dict[str, Any]) -> Content:
        kind = MessageKind(type_)
        if type_ == "audio" and payload.get("voice"):
            kind = MessageKind.VOICE
        extra: dict[str, Any] = {}
        if type_ == "sticker" and payload.get("animated"):
            extra["animated"] = True
        if payload.get("file_size") is not None:
            extra["declared_size"] = _str(payload.get("file_size"))
        return Content(
            kind,
            text=_str(payload.get("caption")),
            media_id=_str(payload.get("id")),
            media_mime_type=_str(payload.get("mime_type")),
            media_filename=_str(payload.get("filename")),
            extra=extra,
        )

    return parse


def _location(payload: dict[str, Any]) -> Content:
    place = {
        key: payload[key]
        for key in ("latitude", "longitude", "name", "address", "url")
        if payload.get(key) not in (None, "")
    }
    return Content(MessageKind.LOCATION, extra={"location": place})


def _contacts(payload: Any) -> Content:
    """A shared contact card (or several): its name and numbers, what the operator needs."""
    cards = []
    for raw in _list(payload):
        raw = _dict(raw)
        name = _dict(raw.get("name"))
        full_name = _str(name.get("formatted_name")) or " ".join(
            _str(name.get(part)) for part in ("first_name", "last_name") if name.get(part)
        )
        cards.append(
            {
                "name": full_name,
                "phones": [
                    _str(_dict(p).get("phone") or _dict(p).get("wa_id"))
                    for p in _list(raw.get("phones"))
                    if _dict(p).get("phone") or _dict(p).get("wa_id")
                ],
                "emails": [
                    _str(_dict(e).get("email"))
                    for e in _list(raw.get("emails"))
                    if _dict(e).get("email")
                ],
                "organisation": _str(_dict(raw.get("org")).get("company")),
            }
        )
    return Content(MessageKind.CONTACTS, extra={"contacts": cards})


def _reaction(payload: dict[str, Any]) -> Content:
    # An empty emoji is the citizen taking their reaction back.
    return Content(
        MessageKind.REACTION,
        text=_str(payload.get("emoji")),
        extra={"reacted_to": _str(payload.get("message_id"))},
    )


def _button(payload: dict[str, Any]) -> Content:
    return Content(
        MessageKind.BUTTON,
        text=_str(payload.get("text")),
        extra={"payload": _str(payload.get("payload"))},
    )


def _flow_fields(response_json: Any) -> dict[str, Any]:
    """A Flow's answer travels as a JSON string; its fields, without Meta's flow_token."""
    if isinstance(response_json, dict):
        answer = response_json
    else:
        try:
            answer = json.loads(_str(response_json) or "{}")
        except ValueError:
            return {"risposta": _str(response_json)}
    if not isinstance(answer, dict):
        return {"risposta": _str(answer)}
    return {key: value for key, value in answer.items() if key != "flow_token"}


def _interactive(payload: dict[str, Any]) -> Content:
    subtype = _str(payload.get("type"))
    reply = _dict(payload.get(subtype))
    if subtype == "nfm_reply":
        return Content(
            MessageKind.FLOW_REPLY,
            extra={
                "flow": {
                    "name": _str(reply.get("name")),
                    "body": _str(reply.get("body")),
                    "fields": _flow_fields(reply.get("response_json")),
                }
            },
        )
    if subtype == "call_permission_reply":
        return Content(
            MessageKind.CALL_PERMISSION,
            extra={
                "call_permission": {
                    "response": _str(reply.get("response")),
                    "is_permanent": bool(reply.get("is_permanent")),
                    "expires": _str(reply.get("expiration_timestamp")),
                }
            },
        )
    return Content(
        MessageKind.INTERACTIVE,
        text=_str(reply.get("title")),
        extra={
            "reply_id": _str(reply.get("id")),
            "interactive_type": subtype,
            **({"description": _str(reply["description"])} if reply.get("description") else {}),
        },
    )


def _order(payload: dict[str, Any]) -> Content:
    items = [_dict(item) for item in _list(payload.get("product_items"))]
    return Content(
        MessageKind.ORDER,
        text=_str(payload.get("text")),
        extra={
            "order": {
                "catalog_id": _str(payload.get("catalog_id")),
                "items": [
                    {
                        "product": _str(item.get("product_retailer_id")),
                        "quantity": _str(item.get("quantity")),
                        "price": _str(item.get("item_price")),
                        "currency": _str(item.get("currency")),
                    }
                    for item in items
                ],
            }
        },
    )


def _edit(payload: dict[str, Any]) -> Content:
    """The new version of a message: its text (or caption) and the id of the original."""
    edited = _dict(payload.get("message"))
    inner_type = _str(edited.get("type")) or "text"
    inner = content_of(inner_type, edited) if inner_type != "edit" else Content(MessageKind.TEXT)
    return Content(
        MessageKind.EDIT,
        text=inner.text,
        extra={"original_id": _str(payload.get("original_message_id")), "edited_kind": inner.kind},
    )


def _revoke(payload: dict[str, Any]) -> Content:
    return Content(
        MessageKind.REVOKE, extra={"original_id": _str(payload.get("original_message_id"))}
    )


def _request_welcome(payload: Any) -> Content:
    return Content(MessageKind.WELCOME_REQUEST)


def _system(payload: dict[str, Any]) -> Content:
    """WhatsApp's notice of a new number or a new business-scoped user id (the same person)."""
    new_number = _str(payload.get("wa_id") or payload.get("new_wa_id"))
    return Content(
        MessageKind.SYSTEM,
        extra={
            "system": {
                "type": _str(payload.get("type")),
                "new_number": f"+{new_number.lstrip('+')}" if new_number else "",
                "new_user_id": _str(payload.get("user_id")),
                "previous_user_id": _str(payload.get("previous_user_id")),
                "body": _str(payload.get("body")),
            }
        },
    )


PARSERS: dict[str, Callable[[Any], Content]] = {
    "text": _text,
    **{type_: _media(type_) for type_ in MEDIA_TYPES},
    "location": _location,
    "contacts": _contacts,
    "reaction": _reaction,
    "button": _button,
    "interactive": _interactive,
    "order": _order,
    "edit": _edit,
    "revoke": _revoke,
    "request_welcome": _request_welcome,
    "system": _system,
}


def content_of(type_: str, raw: dict[str, Any]) -> Content:
    """The content of one `messages[]` item of type `type_`."""
    parser = PARSERS.get(type_)
    if parser is None:
        return Content(MessageKind.UNSUPPORTED, extra={"type": type_})
    payload = raw.get(type_)
    # Contacts come as a list; every other payload is an object (a missing one is empty).
    return parser(payload if type_ == "contacts" else _dict(payload))
