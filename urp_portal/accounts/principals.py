"""Who is calling: a console user (session) or one of the comune's systems (API token), seen the
same way by permissions, throttles and idempotency records."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from urp_portal.core.actors import actor_account as actor_account  # moved: old name kept
from urp_portal.core.actors import actor_label as actor_label

from .models import ApiToken
from .roles import GROUP_NAMES, Role, declared_permissions

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class Principal:
    roles: frozenset[str]
    # The municipal service whose tickets alone this principal sees; None: not bound to one.
    service_slug: str | None
    user: AbstractBaseUser | None = None
    token: ApiToken | None = None

    @property
    def key(self) -> str:
        """Stable identity for throttles and logs."""
        if self.token is not None:
            return f"token:{self.token.pk}"
        if self.user is not None:
            return f"user:{self.user.pk}"
        return "anonymous"

    @property
    def sees_only_its_service(self) -> bool:
        """A municipal service's principal: its tickets only (others answer 404, not 403, so
        their existence does not leak)."""
        return Role.SERVICE in self.roles and not self.roles & {Role.ADMINISTRATOR, Role.OPERATOR}

    def has_any_role(self, *roles: str) -> bool:
        # Administrators may do what any role may, as superusers do in the console.
        return Role.ADMINISTRATOR in self.roles or bool(self.roles.intersection(roles))


class ApiTokenUser(AnonymousUser):
    """`request.user` for a request authenticated by an API token: authenticated, with no console
    account (not staff: the admin stays closed to it), holding the model permissions of its
    role's group (ROLE_PERMISSIONS), so a service that checks `has_perm` applies the same rule
    to a token as to a console user of that role."""

    def __init__(self, token: ApiToken) -> None:
        super().__init__()
        self.token = token
        self.username = f"api-token:{token.prefix}"  # type: ignore[assignment]
        self._permissions = frozenset(
            f"{app_label}.{codename}" for app_label, codename in declared_permissions(token.role)
        )

    def __str__(self) -> str:
        return f"API: {self.token.name}"

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return perm in self._permissions

    def has_perms(self, perm_list, obj: Any = None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, module: str) -> bool:
        return any(perm.startswith(f"{module}.") for perm in self._permissions)

    def get_all_permissions(self, obj: Any = None) -> set[str]:
        return set(self._permissions)

    @property
    def is_anonymous(self) -> bool:  # type: ignore[override]
        return False

    @property
    def is_authenticated(self) -> bool:  # type: ignore[override]
        return True


def principal_for_token(token: ApiToken) -> Principal:
    return Principal(
        roles=frozenset({token.role}), service_slug=token.service_slug or None, token=token
    )


def principal_for_user(user) -> Principal:
    if not user.is_authenticated:
        return Principal(roles=frozenset(), service_slug=None)
    if isinstance(user, ApiTokenUser):
        return principal_for_token(user.token)
    if user.is_superuser:
        return Principal(roles=frozenset({Role.ADMINISTRATOR}), service_slug=None, user=user)
    names = set(user.groups.values_list("name", flat=True))
    roles = frozenset(role for role, name in GROUP_NAMES.items() if name in names)
    # A console user of the service role is bound to a service by the tickets app (not merged
    # yet); until then such a user sees no service's tickets through the API.
    return Principal(roles=roles, service_slug=None, user=user)


def principal_of(request) -> Principal:
    """The caller of a DRF request, computed once per request."""
    cached = getattr(request, "_urp_principal", None)
    if cached is None:
        cached = principal_for_user(request.user)
        request._urp_principal = cached
    return cached
