"""The message templates, as the ground sees them: the gateway imports no app, so the app that
keeps the templates (broadcasts) is named in settings.URP_TEMPLATE_CATALOGUE and loaded by name,
like the inbound pipeline's steps.

The catalogue module provides:
- `template_update_apply(update: ParsedTemplateUpdate) -> bool`: a provider's word on a template
  (webhook or sync); False when no template of ours matches.
- `template_resolve(*, name, language, parameters) -> ResolvedTemplate`: the template a message
  may be sent with, or a UserError saying why not (unknown, not approved, wrongly filled).
- `templates_usable() -> list[ResolvedTemplate]`: the approved templates, for a reply box.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import import_module
from types import ModuleType

from django.conf import settings

from .adapters.base import ParsedTemplateUpdate


@dataclass(frozen=True)
class ResolvedTemplate:
    """An approved template and what sending it needs."""

    id: int
    name: str
    language: str
    category: str
    body: str
    provider_id: str = ""
    parameter_count: int = 0
    # The body with its parameters filled (empty when no parameters were given).
    text: str = ""
    examples: list[str] = field(default_factory=list)
    # The header image as stored (a storage name), or "": a template with an image header is
    # sent with the image, or Meta refuses it.
    header_image: str = ""


def _catalogue() -> ModuleType:
    return import_module(settings.URP_TEMPLATE_CATALOGUE)


def template_update_apply(update: ParsedTemplateUpdate) -> bool:
    return bool(_catalogue().template_update_apply(update))


def template_resolve(*, name: str, language: str, parameters: Sequence[str]) -> ResolvedTemplate:
    resolved: ResolvedTemplate = _catalogue().template_resolve(
        name=name, language=language, parameters=parameters
    )
    return resolved


def templates_usable() -> list[ResolvedTemplate]:
    return list(_catalogue().templates_usable())
