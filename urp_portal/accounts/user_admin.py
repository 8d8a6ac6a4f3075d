"""Django's own user admin (`/admin/auth/user/`) on a deployment of several comuni (issue #24).

Administrators hold every auth.user permission (roles.py), so without this a comune's
administrator would list, edit, re-password and delete the accounts of every comune, and tick
"superuser" or the provider's group on anyone, themselves included. Where several comuni are
served, for anyone but a superuser:
- the pages read the accounts that work for the session's comune only, as *Personale del
  comune* lists them (`comune_staff_queryset`: its members, on the active comune also the
  accounts of no comune; never a superuser); another comune's account is a 404 on every page
  (change, history, delete, password: `OtherComunesRowsNotFound`, the admin's shared door);
- an account the comune does not hold alone (a help desk's, shared with other comuni, or one
  of the provider's administrators) is shown, never changed: one account is one password, one
  name and one set of roles in each of its comuni, so an edit here would change it there too
  (the rule of accounts/staff.py: a shared account's roles are the provider's to change);
- roles, superuser and staff status and single permissions are read-only: a role changes on
  *Personale del comune*, whose service keeps the rules (no self-demotion, shared accounts);
  granting anything beyond a role is the deployment's (a superuser);
- no account is added here: one made here would belong to no comune, that is to the active
  comune, whichever comune's administrator made it. *Personale del comune* invites one.
Superusers keep the whole admin: they run the deployment (the provider's administrators and
other superusers are made here). The provider's administrators hold no model permission and
manage accounts through their own pages (`/admin/fornitore/comuni/<id>/personale/`).
A deployment of one comune keeps Django's user admin exactly as it was.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import FieldDoesNotExist
from django.http import HttpRequest
from django.utils.translation import override as translation_override

from urp_portal.municipality.admin_scope import OtherComunesRowsNotFound
from urp_portal.municipality.scope import current_comune, serves_other_comuni

from .selectors import account_is_comunes_alone, comune_staff_queryset

# What a comune's administrator sees but never sets: beyond a role, or the role itself (set on
# Personale del comune, where the shared-account and self-demotion rules live).
RIGHTS_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


def _comune_scoped(request: HttpRequest) -> bool:
    return serves_other_comuni() and not request.user.is_superuser


def _alterable(request: HttpRequest, account: Any) -> bool:
    """Whether the account (None: the page as a whole) may be changed or deleted, beyond the
    model permission: a comune's administrator only alters an account the comune holds alone."""
    if account is None or not _comune_scoped(request):
        return True
    comune = current_comune()
    return comune is not None and account_is_comunes_alone(user=account, comune=comune)


class ComuneUserAdmin(OtherComunesRowsNotFound, UserAdmin):
    def get_queryset(self, request: HttpRequest):
        users = super().get_queryset(request)
        if not _comune_scoped(request):
            return users
        comune = current_comune()
        if comune is None:
            # Every console request runs in its comune's scope here (request_scope.py); none
            # would be a bug of ours: fail closed.
            return users.none()
        return users.filter(pk__in=comune_staff_queryset(comune=comune).values("pk"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not _comune_scoped(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and _alterable(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and _alterable(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        fields = super().get_readonly_fields(request, obj)
        if _comune_scoped(request):
            return [*fields, *RIGHTS_FIELDS]
        return fields

    def construct_change_message(self, request, form, formsets, add=False):
        """Django stores a changed field by its form label, untranslated and capitalised ("Last
        name"), which no catalogue translates back when the history is read: an Italian console
        read "Modificati First name e Last name". The model's own verbose name ("last name") is
        the word Django's catalogues translate ("cognome")."""
        message = super().construct_change_message(request, form, formsets, add)
        if message and set(message[0].get("changed", {})) == {"fields"}:
            with translation_override(None):
                message[0]["changed"]["fields"] = [
                    _stored_label(self.model, form, name) for name in form.changed_data
                ]
        return message

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        if _comune_scoped(request):
            # The bulk delete asks no question per account: a shared one would go with the
            # rest. One at a time, through the delete page, each account is checked.
            actions.pop("delete_selected", None)
        return actions


def _stored_label(model: Any, form: Any, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a form's own field (the password's): its label, as Django does
        return str(form.fields[name].label or name) if name in form.fields else name


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), ComuneUserAdmin)
