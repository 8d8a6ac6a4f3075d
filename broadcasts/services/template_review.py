"""Templates reviewed by the provider: submitted from the product (Meta's
`POST /{WABA_ID}/message_templates`, Twilio's Content API), then followed from Meta's webhooks and
the periodic sync: approved, rejected with the reason, paused, disabled, moved to another
category, quality. A template the provider already holds is edited in place (Meta's
`POST /{template-id}`), within Meta's limits for an approved one; on Twilio, whose content items
cannot change, the edit is a new item with a new Content SID.

The provider's word is applied as it comes, except to a template whose text changed here since
(a draft again): a late verdict on the old text must not approve the new one."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from urp_portal.accounts.principals import actor_account
from urp_portal.gateway.adapters import get_adapter
from urp_portal.gateway.adapters.base import ParsedTemplateUpdate, SendError
from urp_portal.gateway.adapters.meta.templates import TemplateDefinition
from urp_portal.municipality.errors import UserError
from urp_portal.municipality.scope import current_comune

from ..models import MessageTemplate
from ..scoping import account_kwargs, template_account, waba_templates
from ..states import PROVIDER_TEMPLATE_STATUSES, TemplateApproval, TemplateCategory
from .templates import template_body_validate

logger = logging.getLogger(__name__)

SUBMITTABLE = {TemplateApproval.DRAFT, TemplateApproval.REJECTED}
# Meta edits only approved, rejected or paused templates (template-management).
EDITABLE_AT_PROVIDER = {"APPROVED", "REJECTED", "PAUSED"}


def _definition(template: MessageTemplate) -> TemplateDefinition:
    numbers = template_body_validate(template.body)
    examples = [str(value).strip() for value in template.examples or []]
    if len(examples) != len(numbers) or not all(examples):
        raise UserError(
            _("Indica un valore di esempio per ogni parametro (%(n)d): Meta li chiede.")
            % {"n": len(numbers)},
            code="template_examples",
        )
    return TemplateDefinition(
        name=template.name,
        language=template.language,
        category=template.category,
        body=template.body,
        examples=tuple(examples),
        footer=template.footer,
        quick_replies=tuple(str(text) for text in template.quick_replies or []),
        header_image=template.header_image or None,
    )


# Meta's limits on editing an approved template (templates/template-management, updated 21 May
# 2026): once in 24 hours, ten times in 30 days. Rejected and paused ones: no limit.
EDIT_LIMITS = ((dt.timedelta(hours=24), 1), (dt.timedelta(days=30), 10))


def _recent_edits(template: MessageTemplate, now: dt.datetime) -> list[dt.datetime]:
    times = [dt.datetime.fromisoformat(value) for value in template.approved_edits or []]
    return sorted(at for at in times if at > now - EDIT_LIMITS[-1][0])


def template_edit_check(*, template: MessageTemplate, category: str = "") -> None:
    """Refuse, before anything is saved or sent, an edit Meta would refuse: a template still in
    Meta's review, an approved one edited again too soon or moved to another category."""
    if not template.provider_id or not hasattr(get_adapter(), "edit_template"):
        return
    if template.provider_status in ("PENDING", "IN_APPEAL"):
        raise UserError(
            _(
                "Meta sta ancora esaminando questo modello: si potrà modificare dopo il suo "
                "verdetto."
            ),
            code="template_in_review",
        )
    if template.provider_status != "APPROVED":
        return
    if category and category != template.category:
        raise UserError(
            _(
                "La categoria di un modello approvato da Meta non si cambia: crea un nuovo "
                "modello con un altro nome."
            ),
            code="template_category_locked",
        )
    now = timezone.now()
    edits = _recent_edits(template, now)
    for window, limit in EDIT_LIMITS:
        inside = [at for at in edits if at > now - window]
        if len(inside) >= limit:
            next_at = timezone.localtime(inside[-limit] + window)
            raise UserError(
                _(
                    "Meta consente di modificare un modello approvato una volta ogni 24 ore e "
                    "10 volte in 30 giorni: la prossima modifica è possibile dal %(when)s."
                )
                % {"when": next_at.strftime("%d/%m/%Y %H:%M")},
                code="template_edit_limit",
            )


def message_template_submit(*, template_id: int, actor: Any) -> MessageTemplate:
    """Send a draft (or a rejected template, corrected) to the provider for review; it is
    pending until the provider's verdict arrives."""
    adapter = get_adapter()
    submit = getattr(adapter, "submit_template", None)
    if submit is None:
        raise UserError(
            _(
                "Il gateway configurato non riceve i modelli dal prodotto: crealo presso il "
                "fornitore e indica qui il suo identificativo."
            ),
            code="template_submit_unsupported",
        )
    with transaction.atomic():
        template = MessageTemplate.objects.select_for_update().get(pk=template_id)
        if template.approval_status not in SUBMITTABLE:
            raise UserError(
                _("Un modello «%(status)s» non si invia in revisione.")
                % {"status": TemplateApproval(template.approval_status).label},
                code="template_transition",
            )
        definition = _definition(template)
        edit = getattr(adapter, "edit_template", None)
        editing = bool(
            edit and template.provider_id and template.provider_status in EDITABLE_AT_PROVIDER
        )
        was_approved = template.provider_status == "APPROVED"
        if editing:
            template_edit_check(template=template)
        # Its comune's WABA, with its token (the deployment's for the active comune's).
        account = template_account(template)
        try:
            if edit is not None and editing:
                remote = edit(
                    template.provider_id,
                    definition,
                    with_category=not was_approved,
                    **account_kwargs(edit, account),
                )
            else:
                remote = submit(definition, **account_kwargs(submit, account))
        except SendError as error:
            raise UserError(
                _("Il fornitore non ha accettato il modello: %(reason)s")
                % {"reason": error.message},
                code="template_submit_refused",
            ) from error
        now = timezone.now()
        template.provider_id = remote.provider_id
        template.provider_status = remote.status
        template.approval_status = PROVIDER_TEMPLATE_STATUSES.get(
            remote.status, TemplateApproval.PENDING
        )
        template.rejection_reason = ""
        template.status_changed_at = now
        template.status_changed_by = actor_account(actor)
        template.synced_at = now
        template.submitted_at = now
        template.submitted_content = {
            "body": definition.body,
            "examples": list(definition.examples),
            "footer": definition.footer,
            "quick_replies": list(definition.quick_replies),
            "header_image": str(template.header_image.name) if template.header_image else "",
            "category": definition.category,
            "edit": editing,
        }
        fields = [
            "provider_id",
            "provider_status",
            "approval_status",
            "rejection_reason",
            "status_changed_at",
            "status_changed_by",
            "synced_at",
            "submitted_at",
            "submitted_content",
        ]
        if editing and was_approved:
            kept = [at.isoformat() for at in _recent_edits(template, now)]
            template.approved_edits = [*kept, now.isoformat()]
            fields.append("approved_edits")
        category = remote.category.lower()
        if category in TemplateCategory.values and category != template.category:
            # Meta may categorise it otherwise at once (allow_category_change).
            template.previous_category = template.category
            template.category = category
            fields += ["previous_category", "category"]
        template.save(update_fields=[*fields, "updated_at"])
    return template


def _find(update: ParsedTemplateUpdate) -> MessageTemplate | None:
    # In a comune's scope (its periodic sync): its templates. A webhook (no scope): the
    # templates of the WABA it came from, so the same name in another comune is left alone.
    if current_comune() is not None:
        templates = MessageTemplate.objects.select_for_update()
    else:
        templates = MessageTemplate.all_comuni.select_for_update().filter(
            waba_templates(update.business_account_id)
        )
    if update.provider_id:
        found = templates.filter(provider_id=update.provider_id).first()
        if found is not None:
            return found
    if update.name:
        candidates = templates.filter(name=update.name)
        # Meta writes locales ("it", "en_US"); ours are "it", "en".
        for language in (update.language, update.language.split("_")[0]):
            found = candidates.filter(language=language).first()
            if found is not None:
                return found
    return None


@transaction.atomic
def message_template_apply_provider_update(*, update: ParsedTemplateUpdate) -> bool:
    """Apply what the provider says about one template. False when no template matches."""
    template = _find(update)
    if template is None:
        return False
    now = timezone.now()
    fields = ["synced_at"]
    template.synced_at = now
    if update.provider_id and update.provider_id != template.provider_id:
        template.provider_id = update.provider_id
        fields.append("provider_id")
    if update.kind == "status" and update.status and update.status != template.provider_status:
        template.provider_status = update.status[:20]
        fields.append("provider_status")
    if update.kind == "status":
        status = PROVIDER_TEMPLATE_STATUSES.get(update.status)
        if status is None:
            logger.info("template %s: provider status %r not followed", template.pk, update.status)
        elif template.approval_status == TemplateApproval.DRAFT:
            logger.info("template %s changed here since; %s ignored", template.pk, update.status)
        elif status != template.approval_status or update.reason != template.rejection_reason:
            template.approval_status = status
            template.rejection_reason = (
                update.reason[:500] if status == TemplateApproval.REJECTED else ""
            )
            template.status_changed_at = now
            template.status_changed_by = None
            fields += ["approval_status", "rejection_reason", "status_changed_at"]
            fields.append("status_changed_by")
    if update.kind in ("status", "category") and update.category:
        category = update.category.lower()
        if category in TemplateCategory.values and category != template.category:
            template.previous_category = template.category
            template.category = category
            fields += ["previous_category", "category"]
    if update.kind == "quality" and update.quality:
        template.quality = update.quality[:10]
        fields.append("quality")
    template.save(update_fields=[*fields, "updated_at"])
    return True
