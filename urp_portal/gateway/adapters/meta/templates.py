"""The Cloud API's template management: submit a template for Meta's review
(`POST /{WABA_ID}/message_templates`), list them with their status, category and quality
(`GET /{WABA_ID}/message_templates`), read the portfolio's messaging limit, and parse the three
template webhooks (`message_template_status_update`, `template_category_update`,
`message_template_quality_update`).

Sources (developers.facebook.com/documentation/business-messaging/whatsapp/): webhooks/reference/
message_template_status_update (updated 13 Apr 2026), webhooks/reference/template_category_update
(11 Nov 2025; "route on new_category of the completed notification, never on correct_category"),
marketing-messages/route-template-messages (21 Sep 2026), messaging-limits
(`whatsapp_business_manager_messaging_limit` replaces the deprecated `messaging_limit_tier`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

from ..base import PermanentSendError, TransientSendError

# Meta's messaging limits (unique users outside their window per rolling 24 h) by the names the
# Graph API gives them; None: unlimited.
MESSAGING_LIMITS: dict[str, int | None] = {
    "TIER_250": 250,
    "TIER_2K": 2000,
    "TIER_10K": 10000,
    "TIER_100K": 100000,
    "TIER_UNLIMITED": None,
    "UNLIMITED": None,
}

_PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")


@dataclass(frozen=True)
class TemplateDefinition:
    """A template as we submit it: our fields, in the provider's words."""

    name: str
    language: str
    category: str  # ours: utility, marketing, authentication
    body: str
    examples: tuple[str, ...] = ()
    footer: str = ""
    quick_replies: tuple[str, ...] = ()


@dataclass(frozen=True)
class RemoteTemplate:
    """One template as the provider lists it."""

    provider_id: str
    name: str
    language: str
    status: str
    category: str
    reason: str = ""
    quality: str = ""


def template_components(definition: TemplateDefinition) -> list[dict[str, Any]]:
    """The `components` of a template creation request: the body with one example value per
    numbered parameter (Meta refuses a body with parameters and no example), the footer, the
    quick-reply buttons."""
    body: dict[str, Any] = {"type": "BODY", "text": definition.body}
    if _PLACEHOLDER.search(definition.body):
        body["example"] = {"body_text": [list(definition.examples)]}
    components = [body]
    if definition.footer:
        components.append({"type": "FOOTER", "text": definition.footer})
    if definition.quick_replies:
        components.append(
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "QUICK_REPLY", "text": text} for text in definition.quick_replies
                ],
            }
        )
    return components


class MetaTemplates:
    """Mixed into the Meta adapter: it brings `session`, `graph_url`, `phone_number_id`,
    `_headers()` and `_post()`."""

    # The adapter's: its pooled session, base URL and number, its headers and its POST that
    # sorts network errors into "safe to retry" and "may have been taken". Reached through
    # `_client()` so that the adapter's properties stay its own.
    def _client(self) -> Any:
        return self

    @property
    def business_account_id(self) -> str:
        return str(settings.WHATSAPP_BUSINESS_ACCOUNT_ID)

    def _templates_url(self) -> str:
        if not self.business_account_id:
            raise PermanentSendError(
                code="configuration",
                message="WHATSAPP_BUSINESS_ACCOUNT_ID non è impostato: i modelli non possono "
                "essere inviati a Meta.",
            )
        return f"{self._client().graph_url}/{self.business_account_id}/message_templates"

    def submit_template(self, definition: TemplateDefinition) -> RemoteTemplate:
        """Submit a template for review; Meta answers with its id, status and category."""
        from .errors import classify_error

        payload = {
            "name": definition.name,
            "language": definition.language,
            "category": definition.category.upper(),
            "components": template_components(definition),
        }
        response = self._client()._post(self._templates_url(), json=payload)
        if response.status_code >= 300:
            raise classify_error(response)
        data = response.json()
        return RemoteTemplate(
            provider_id=str(data.get("id") or ""),
            name=definition.name,
            language=definition.language,
            status=str(data.get("status") or "PENDING").upper(),
            category=str(data.get("category") or definition.category).upper(),
        )

    def list_templates(self) -> list[RemoteTemplate]:
        """Every template of the WABA, following Meta's paging."""
        from .errors import classify_error

        url: str | None = self._templates_url()
        params: dict[str, Any] | None = {
            "fields": "id,name,language,status,category,rejected_reason,quality_score",
            "limit": 100,
        }
        found: list[RemoteTemplate] = []
        while url:
            try:
                client = self._client()
                response = client.session.get(
                    url, headers=client._headers(), params=params, timeout=20
                )
            except requests.RequestException as exc:
                raise TransientSendError(code="network", message=str(exc)) from exc
            if response.status_code >= 300:
                raise classify_error(response)
            data = response.json()
            for item in data.get("data") or []:
                quality = item.get("quality_score") or {}
                found.append(
                    RemoteTemplate(
                        provider_id=str(item.get("id") or ""),
                        name=str(item.get("name") or ""),
                        language=str(item.get("language") or ""),
                        status=str(item.get("status") or "").upper(),
                        category=str(item.get("category") or "").upper(),
                        reason=str(item.get("rejected_reason") or ""),
                        quality=str(
                            quality.get("score", "") if isinstance(quality, dict) else quality
                        ).upper(),
                    )
                )
            # The "next" URL carries its own query.
            url = (data.get("paging") or {}).get("next")
            params = None
        return found

    def messaging_limit(self) -> tuple[bool, int | None]:
        """(known, limit) of the business portfolio, from the phone number's
        `whatsapp_business_manager_messaging_limit`; (False, None) when Meta does not say."""
        client = self._client()
        try:
            response = client.session.get(
                f"{client.graph_url}/{client.phone_number_id}",
                headers=client._headers(),
                params={"fields": "whatsapp_business_manager_messaging_limit"},
                timeout=20,
            )
        except requests.RequestException:
            return False, None
        if response.status_code >= 300:
            return False, None
        value = str(response.json().get("whatsapp_business_manager_messaging_limit") or "").upper()
        if value not in MESSAGING_LIMITS:
            return False, None
        return True, MESSAGING_LIMITS[value]
