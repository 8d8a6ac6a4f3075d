"""Message templates: rendering exactly as the citizen reads it, approval, provider sync."""

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from urp_portal.accounts.principals import actor_account
from urp_portal.gateway.adapters import get_adapter
from urp_portal.gateway.numbers import sending_number_for
from urp_portal.municipality.errors import UserError
from urp_portal.municipality.scope import current_comune, current_comune_id

from ..models import PARAMETER_PATTERN, MessageTemplate
from ..scoping import account_kwargs
from ..states import TEMPLATE_TRANSITIONS, TemplateApproval, TemplateCategory

logger = logging.getLogger(__name__)


def _placeholders(numbers: Iterable[int]) -> str:
    return ", ".join(f"{{{{{n}}}}}" for n in numbers)


def template_body_validate(body: str) -> list[int]:
    """The body's parameter numbers, refusing gaps: WhatsApp numbers them 1, 2, 3 ..."""
    numbers = sorted({int(n) for n in PARAMETER_PATTERN.findall(body)})
    expected = list(range(1, len(numbers) + 1))
    if numbers != expected:
        raise UserError(
            _("I parametri devono essere numerati di seguito da {{1}}: trovati %(found)s.")
            % {"found": _placeholders(numbers)},
            code="template_parameters_gap",
        )
    return numbers


def template_render(*, body: str, parameters: Sequence[str]) -> str:
    """The body with its parameters filled, exactly as the citizen will read it. Refuses a
    missing or empty value, and values given for parameters the body does not have."""
    numbers = template_body_validate(body)
    values = [str(value).strip() for value in parameters]
    missing = [n for n in numbers if n > len(values) or not values[n - 1]]
    if missing:
        raise UserError(
            _("Manca il valore del parametro %(which)s.") % {"which": _placeholders(missing)},
            code="template_parameter_missing",
            details={"missing": missing},
        )
    if len(values) > len(numbers):
        raise UserError(
            _("Il modello ha %(expected)d parametri, ne sono stati indicati %(given)d.")
            % {"expected": len(numbers), "given": len(values)},
            code="template_parameter_extra",
        )
    # WhatsApp rejects a parameter with a newline, a tab or more than four spaces in a row.
    for n in numbers:
        value = values[n - 1]
        if "\n" in value or "\t" in value or "     " in value:
            raise UserError(
                _(
                    "Il parametro {{%(n)d}} non può contenere a capo, tabulazioni o più di "
                    "quattro spazi di seguito."
                )
                % {"n": n},
                code="template_parameter_format",
            )
    return PARAMETER_PATTERN.sub(lambda match: values[int(match.group(1)) - 1], body)


def message_template_create(
    *,
    name: str,
    body: str,
    language: str = "it",
    category: str = TemplateCategory.UTILITY,
    approval_status: str = TemplateApproval.DRAFT,
    examples: Sequence[str] = (),
    footer: str = "",
    quick_replies: Sequence[str] = (),
    actor: Any = None,
) -> MessageTemplate:
    """A new template. Only an administrator may create it already approved (a template
    approved outside the product); a draft is submitted to the provider for review after
    commit, where the gateway takes templates (the task leaves it a draft, with the reason in
    the log, when the provider refuses it or an example is missing)."""
    template_body_validate(body)
    if approval_status != TemplateApproval.DRAFT:
        _require_template_approver(actor)
    template = MessageTemplate(
        name=name,
        body=body,
        language=language,
        category=category,
        approval_status=approval_status,
        examples=[str(value) for value in examples],
        footer=footer,
        quick_replies=[str(value) for value in quick_replies],
        # The scope's comune before full_clean, so its name is checked among its templates.
        comune_id=current_comune_id(),
    )
    if approval_status != TemplateApproval.DRAFT:
        template.status_changed_at = timezone.now()
        template.status_changed_by = actor_account(actor)
    template.full_clean()
    template.save()
    if approval_status == TemplateApproval.DRAFT and hasattr(get_adapter(), "submit_template"):
        transaction.on_commit(lambda: _submit_later(template.pk, actor), robust=True)
    return template


def _submit_later(template_id: int, actor: Any) -> None:
    from ..tasks import message_template_submit_task

    # The account behind a session or a token (None for a token of the comune's systems).
    account = actor_account(actor)
    message_template_submit_task.delay(template_id, account.pk if account else None)


def message_template_text_changed(*, template: MessageTemplate) -> None:
    """The admin saved a new text, header, footer or buttons for a template the provider has
    seen: WhatsApp reviews every change, so it is a draft again until it is sent. The provider's
    id stays: Meta edits that same template (`POST /{template-id}`) rather than a new one."""
    template_body_validate(template.body)
    if template.approval_status != TemplateApproval.DRAFT:
        template.approval_status = TemplateApproval.DRAFT


@transaction.atomic
def message_template_set_status(
    *, template_id: int, status: str, actor: Any, reason: str = ""
) -> MessageTemplate:
    template = MessageTemplate.objects.select_for_update().get(pk=template_id)
    if status == template.approval_status:
        return template
    if status not in TEMPLATE_TRANSITIONS[template.approval_status]:
        raise UserError(
            _("Un modello «%(from)s» non può diventare «%(to)s».")
            % {
                "from": TemplateApproval(template.approval_status).label,
                "to": TemplateApproval(status).label,
            },
            code="template_transition",
        )
    if status in (TemplateApproval.APPROVED, TemplateApproval.REJECTED):
        _require_template_approver(actor)
    template.approval_status = status
    template.rejection_reason = reason if status == TemplateApproval.REJECTED else ""
    template.status_changed_at = timezone.now()
    template.status_changed_by = actor_account(actor)
    template.save(
        update_fields=[
            "approval_status",
            "rejection_reason",
            "status_changed_at",
            "status_changed_by",
            "updated_at",
        ]
    )
    return template


def _require_template_approver(actor: Any) -> None:
    if actor is None or not actor.has_perm("broadcasts.approve_messagetemplate"):
        raise UserError(
            _("Solo un amministratore può approvare o rifiutare un modello."),
            code="permission_denied",
        )


def _field(item: Any, name: str) -> Any:
    if isinstance(item, dict):
        return item.get(name)
    return getattr(item, name, None)


def _provider_templates() -> list[Any] | None:
    """What the provider says of our templates: Meta lists the WABA's; Twilio answers for each
    content item we name (its list would bring every item of the account)."""
    adapter = get_adapter()
    list_templates = getattr(adapter, "list_templates", None)
    if list_templates is not None:
        # The running comune's WABA, with its token (outside a scope: the deployment's).
        comune = current_comune()
        account = sending_number_for(comune.pk) if comune is not None else None
        return list(list_templates(**account_kwargs(list_templates, account)))
    template_statuses = getattr(adapter, "template_statuses", None)
    if template_statuses is None:
        return None
    followed = (
        MessageTemplate.objects.exclude(provider_id="")
        .exclude(approval_status=TemplateApproval.DRAFT)
        .values_list("provider_id", flat=True)
    )
    return list(template_statuses(list(followed)))


def template_sync_statuses() -> int | None:
    """Ask the gateway for its templates (status, category, quality) and apply what changed.
    Returns how many templates of ours it matched, or None when the adapter cannot say."""
    from urp_portal.gateway.adapters.base import ParsedTemplateUpdate

    from .template_review import message_template_apply_provider_update

    items = _provider_templates()
    if items is None:
        return None
    matched = 0
    for item in items:
        status = str(_field(item, "status") or "").upper()
        update = ParsedTemplateUpdate(
            kind="status",
            provider_id=str(_field(item, "provider_id") or _field(item, "id") or ""),
            name=str(_field(item, "name") or ""),
            language=str(_field(item, "language") or "it"),
            status=status,
            reason=str(_field(item, "reason") or _field(item, "rejected_reason") or ""),
            category=str(_field(item, "category") or "").upper(),
        )
        if not update.name or not status:
            logger.warning("Template not understood: %r", item)
            continue
        if message_template_apply_provider_update(update=update):
            matched += 1
        quality = str(_field(item, "quality") or "")
        if quality:
            message_template_apply_provider_update(
                update=ParsedTemplateUpdate(
                    kind="quality",
                    provider_id=update.provider_id,
                    name=update.name,
                    language=update.language,
                    quality=quality,
                )
            )
    return matched
