"""The provider administrator's writes: a comune from a preset, its WhatsApp number, its first
administrator. Each is audited (who, what; never a secret) and refuses what would hand one
comune's citizens or configuration to another."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from urp_portal.accounts.roles import Role
from urp_portal.accounts.staff import Invitation, staff_member_invite
from urp_portal.audit.services import audit_record
from urp_portal.audit.states import AuditAction
from urp_portal.core.errors import UserError
from urp_portal.municipality.models import Municipality, WhatsAppNumber
from urp_portal.municipality.services import (
    municipality_load_preset_for_number,
    whatsapp_number_bind,
)


def _user_error(error: ValidationError) -> UserError:
    return UserError(" ".join(error.messages), code=error.code or "invalid")


def provider_comune_create(
    *,
    actor: Any,
    preset: str,
    slug: str,
    name: str = "",
    display_number: str = "",
    phone_number_id: str,
    business_account_id: str = "",
    business_portfolio_id: str = "",
    access_token: str = "",
    app_secret: str = "",
) -> Municipality:
    """A new comune from a preset, bound to its WhatsApp number at once (a comune without a
    number is not served: nothing would reach it). An existing code is refused: loading a
    preset over a comune would replace its configuration."""
    if Municipality.objects.filter(slug=slug.strip()).exists():
        raise UserError(
            _("Esiste già un comune con il codice «%(slug)s».") % {"slug": slug},
            code="comune_exists",
        )
    try:
        with transaction.atomic():
            comune = municipality_load_preset_for_number(
                preset=preset,
                comune_slug=slug,
                phone_number_id=phone_number_id,
                business_account_id=business_account_id,
                business_portfolio_id=business_portfolio_id,
                access_token=access_token,
                app_secret=app_secret,
            )
            changed = []
            if name.strip():
                comune.name = name.strip()
                changed.append("name")
            if display_number.strip():
                comune.whatsapp_number = display_number.strip()
                changed.append("whatsapp_number")
            if changed:
                comune.full_clean()
                comune.save(update_fields=[*changed, "updated_at"])
    except ValidationError as error:
        raise _user_error(error) from error
    audit_record(
        actor=actor,
        action=AuditAction.ADMIN_ADDED,
        target=comune,
        details={
            "preset": preset,
            "phone_number_id": phone_number_id,
            "business_portfolio_id": business_portfolio_id,
        },
    )
    return comune


def provider_number_bind(
    *,
    actor: Any,
    comune: Municipality,
    phone_number_id: str,
    business_account_id: str = "",
    business_portfolio_id: str = "",
    access_token: str = "",
    app_secret: str = "",
) -> WhatsAppNumber:
    """Bind (or update) a comune's number; the token and the secret are sealed at rest and
    never shown back (an empty one keeps the stored one)."""
    try:
        number = whatsapp_number_bind(
            comune=comune,
            phone_number_id=phone_number_id,
            business_account_id=business_account_id,
            business_portfolio_id=business_portfolio_id,
            access_token=access_token,
            app_secret=app_secret,
        )
    except ValidationError as error:
        raise _user_error(error) from error
    audit_record(
        actor=actor,
        action=AuditAction.ADMIN_CHANGED,
        target=comune,
        details={
            "phone_number_id": number.phone_number_id,
            "business_portfolio_id": number.business_portfolio_id,
            "access_token_changed": bool(access_token),
            "app_secret_changed": bool(app_secret),
        },
    )
    return number


def provider_first_administrator_create(
    *,
    actor: Any,
    comune: Municipality,
    username: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> Invitation:
    """The comune's first administrator: a console account of that comune alone in the
    administrators' group, invited to set its password (accounts/staff.py, the same door by
    which the comune's administrators then invite their colleagues)."""
    return staff_member_invite(
        actor=actor,
        comune=comune,
        username=username,
        role=Role.ADMINISTRATOR,
        email=email,
        first_name=first_name,
        last_name=last_name,
    )
