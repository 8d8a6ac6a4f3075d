"""The message templates as the gateway and the other apps reach them (settings
.URP_TEMPLATE_CATALOGUE, see urp_portal/gateway/template_catalogue.py): a reply to a citizen
outside the 24-hour window, the provider's template webhooks."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from urp_portal.gateway.adapters.base import ParsedTemplateUpdate
from urp_portal.gateway.template_catalogue import ResolvedTemplate
from urp_portal.municipality.errors import UserError

from .models import MessageTemplate
from .services.template_review import message_template_apply_provider_update
from .services.templates import template_render
from .states import TemplateApproval


def template_update_apply(update: ParsedTemplateUpdate) -> bool:
    return message_template_apply_provider_update(update=update)


def _resolved(template: MessageTemplate, text: str = "") -> ResolvedTemplate:
    return ResolvedTemplate(
        id=template.pk,
        name=template.name,
        language=template.language,
        category=template.category,
        body=template.body,
        provider_id=template.provider_id,
        parameter_count=template.parameter_count,
        text=text,
        examples=[str(value) for value in template.examples or []],
        header_image=template.header_image.name if template.header_image else "",
    )


def template_resolve(*, name: str, language: str, parameters: Sequence[str]) -> ResolvedTemplate:
    """The approved template called `name`, its parameters checked and filled; a UserError
    saying what is wrong otherwise."""
    candidates = MessageTemplate.objects.filter(name=name)
    template = candidates.filter(language=language).first() if language else None
    if template is None:
        template = candidates.order_by("language").first()
    if template is None:
        raise UserError(
            _("Il modello «%(name)s» non esiste.") % {"name": name},
            code="template_unknown",
        )
    if template.approval_status != TemplateApproval.APPROVED:
        raise UserError(
            _("Il modello «%(name)s» non è utilizzabile: è «%(status)s».")
            % {
                "name": name,
                "status": TemplateApproval(template.approval_status).label,
            },
            code="template_not_approved",
        )
    text = template_render(body=template.body, parameters=[str(p) for p in parameters])
    return _resolved(template, text)


def templates_usable() -> list[ResolvedTemplate]:
    return [
        _resolved(template)
        for template in MessageTemplate.objects.filter(
            approval_status=TemplateApproval.APPROVED
        ).order_by("name", "language")
    ]
