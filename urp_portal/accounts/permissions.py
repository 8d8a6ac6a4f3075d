"""The console's roles, applied to API views (and their objects)."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from .principals import Principal, principal_of


class HasRole(BasePermission):
    """Allows principals with any of the given roles; administrators always.

    Used as an instance, `permission_classes = [HasRole(Role.COMMUNICATIONS)]`: DRF instantiates
    each entry by calling it, and calling an instance returns it."""

    message = _("Il tuo ruolo non consente questa operazione.")
    code = "role_not_allowed"

    def __init__(self, *roles: str) -> None:
        if not roles:
            raise ValueError("HasRole needs at least one role")
        self.roles = roles

    def __call__(self) -> "HasRole":
        return self

    def __repr__(self) -> str:
        return f"HasRole({', '.join(str(role) for role in self.roles)})"

    def has_permission(self, request, view) -> bool:
        return principal_of(request).has_any_role(*self.roles)


def scope_to_service(queryset: QuerySet, *, principal: Principal, lookup: str) -> QuerySet:
    """Only the rows of the principal's service for a service principal (the others then answer
    404, as if they did not exist); everything for the other roles. `lookup` is the path from the
    queryset's model to the service's slug, e.g. "service__slug"."""
    if not principal.sees_only_its_service:
        return queryset
    if principal.service_slug is None:
        return queryset.none()
    return queryset.filter(**{lookup: principal.service_slug})


class ServiceScopedMixin:
    """For generic views over a service's objects: `service_lookup = "service__slug"`."""

    service_lookup: str

    def get_queryset(self):
        queryset = super().get_queryset()  # type: ignore[misc]
        return scope_to_service(
            queryset,
            principal=principal_of(self.request),  # type: ignore[attr-defined]
            lookup=self.service_lookup,
        )
