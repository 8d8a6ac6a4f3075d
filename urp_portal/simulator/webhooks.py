"""Meta webhook bodies built from simulated messages, signed and posted to the product's own
webhook exactly as Meta would (X-Hub-Signature-256 over the raw bytes)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import requests
from django.conf import settings
from django.utils import timezone

from urp_portal.municipality.errors import NoActiveMunicipality

from .models import SimulatedMessage
from .selectors import business_phone_number_id, own_phone_number_id

# The WhatsApp Business Account id in `entry[].id`; any stable number does.
SIMULATED_WABA_ID = "100000000000001"
# (connect, read) seconds: the product's webhook answers at once or is in trouble.
TIMEOUT = (3, 15)


class WebhookUnavailable(Exception):
    """The product's webhook did not take the body for a reason worth retrying (5xx)."""


def wa_id(number: str) -> str:
    return number.lstrip("+")


def phone_number_id() -> str:
    return own_phone_number_id()


def display_phone_number(business_number: str = "") -> str:
    """The number citizens see: the bound comune's, or the active comune's for our own."""
    from urp_portal.municipality.models import WhatsAppNumber
    from urp_portal.municipality.selectors import municipality_get_active

    if business_number:
        bound = (
            WhatsAppNumber.objects.filter(phone_number_id=business_number)
            .values_list("comune__whatsapp_number", flat=True)
            .first()
        )
        if bound:
            return wa_id(bound)
    try:
        return wa_id(municipality_get_active().whatsapp_number)
    except NoActiveMunicipality:
        return "390000000000"


def base64_sha256(content: bytes) -> str:
    return base64.b64encode(hashlib.sha256(content).digest()).decode()


def _envelope(value: dict[str, Any], business_number: str = "") -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": SIMULATED_WABA_ID,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": display_phone_number(business_number),
                                "phone_number_id": business_phone_number_id(business_number),
                            },
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def _contact(message: SimulatedMessage) -> dict[str, Any]:
    return {"profile": {"name": message.profile_name}, "wa_id": wa_id(message.number)}


def inbound_webhook_body(message: SimulatedMessage) -> dict[str, Any]:
    """What Meta posts when the citizen sends `message` (shapes of the Cloud API fixtures)."""
    raw: dict[str, Any] = {
        "from": wa_id(message.number),
        "id": message.wamid,
        "timestamp": str(int(message.created_at.timestamp())),
        "type": message.kind,
    }
    if message.kind == "text":
        raw["text"] = {"body": message.body}
    else:
        media = message.media
        assert media is not None, "a simulated media message has its file"
        content: dict[str, Any] = {
            "mime_type": media.mime_type,
            "sha256": media.sha256,
            "id": media.media_id,
        }
        if message.body:
            content["caption"] = message.body
        if message.kind == "audio":
            content["voice"] = message.is_voice
        if message.kind == "document" and media.filename:
            content["filename"] = media.filename
        raw[message.kind] = content
    return _envelope({"contacts": [_contact(message)], "messages": [raw]}, message.business_number)


def status_webhook_body(message: SimulatedMessage, status: str) -> dict[str, Any]:
    """What Meta posts when a message the product sent reaches `status`."""
    raw: dict[str, Any] = {
        "id": message.wamid,
        "status": status,
        "timestamp": str(int(timezone.now().timestamp())),
        "recipient_id": wa_id(message.number),
        "conversation": {
            "id": hashlib.sha256(message.number.encode()).hexdigest()[:30],
            "origin": {"type": "marketing" if message.kind == "template" else "service"},
        },
        "pricing": {
            "billable": True,
            "pricing_model": "CBP",
            "category": "marketing" if message.kind == "template" else "service",
        },
    }
    return _envelope({"contacts": [_contact(message)], "statuses": [raw]}, message.business_number)


def signature(body: bytes) -> str:
    key = str(settings.WHATSAPP_APP_SECRET).encode()
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def webhook_post(payload: dict[str, Any]) -> requests.Response:
    """POST `payload` signed to the product's webhook. Raises WebhookUnavailable on 5xx and
    requests' errors on network trouble (both worth a retry); returns any other answer."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    response = requests.post(
        settings.SIMULATOR_WEBHOOK_URL,
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature(body)},
        timeout=TIMEOUT,
    )
    if response.status_code >= 500:
        raise WebhookUnavailable(f"{settings.SIMULATOR_WEBHOOK_URL} → {response.status_code}")
    return response
