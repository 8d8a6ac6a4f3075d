"""The accounts' second-factor devices and sign-in attempts in the admin, per comune (issue #24).

Administrators may see the enrolled devices (and remove a lost phone's) and django-axes'
lockouts and attempts (and clear a lockout). Where several comuni are served, a comune's
administrator does so for the accounts that work for the session's comune only, as Django's user
admin (user_admin.py) and *Personale del comune* list them: another comune's device or attempt
is not listed, and its page is a 404 (the admin's shared door). Removing a device or a lockout of
an account shared with other comuni (a help desk's, the provider's) acts there too, so it stays
with the provider or a superuser, as every change to such an account. A deployment of one comune,
and superusers, keep the pages as they were.
"""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest

from urp_portal.municipality.admin_scope import OtherComunesRowsNotFound
from urp_portal.municipality.scope import current_comune, serves_other_comuni

from .selectors import account_is_comunes_alone, comune_staff_queryset


def _comune_scoped(request: HttpRequest) -> bool:
    return serves_other_comuni() and not request.user.is_superuser


class OfTheComunesAccounts(OtherComunesRowsNotFound):
    """Mixed into (before) a ModelAdmin whose rows name an account: by its user
    (`account_field = "user"`) or, as django-axes keeps it, by its username."""

    account_field = "user"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        rows = super().get_queryset(request)  # type: ignore[misc]
        if not _comune_scoped(request):
            return rows
        comune = current_comune()
        if comune is None:
            return rows.none()  # every console request has its comune here: fail closed
        staff = comune_staff_queryset(comune=comune)
        if self.account_field == "username":
            return rows.filter(username__in=staff.values("username"))
        return rows.filter(**{f"{self.account_field}__in": staff.values("pk")})

    def _account_of(self, obj: Any):
        if self.account_field == "username":
            return get_user_model().objects.filter(username=obj.username).first()
        return getattr(obj, self.account_field)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_delete_permission(request, obj)  # type: ignore[misc]
        if not allowed or obj is None or not _comune_scoped(request):
            return allowed
        comune, account = current_comune(), self._account_of(obj)
        if comune is None or account is None:
            return False
        return account_is_comunes_alone(user=account, comune=comune)

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)  # type: ignore[misc]
        if _comune_scoped(request):
            # The bulk delete asks no question per row: a shared account's would go too.
            actions.pop("delete_selected", None)
        return actions


class ComuneAccessAttemptAdmin(OfTheComunesAccounts, AccessAttemptAdmin):
    account_field = "username"


class ComuneAccessLogAdmin(OfTheComunesAccounts, AccessLogAdmin):
    account_field = "username"


class ComuneAccessFailureLogAdmin(OfTheComunesAccounts, AccessFailureLogAdmin):
    account_field = "username"


if getattr(settings, "AXES_ENABLE_ADMIN", True):
    for model, model_admin in (
        (AccessAttempt, ComuneAccessAttemptAdmin),
        (AccessLog, ComuneAccessLogAdmin),
        (AccessFailureLog, ComuneAccessFailureLogAdmin),
    ):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
        admin.site.register(model, model_admin)
