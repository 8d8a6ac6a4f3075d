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

A header image is uploaded first with the Graph API's Resumable Upload API (`POST /{app-id}/uploads`
then `POST /upload:{session}` with the bytes; the answer's `h` is the handle), and the handle goes
in the header's `example.header_handle` (templates/template-media, updated 21 May 2026;
graph-api/resumable-upload-api). An approved, rejected or paused template is edited in place with
`POST /{template-id}` and its components (templates/template-management, updated 21 May 2026:
an approved template at most once in 24 hours and 10 times in 30 days, its category unchanged).

Many comuni (issue #24): a template lives in a WhatsApp Business Account. Each call takes the
comune's `account` (gateway/numbers.py SendingNumber: its number, WABA and token); None is the
deployment's own (WHATSAPP_BUSINESS_ACCOUNT_ID, WHATSAPP_ACCESS_TOKEN), as with one comune. A
comune's number without a WABA id is refused rather than sent to the deployment's WABA.
"""

from __future__ import annotations

import mimetypes
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
    # The header image as stored (a File: `name`, `size`, `open()`), or None.
    header_image: Any = None


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


def template_components(
    definition: TemplateDefinition, *, header_handle: str = ""
) -> list[dict[str, Any]]:
    """The `components` of a template creation request: the header image by the handle of its
    upload, the body with one example value per numbered parameter (Meta refuses a body with
    parameters and no example), the footer, the quick-reply buttons."""
    components: list[dict[str, Any]] = []
    if header_handle:
        components.append(
            {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": [header_handle]}}
        )
    body: dict[str, Any] = {"type": "BODY", "text": definition.body}
    if _PLACEHOLDER.search(definition.body):
        body["example"] = {"body_text": [list(definition.examples)]}
    components.append(body)
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

    def _waba(self, account: Any = None) -> str:
        if account is not None:
            if not account.business_account_id:
                raise PermanentSendError(
                    code="configuration",
                    message="Il numero di questo comune non ha l'id del suo account WhatsApp "
                    "Business (WABA): i suoi modelli non possono essere inviati a Meta.",
                )
            return str(account.business_account_id)
        if not self.business_account_id:
            raise PermanentSendError(
                code="configuration",
                message="WHATSAPP_BUSINESS_ACCOUNT_ID non è impostato: i modelli non possono "
                "essere inviati a Meta.",
            )
        return self.business_account_id

    @staticmethod
    def _token(account: Any = None) -> str:
        """The comune's token ("": the deployment's, which _headers puts in)."""
        return str(getattr(account, "access_token", "") or "")

    def _templates_url(self, account: Any = None) -> str:
        return f"{self._client().graph_url}/{self._waba(account)}/message_templates"

    @property
    def app_id(self) -> str:
        return str(getattr(settings, "WHATSAPP_APP_ID", "") or "")

    def upload_header_sample(self, image: Any, *, account: Any = None) -> str:
        """Upload a template's header image with the Resumable Upload API; its handle."""
        from .errors import classify_error

        if not self.app_id:
            raise PermanentSendError(
                code="configuration",
                message="WHATSAPP_APP_ID non è impostato: l'immagine di intestazione di un "
                "modello si carica presso l'app di Meta, che va indicata.",
            )
        client = self._client()
        name = str(image.name).rsplit("/", 1)[-1]
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        with image.open("rb") as handle:
            content = handle.read()
        # The token travels in the Authorization header, never in the query string (logs).
        session = client._post(
            f"{client.graph_url}/{self.app_id}/uploads",
            token=self._token(account),
            params={"file_name": name, "file_length": len(content), "file_type": mime},
        )
        if session.status_code >= 300:
            raise classify_error(session)
        session_id = str(session.json().get("id") or "")
        if not session_id.startswith("upload:"):
            raise PermanentSendError(code="response", message=f"upload session: {session.text}")
        # This call wants "OAuth <token>" and the offset as a header (resumable-upload-api).
        uploaded = client.session.post(
            f"{client.graph_url}/{session_id}",
            headers={
                "Authorization": f"OAuth {self._token(account) or settings.WHATSAPP_ACCESS_TOKEN}",
                "file_offset": "0",
            },
            data=content,
            timeout=(5, 60),
        )
        if uploaded.status_code >= 300:
            raise classify_error(uploaded)
        handle_value = str(uploaded.json().get("h") or "")
        if not handle_value:
            raise PermanentSendError(code="response", message=f"upload: {uploaded.text[:200]}")
        return handle_value

    def _components(
        self, definition: TemplateDefinition, account: Any = None
    ) -> list[dict[str, Any]]:
        image = definition.header_image
        handle = self.upload_header_sample(image, account=account) if image else ""
        return template_components(definition, header_handle=handle)

    def edit_template(
        self,
        provider_id: str,
        definition: TemplateDefinition,
        *,
        with_category: bool,
        account: Any = None,
    ) -> RemoteTemplate:
        """Replace an approved, rejected or paused template's components (`POST /{id}`); it
        goes back to review. An approved template keeps its category (Meta refuses a change)."""
        from .errors import classify_error

        payload: dict[str, Any] = {"components": self._components(definition, account)}
        if with_category:
            payload["category"] = definition.category.upper()
        client = self._client()
        response = client._post(
            f"{client.graph_url}/{provider_id}", token=self._token(account), json=payload
        )
        if response.status_code >= 300:
            raise classify_error(response)
        data = response.json()
        return RemoteTemplate(
            provider_id=str(data.get("id") or provider_id),
            name=definition.name,
            language=definition.language,
            status=str(data.get("status") or "PENDING").upper(),
            category=str(data.get("category") or definition.category).upper(),
        )

    def submit_template(
        self, definition: TemplateDefinition, *, account: Any = None
    ) -> RemoteTemplate:
        """Submit a template for review; Meta answers with its id, status and category."""
        from .errors import classify_error

        payload = {
            "name": definition.name,
            "language": definition.language,
            "category": definition.category.upper(),
            "components": self._components(definition, account),
        }
        url = self._templates_url(account)
        response = self._client()._post(url, token=self._token(account), json=payload)
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

    def list_templates(self, *, account: Any = None) -> list[RemoteTemplate]:
        """Every template of the WABA, following Meta's paging."""
        from .errors import classify_error

        url: str | None = self._templates_url(account)
        token = self._token(account)
        params: dict[str, Any] | None = {
            "fields": "id,name,language,status,category,rejected_reason,quality_score",
            "limit": 100,
        }
        found: list[RemoteTemplate] = []
        while url:
            try:
                client = self._client()
                response = client.session.get(
                    url, headers=client._headers(token), params=params, timeout=20
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

    def messaging_limit(self, *, account: Any = None) -> tuple[bool, int | None]:
        """(known, limit) of the business portfolio, from the phone number's
        `whatsapp_business_manager_messaging_limit` (the comune's number with its token, or the
        deployment's); (False, None) when Meta does not say."""
        client = self._client()
        phone_number_id = getattr(account, "phone_number_id", "") or client.phone_number_id
        try:
            response = client.session.get(
                f"{client.graph_url}/{phone_number_id}",
                headers=client._headers(self._token(account)),
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
