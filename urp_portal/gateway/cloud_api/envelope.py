"""The Cloud API's webhook envelope: `entry[].changes[]`, each a `field` and its `value`.

- `messages`: the citizen's messages (every type, `messages.py`) and our messages' statuses;
- `user_preferences`: the citizen stopped or resumed marketing messages in WhatsApp, turned
  into a message of kind `preference` (its id made from the change itself, so a repeated
  delivery is one row) that the pipeline hands to the subscribers app;
- the three template fields (review, category, quality; `templates.py`): template updates;
- any other field is left to whoever subscribes to it and listed in `ignored`.

A change addressed to a phone number id that is not ours is skipped whole and reported in
`foreign_phone_number_ids`: Meta sends every number of the app to the one URL, and another
business's citizen must never open a ticket here nor get an answer from our number.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from dataclasses import replace
from typing import Any

from ..adapters.base import (
    ParsedEvent,
    ParsedInbound,
    ParsedStatus,
    StatusPricing,
    WebhookFormatError,
)
from ..safe_values import TooDeep, depth_check, without_nul
from ..states import MessageKind
from .messages import content_of
from .templates import TEMPLATE_FIELDS, parse_template_change

STATUS_NAMES = {"sent", "delivered", "read", "failed"}


def _timestamp(value: Any) -> dt.datetime:
    # Meta sends strings; some tools send ints. Both mean seconds since the epoch, UTC.
    try:
        return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise WebhookFormatError(f"timestamp {value!r} is not a number") from exc


def e164(number: str) -> str:
    return f"+{number.lstrip('+')}" if number else ""


def _load(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except RecursionError as exc:
        raise WebhookFormatError("not JSON: nested too deeply to read") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookFormatError(f"not JSON: {exc}") from exc
    try:
        depth_check(data)
    except TooDeep as exc:
        raise WebhookFormatError(str(exc)) from exc
    if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
        raise WebhookFormatError("not a WhatsApp Business Account webhook")
    if not isinstance(data.get("entry"), list):
        raise WebhookFormatError("no entry list")
    return data


def parse_cloud_api_body(body: bytes, *, our_phone_number_ids: Collection[str]) -> ParsedEvent:
    """The messages and statuses of a Cloud API webhook body addressed to one of
    `our_phone_number_ids` (all, when it is empty: a number not configured yet); raises
    WebhookFormatError for anything that is not such a body."""
    data = _load(body)
    event = ParsedEvent()
    try:
        for entry in data["entry"]:
            for change in entry.get("changes") or []:
                _read_change(change, event, our_phone_number_ids, waba=str(entry.get("id") or ""))
    except (AttributeError, KeyError, TypeError) as exc:
        raise WebhookFormatError(f"unexpected shape: {exc!r}") from exc
    return event


def _read_change(
    change: dict[str, Any],
    event: ParsedEvent,
    our_phone_number_ids: Collection[str],
    *,
    waba: str = "",
) -> None:
    field = change.get("field")
    value = change.get("value") or {}
    phone_number_id = str((value.get("metadata") or {}).get("phone_number_id") or "")
    if our_phone_number_ids and phone_number_id and phone_number_id not in our_phone_number_ids:
        if phone_number_id not in event.foreign_phone_number_ids:
            event.foreign_phone_number_ids.append(phone_number_id)
        return
    known = phone_number_id in event.phone_number_ids
    if phone_number_id and field in ("messages", "user_preferences") and not known:
        event.phone_number_ids.append(phone_number_id)
    if field == "messages":
        contacts = value.get("contacts") or []
        # Meta may put the errors beside the messages rather than in each (as pywa reads it).
        shared_errors = value.get("errors")
        for raw in value.get("messages") or []:
            if shared_errors and not raw.get("errors"):
                raw = {**raw, "errors": shared_errors}
            event.messages.append(replace(_inbound(raw, contacts), phone_number_id=phone_number_id))
        for raw in value.get("statuses") or []:
            status = _status(raw, event)
            if status is not None:
                event.statuses.append(status)
    elif field == "user_preferences":
        contacts = value.get("contacts") or []
        for raw in value.get("user_preferences") or []:
            event.messages.append(
                replace(_preference(raw, contacts), phone_number_id=phone_number_id)
            )
    elif field in TEMPLATE_FIELDS:
        # A template's review, category or quality: applied by the template catalogue.
        update = parse_template_change(str(field), value)
        if update is not None:
            # The entry's id is the WABA the template lives in (one template per WABA).
            event.templates.append(replace(update, business_account_id=waba))
    else:
        event.ignored.append(f"field {field}")


def _contact_for(contacts: list[dict], wa_id: str, user_id: str) -> dict[str, Any]:
    return next(
        (
            c
            for c in contacts
            if (wa_id and c.get("wa_id") == wa_id) or (user_id and c.get("user_id") == user_id)
        ),
        contacts[0] if len(contacts) == 1 else {},
    )


def _sender(raw: dict[str, Any], contacts: list[dict]) -> tuple[str, str, dict[str, Any]]:
    """(sender, business-scoped user id, contact): the sender is the E.164 number when
    WhatsApp shares it, else the user id (a citizen with a username may share no number)."""
    wa_id = str(raw.get("from") or raw.get("wa_id") or "")
    user_id = str(raw.get("from_user_id") or raw.get("user_id") or "")
    contact = _contact_for(contacts, wa_id, user_id)
    user_id = user_id or str(contact.get("user_id") or "")
    wa_id = wa_id or str(contact.get("wa_id") or "")
    return (e164(wa_id) if wa_id else user_id), user_id, contact


def _clean(raw: Any) -> tuple[Any, dict[str, Any]]:
    cleaned, removed = without_nul(raw)
    return cleaned, ({"nul_removed": removed} if removed else {})


def _inbound(raw: dict[str, Any], contacts: list[dict]) -> ParsedInbound:
    raw, notes = _clean(raw)
    contacts, contact_notes = _clean(contacts)
    notes.update(contact_notes)
    sender, user_id, contact = _sender(raw, contacts)
    type_ = str(raw.get("type") or "unsupported")
    if not sender and type_ == "system":
        # Older notices name the old number `customer`; a new user id with no number names
        # the citizen by their previous one.
        system = raw.get("system") or {}
        customer = str(system.get("customer") or "")
        sender = e164(customer) if customer else str(system.get("previous_user_id") or "")
    if not sender:
        raise WebhookFormatError(f"message {raw.get('id')!r} has no sender")
    content = content_of(type_, raw)
    extra = {**content.extra, **notes}
    if raw.get("errors"):
        extra["errors"] = raw["errors"]
    context = raw.get("context") or {}
    if context.get("forwarded") or context.get("frequently_forwarded"):
        extra["forwarded"] = True
    profile = contact.get("profile") or {}
    if profile.get("username"):
        extra["username"] = str(profile["username"])
    return ParsedInbound(
        provider_id=str(raw["id"]),
        sender=sender,
        sender_user_id=user_id,
        profile_name=str(profile.get("name") or ""),
        sent_at=_timestamp(raw.get("timestamp")),
        kind=content.kind,
        text=content.text,
        media_id=content.media_id,
        media_mime_type=content.media_mime_type,
        media_filename=content.media_filename,
        reply_to_provider_id=str(context.get("id") or ""),
        extra=extra,
    )


def _preference(raw: dict[str, Any], contacts: list[dict]) -> ParsedInbound:
    raw, notes = _clean(raw)
    contacts, _notes = _clean(contacts)
    sender, user_id, contact = _sender(raw, contacts)
    if not sender:
        raise WebhookFormatError("user_preferences item has no user")
    value = str(raw.get("value") or "")
    category = str(raw.get("category") or "")
    timestamp = raw.get("timestamp")
    return ParsedInbound(
        # Meta gives the change no id: the same change delivered twice makes the same one.
        provider_id=f"user_preferences:{user_id or sender}:{category}:{value}:{timestamp}",
        sender=sender,
        sender_user_id=user_id,
        profile_name=str((contact.get("profile") or {}).get("name") or ""),
        sent_at=_timestamp(timestamp),
        kind=MessageKind.PREFERENCE,
        extra={
            "preference": {
                "category": category,
                "value": value,
                "detail": str(raw.get("detail") or ""),
            },
            **notes,
        },
    )


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


def _status(raw: dict[str, Any], event: ParsedEvent) -> ParsedStatus | None:
    raw, _notes = _clean(raw)
    status = raw.get("status")
    if raw.get("recipient_type") == "group" or raw.get("recipient_participant_id"):
        # Statuses of messages to WhatsApp groups: we send to no group.
        event.ignored.append(f"group status {status}")
        return None
    if status not in STATUS_NAMES:
        # "deleted", "warning", "played" and future ones: nothing of ours to move.
        event.ignored.append(f"status {status}")
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
        recipient=e164(str(raw.get("recipient_id") or "")),
        recipient_user_id=str(raw.get("recipient_user_id") or ""),
        error_code=code,
        error_message=message,
        pricing=_pricing(raw),
    )
