"""Twilio's templates: Content API items (`POST {TWILIO_CONTENT_URL}/v1/Content`), sent for
WhatsApp's approval (`POST /v1/Content/{sid}/ApprovalRequests/whatsapp`) and followed by their
approval status (`GET /v1/Content/{sid}/ApprovalRequests`). The item's SID (HX...) is the
provider's id of the template, kept apart from our name; sends name it in `ContentSid`.

Sources: twilio.com/docs/content/content-api-resources, /docs/content/twilio-text,
/docs/content/create-and-send-your-first-content-api-template. A content item cannot be
changed: an edited template is a new item with a new SID, approved again.

Which content type: a header image or a footer needs `twilio/card` (title: our body, subtitle:
the footer, media: the image's public URL, quick replies as actions); buttons alone
`twilio/quick-reply`; plain text `twilio/text`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse

import requests
from django.conf import settings

from .base import PermanentSendError, TransientSendError
from .meta.templates import RemoteTemplate, TemplateDefinition

TIMEOUT = (5, 20)

# Twilio's approval statuses in Meta's words (what the template services read); "unsubmitted"
# means no request was made: nothing to follow.
APPROVAL_STATUSES = {
    "received": "PENDING",
    "pending": "PENDING",
    "approved": "APPROVED",
    "rejected": "REJECTED",
    "paused": "PAUSED",
    "disabled": "DISABLED",
}


def content_types(definition: TemplateDefinition, *, image_url: str = "") -> dict[str, Any]:
    """The `types` of a Content API item for one of our templates."""
    actions = [
        {"type": "QUICK_REPLY", "title": text, "id": text} for text in definition.quick_replies
    ]
    if image_url or definition.footer:
        card: dict[str, Any] = {"title": definition.body}
        if definition.footer:
            card["subtitle"] = definition.footer
        if image_url:
            card["media"] = [image_url]
        if actions:
            card["actions"] = actions
        return {"twilio/card": card}
    if actions:
        return {
            "twilio/quick-reply": {
                "body": definition.body,
                "actions": [{"title": a["title"], "id": a["id"]} for a in actions],
            }
        }
    return {"twilio/text": {"body": definition.body}}


class TwilioContent:
    """Mixed into the Twilio adapter: it brings `session` and `_auth()`."""

    def _client(self) -> Any:
        return self

    @property
    def content_url(self) -> str:
        return str(settings.TWILIO_CONTENT_URL).rstrip("/")

    def _content_call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        client = self._client()
        try:
            response = client.session.request(
                method, f"{self.content_url}{path}", auth=client._auth(), timeout=TIMEOUT, **kwargs
            )
        except requests.RequestException as exc:
            # Creating an item twice makes only an unused item: safe to try again later.
            raise TransientSendError(code="network", message=str(exc)) from exc
        if response.status_code >= 300:
            raise client._classify(response)
        try:
            data = response.json()
        except ValueError as exc:
            raise PermanentSendError(code="response", message=response.text[:200]) from exc
        return data if isinstance(data, dict) else {}

    def _image_url(self, image: Any) -> str:
        """Twilio fetches a card's image from a public URL, as it does attachments."""
        if not image:
            return ""
        url = str(image.url)
        if not urlparse(url).scheme:
            raise PermanentSendError(
                code="media_url",
                message=(
                    f"Twilio scarica l'immagine del modello da un indirizzo pubblico; {url!r} non "
                    "lo è: usare un archivio dei file con indirizzi pubblici."
                ),
            )
        return url

    def submit_template(self, definition: TemplateDefinition) -> RemoteTemplate:
        """Create the content item, then ask WhatsApp's approval for it."""
        item = self._content_call(
            "POST",
            "/v1/Content",
            json={
                "friendly_name": definition.name,
                "language": definition.language,
                "variables": {str(n): value for n, value in enumerate(definition.examples, 1)},
                "types": content_types(
                    definition, image_url=self._image_url(definition.header_image)
                ),
            },
        )
        sid = str(item.get("sid") or "")
        if not sid.startswith("HX"):
            raise PermanentSendError(code="response", message=f"content item without sid: {item}")
        approval = self._content_call(
            "POST",
            f"/v1/Content/{sid}/ApprovalRequests/whatsapp",
            json={"name": definition.name, "category": definition.category.upper()},
        )
        return RemoteTemplate(
            provider_id=sid,
            name=definition.name,
            language=definition.language,
            status=APPROVAL_STATUSES.get(str(approval.get("status") or ""), "PENDING"),
            category=str(approval.get("category") or definition.category).upper(),
            reason=str(approval.get("rejection_reason") or ""),
        )

    def template_statuses(self, provider_ids: Iterable[str]) -> list[RemoteTemplate]:
        """The approval status of each of these content items (ours: Twilio's list would bring
        every item of the account)."""
        found = []
        for sid in provider_ids:
            whatsapp = self._content_call("GET", f"/v1/Content/{sid}/ApprovalRequests").get(
                "whatsapp"
            )
            status = APPROVAL_STATUSES.get(str((whatsapp or {}).get("status") or ""))
            if not whatsapp or status is None:
                continue
            found.append(
                RemoteTemplate(
                    provider_id=sid,
                    name=str(whatsapp.get("name") or ""),
                    language="",
                    status=status,
                    category=str(whatsapp.get("category") or "").upper(),
                    reason=str(whatsapp.get("rejection_reason") or ""),
                )
            )
        return found
