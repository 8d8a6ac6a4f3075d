"""Who works for a comune (issue #24): its administrators manage their comune's staff, the
provider's administrators any comune's. Every write is audited (who, which account, which comune).

An account's comuni are its StaffMembership rows; an account with none works for the active
comune (request_scope.py). Two consequences shape these services:
- an account's roles are its groups, the same in each of its comuni, so a comune's
  administrator changes the role of an account that works for their comune alone; one shared
  with other comuni (a help desk) is the provider's to change;
- removing an account's last membership would leave it with none, that is working for the
  active comune: so the account is deactivated instead (it signs in no more; re-adding it is
  the provider's or the deployment's), never handed to another comune by a removal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from urp_portal.audit.services import audit_record
from urp_portal.audit.states import AuditAction
from urp_portal.core.errors import UserError
from urp_portal.municipality.models import Municipality

from .models import StaffMembership
from .roles import GROUP_NAMES, Role
from .selectors import comune_staff_queryset, other_comuni_of


@dataclass(frozen=True)
class Invitation:
    user: Any
    # The path of the one-time page where the person sets their password (the account has
    # none until then); it stops working once used.
    path: str


def invitation_path(user: Any) -> str:
    # The invitation page is the provider's (opened before signing in, urp_portal/provider/).
    return reverse(
        "provider:invitation",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


def _role_groups() -> dict[str, Group]:
    by_name = {g.name: g for g in Group.objects.filter(name__in=GROUP_NAMES.values())}
    return {role: by_name[name] for role, name in GROUP_NAMES.items()}


def _locked_member(*, comune: Municipality, user_id: int) -> Any:
    """The account, locked for the change, if it still works for `comune` (it may have been
    removed meanwhile by another administrator)."""
    user = get_user_model().objects.select_for_update().filter(pk=user_id).first()
    if user is None or not comune_staff_queryset(comune=comune).filter(pk=user_id).exists():
        raise UserError(_("L'account non fa parte del personale di questo comune."))
    return user


@transaction.atomic
def staff_member_invite(
    *,
    actor: Any,
    comune: Municipality,
    username: str,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> Invitation:
    """A new console account of `comune` alone (StaffMembership) in `role`'s group, with no
    password: the person sets it from the invitation link (then, as an administrator or a
    moderator, enrols the second factor at the first sign-in)."""
    users = get_user_model()
    username = username.strip()
    if not username:
        raise UserError(_("Indica il nome utente."), code="username_missing")
    if role not in GROUP_NAMES:
        raise UserError(_("Scegli un ruolo."), code="role_unknown")
    if users.objects.filter(username__iexact=username).exists():
        raise UserError(
            _("Il nome utente «%(username)s» è già usato.") % {"username": username},
            code="username_taken",
        )
    user = users(
        username=username,
        email=email.strip(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        is_staff=True,
    )
    user.set_unusable_password()
    user.save()
    user.groups.add(_role_groups()[role])
    StaffMembership.objects.create(user=user, comune=comune)
    audit_record(
        actor=actor,
        action=AuditAction.ADMIN_ADDED,
        target=user,
        details={"comune": comune.slug, "role": role},
    )
    return Invitation(user=user, path=invitation_path(user))


def invitation_email_send(*, invitation: Invitation, comune: Municipality, link: str) -> bool:
    """The invitation link by email, when the account has an address (the page shows it too)."""
    user = invitation.user
    if not user.email:
        return False
    roles = ", ".join(user.groups.values_list("name", flat=True))
    send_mail(
        _("URP Portal: il suo account per %(name)s") % {"name": comune.name},
        _(
            "Le è stato creato un account di %(name)s su URP Portal (%(roles)s), nome utente "
            "%(username)s. Scelga la password da qui (il collegamento vale una sola volta):"
            "\n\n%(link)s\n"
        )
        % {"name": comune.name, "roles": roles, "username": user.username, "link": link},
        None,
        [user.email],
    )
    return True


@transaction.atomic
def staff_member_add(*, actor: Any, comune: Municipality, username: str) -> Any:
    """An existing account of the deployment joins `comune`'s staff (with the roles it has).
    An account of no comune worked for the active comune: it keeps doing so (a membership of
    the active comune beside the new one), rather than being taken from it."""
    username = username.strip()
    user = (
        get_user_model()
        .objects.select_for_update()
        .filter(username__iexact=username, is_active=True, is_staff=True)
        .first()
    )
    if user is None:
        raise UserError(
            _("Nessun account attivo con il nome utente «%(username)s».") % {"username": username},
            code="username_unknown",
        )
    if comune_staff_queryset(comune=comune).filter(pk=user.pk).exists():
        raise UserError(
            _("«%(username)s» fa già parte del personale di %(name)s.")
            % {"username": user.username, "name": comune.name},
            code="already_member",
        )
    memberships = [StaffMembership(user=user, comune=comune)]
    if not StaffMembership.objects.filter(user=user).exists() and not user.is_superuser:
        active = Municipality.objects.filter(is_active=True).exclude(pk=comune.pk).first()
        if active is not None:
            memberships.append(StaffMembership(user=user, comune=active))
    StaffMembership.objects.bulk_create(memberships)
    audit_record(
        actor=actor,
        action=AuditAction.ADMIN_ADDED,
        target=user,
        details={"comune": comune.slug, "existing_account": True},
    )
    return user


@transaction.atomic
def staff_member_role_set(
    *, actor: Any, comune: Municipality, user_id: int, role: str, by_provider: bool = False
) -> Any:
    """The account's role becomes `role` (one of the five; other groups, such as the
    provider's, stay). Its roles count in each of its comuni: one shared with other comuni is
    changed by the provider's administrator only (`by_provider`)."""
    if role not in GROUP_NAMES:
        raise UserError(_("Scegli un ruolo."), code="role_unknown")
    user = _locked_member(comune=comune, user_id=user_id)
    elsewhere = other_comuni_of(user=user, comune=comune)
    if elsewhere and not by_provider:
        raise UserError(
            _(
                "L'account lavora anche per %(comuni)s e il ruolo vale per tutti: lo cambia "
                "l'amministratore del fornitore."
            )
            % {"comuni": ", ".join(elsewhere)},
            code="shared_account",
        )
    if user.pk == actor.pk and role != Role.ADMINISTRATOR:
        raise UserError(
            _("Non può togliere a sé stesso il ruolo di amministratore: lo faccia un collega."),
            code="self_demotion",
        )
    groups = _role_groups()
    before = sorted(
        user.groups.filter(name__in=GROUP_NAMES.values()).values_list("name", flat=True)
    )
    user.groups.remove(*groups.values())
    user.groups.add(groups[role])
    audit_record(
        actor=actor,
        action=AuditAction.ADMIN_CHANGED,
        target=user,
        details={"comune": comune.slug, "role": role, "groups_before": before},
    )
    return user


@transaction.atomic
def staff_member_remove(*, actor: Any, comune: Municipality, user_id: int) -> tuple[Any, bool]:
    """The account no longer works for `comune`: its membership goes. An account left with no
    comune is deactivated (with none it would work for the active comune). Returns the account
    and whether it was deactivated."""
    user = _locked_member(comune=comune, user_id=user_id)
    if user.pk == actor.pk:
        raise UserError(
            _("Non può togliere sé stesso dal personale: lo faccia un collega."),
            code="self_removal",
        )
    StaffMembership.objects.filter(user=user, comune=comune).delete()
    deactivated = not StaffMembership.objects.filter(user=user).exists()
    if deactivated:
        user.is_active = False
        user.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action=AuditAction.ADMIN_DELETED,
        target=user,
        details={"comune": comune.slug, "deactivated": deactivated},
    )
    return user, deactivated
