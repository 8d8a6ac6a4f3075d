"""The fake Graph API's template management, reviewing like Meta: a submitted template is
PENDING, then APPROVED after SIMULATOR_TEMPLATE_REVIEW_SECONDS, announced by a signed
`message_template_status_update` webhook; one whose name starts with `rifiuta_` is REJECTED
(INVALID_FORMAT), so a trainer can show what a rejection looks like."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from .graph import GraphError
from .models import SimulatedTemplate
from .webhooks import SIMULATED_WABA_ID, webhook_post

REJECT_PREFIX = "rifiuta_"
CATEGORIES = {"MARKETING", "UTILITY", "AUTHENTICATION"}


def simulated_template_create(*, payload: Any) -> SimulatedTemplate:
    if not isinstance(payload, dict):
        raise GraphError("(#100) Invalid parameter", details="The body must be a JSON object.")
    missing = [
        key for key in ("name", "language", "category", "components") if not payload.get(key)
    ]
    if missing:
        raise GraphError(f"(#100) The parameter {missing[0]} is required.")
    category = str(payload["category"]).upper()
    if category not in CATEGORIES:
        raise GraphError("(#100) Invalid parameter", details=f"Unknown category {category!r}.")
    template = SimulatedTemplate.objects.create(
        template_id=str(uuid.uuid4().int)[:15],
        name=str(payload["name"]),
        language=str(payload["language"]),
        category=category,
        components=payload["components"],
    )
    transaction.on_commit(lambda: _review_later(template.pk))
    return template


# What the Resumable Upload API takes (graph-api/resumable-upload-api).
UPLOAD_TYPES = {"image/jpeg", "image/jpg", "image/png", "application/pdf", "video/mp4"}


def simulated_upload_session(*, file_length: str, file_type: str) -> str:
    if file_type not in UPLOAD_TYPES or not file_length.isdigit():
        raise GraphError("(#100) Invalid parameter", details="file_length and file_type")
    return f"upload:{uuid.uuid4().hex}"


def simulated_upload_handle(*, session: str, offset: str, content: bytes) -> str:
    """The handle of an uploaded header sample; the simulator keeps no copy (its templates
    are reviewed on their name, not their picture)."""
    if offset != "0" or not content:
        raise GraphError("(#100) Invalid parameter", details="file_offset must be 0")
    return f"4::{session.removeprefix('upload:')}:{len(content)}"


def simulated_template_edit(*, template_id: str, payload: Any) -> SimulatedTemplate:
    """Meta's `POST /{template-id}`: new components for an approved, rejected or paused
    template, reviewed again; an approved one keeps its category."""
    with transaction.atomic():
        template = (
            SimulatedTemplate.objects.select_for_update().filter(template_id=template_id).first()
        )
        if template is None:
            raise GraphError(
                f"Unsupported post request. Object with ID '{template_id}' does not exist.",
                code=100,
                error_type="GraphMethodException",
            )
        if not isinstance(payload, dict) or not payload.get("components"):
            raise GraphError("(#100) The parameter components is required.")
        if template.status not in ("APPROVED", "REJECTED", "PAUSED"):
            raise GraphError("(#100) Invalid parameter", details="This template cannot be edited.")
        category = str(payload.get("category") or template.category).upper()
        if template.status == "APPROVED" and category != template.category:
            raise GraphError("(#100) Invalid parameter", details="Category of approved template.")
        template.components = payload["components"]
        template.category = category
        template.status, template.rejected_reason = "PENDING", ""
        template.save(update_fields=["components", "category", "status", "rejected_reason"])
    transaction.on_commit(lambda: _review_later(template.pk))
    return template


def _review_later(template_pk: int) -> None:
    from django.conf import settings

    from .tasks import simulated_template_review

    simulated_template_review.apply_async(
        (template_pk,), countdown=float(settings.SIMULATOR_TEMPLATE_REVIEW_SECONDS)
    )


def simulated_template_review(*, template_pk: int) -> SimulatedTemplate | None:
    """Give the verdict and tell the product, as Meta's webhook does. Idempotent: a reviewed
    template is announced again (the product applies the same verdict once)."""
    with transaction.atomic():
        template = SimulatedTemplate.objects.select_for_update().filter(pk=template_pk).first()
        if template is None:
            return None
        if template.status == "PENDING":
            if template.name.startswith(REJECT_PREFIX):
                template.status, template.rejected_reason = "REJECTED", "INVALID_FORMAT"
            else:
                template.status = "APPROVED"
            template.save(update_fields=["status", "rejected_reason"])
    webhook_post(status_update_body(template))
    return template


def status_update_body(template: SimulatedTemplate) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": SIMULATED_WABA_ID,
                "changes": [
                    {
                        "field": "message_template_status_update",
                        "value": {
                            "event": template.status,
                            "message_template_id": int(template.template_id),
                            "message_template_name": template.name,
                            "message_template_language": template.language,
                            "message_template_category": template.category,
                            "reason": template.rejected_reason or "NONE",
                        },
                    }
                ],
            }
        ],
    }


def simulated_templates_list() -> list[dict[str, Any]]:
    return [
        {
            "id": t.template_id,
            "name": t.name,
            "language": t.language,
            "status": t.status,
            "category": t.category,
            "rejected_reason": t.rejected_reason or "NONE",
        }
        for t in SimulatedTemplate.objects.all()
    ]
