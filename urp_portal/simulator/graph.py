"""The fake Graph API's rules: what a `POST /{phone-number-id}/messages` body must hold, and
errors shaped like Meta's (developers.facebook.com/docs/graph-api/guides/error-handling)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
MESSAGE_TYPES = ("text", "template", *MEDIA_TYPES)
# Meta's wa_id: the number's digits, country code first, no "+".
_WA_NUMBER = re.compile(r"^\+?\d{8,15}$")


class GraphError(Exception):
    """An answer the fake Graph API gives instead of a result, with Meta's body shape."""

    def __init__(
        self,
        message: str,
        *,
        code: int = 100,
        status: int = 400,
        details: str = "",
        error_type: str = "OAuthException",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.details = details
        self.error_type = error_type

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.error_type,
            "code": self.code,
            "fbtrace_id": f"SIM{uuid.uuid4().hex[:20]}",
        }
        if self.details:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        return {"error": error}


def invalid_parameter(details: str) -> GraphError:
    return GraphError("(#100) Invalid parameter", code=100, details=details)


@dataclass(frozen=True)
class SendRequest:
    """A valid send request, as the simulator keeps it."""

    to: str  # E.164 with "+"
    to_input: str  # as the caller wrote it, echoed in contacts[].input
    kind: str
    body: str = ""
    media_id: str = ""
    media_link: str = ""
    filename: str = ""
    is_voice: bool = False


def _template_text(template: dict[str, Any]) -> str:
    """A readable stand-in for a template: the simulator does not know the approved texts."""
    parameters = [
        str(parameter.get("text", ""))
        for component in template.get("components") or []
        if isinstance(component, dict)
        for parameter in component.get("parameters") or []
        if isinstance(parameter, dict)
    ]
    language = (template.get("language") or {}).get("code", "")
    text = f"[modello «{template['name']}» ({language})]"
    return f"{text} {' · '.join(parameters)}" if parameters else text


def send_request_parse(payload: Any) -> SendRequest:
    """The send request in `payload`, or the GraphError Meta would answer."""
    if not isinstance(payload, dict):
        raise invalid_parameter("The request body must be a JSON object.")
    if payload.get("messaging_product") != "whatsapp":
        raise GraphError(
            "(#100) The parameter messaging_product is required.",
            details="messaging_product must be 'whatsapp'.",
        )
    to_input = payload.get("to")
    if not isinstance(to_input, str) or not to_input:
        raise GraphError("(#100) The parameter to is required.")
    if not _WA_NUMBER.match(to_input.replace(" ", "")):
        raise invalid_parameter(f"Param to is not a valid phone number: {to_input!r}.")
    to = "+" + to_input.replace(" ", "").lstrip("+")
    kind = payload.get("type", "text")
    if kind not in MESSAGE_TYPES:
        raise invalid_parameter(f"Param type must be one of {{{', '.join(MESSAGE_TYPES)}}}.")
    content = payload.get(kind)
    if not isinstance(content, dict):
        raise GraphError(f"(#100) The parameter {kind} is required.")

    if kind == "text":
        body = content.get("body")
        if not isinstance(body, str) or not body.strip():
            raise GraphError("(#100) The parameter text['body'] is required.")
        if len(body) > 4096:
            raise invalid_parameter("Param text['body'] must be at most 4096 characters long.")
        return SendRequest(to=to, to_input=to_input, kind=kind, body=body)
    if kind == "template":
        if not isinstance(content.get("name"), str) or not content["name"]:
            raise GraphError("(#100) The parameter template['name'] is required.")
        if not isinstance(content.get("language"), dict) or not content["language"].get("code"):
            raise GraphError("(#100) The parameter template['language'] is required.")
        return SendRequest(to=to, to_input=to_input, kind=kind, body=_template_text(content))

    media_id = str(content.get("id") or "")
    link = str(content.get("link") or "")
    if bool(media_id) == bool(link):
        raise invalid_parameter(f"Param {kind} must have exactly one of 'id' or 'link'.")
    if link and not link.startswith(("http://", "https://")):
        raise invalid_parameter(f"Param {kind}['link'] must be an http(s) URL.")
    caption = content.get("caption") or ""
    if caption and kind in ("audio", "sticker"):
        raise invalid_parameter(f"Param {kind} does not take a caption.")
    return SendRequest(
        to=to,
        to_input=to_input,
        kind=kind,
        body=str(caption),
        media_id=media_id,
        media_link=link,
        filename=str(content.get("filename") or ""),
    )
