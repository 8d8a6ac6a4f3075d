"""The console's roles, applied to API views (and their objects)."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from .principals import Principal, principal_of


class RolePermission(BasePermission):
    """Allows principals with any of `roles`; administrators always. Made by HasRole."""

    roles: tuple[str, ...] = ()
    message = _("Il tuo ruolo non consente questa operazione.")
    code = "role_not_allowed"

    def has_permission(self, request, view) -> bool:
        return principal_of(request).has_any_role(*self.roles)


# CamelCase: it stands where a permission class goes.
def HasRole(*roles: str) -> type[RolePermission]:
    """`permission_classes = [HasRole(Role.COMMUNICATIONS)]`: a permission class, so DRF's `&`
    and `|` combine it with others."""
    if not roles:
        raise ValueError("HasRole needs at least one role")
    name = f"HasRole({', '.join(str(role) for role in roles)})"
    return type(name, (RolePermission,), {"roles": tuple(roles)})


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
