from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Prefetch, Q

from urp_portal.municipality.models import Municipality

from .models import ApiToken, StaffMembership
from .roles import GROUP_NAMES, PROVIDER_GROUP_NAME
from .services import api_token_key_hash


def api_token_get_by_key(*, key: str) -> ApiToken | None:
    """The token of a clear key, revoked or not (the caller tells the two apart)."""
    return ApiToken.all_comuni.filter(key_hash=api_token_key_hash(key)).first()


def staff_comune_ids(*, user) -> list[int]:
    """The comuni a console account belongs to (empty: the deployment's active comune)."""
    from .models import StaffMembership

    return list(StaffMembership.objects.filter(user_id=user.pk).values_list("comune_id", flat=True))


def staff_of_current_comune(users):
    """The console accounts among `users` that work for the running scope's comune: its
    members, and those with no membership when it is the active comune (they work for it).
    Unscoped (one comune): all of them. For the emails a comune's periodic work sends."""
    from urp_portal.municipality.scope import current_comune

    comune = current_comune()
    if comune is None:
        return users
    return users.filter(works_for(comune)).distinct()


def works_for(comune: Municipality) -> Q:
    """The console accounts that work for `comune`: its members, and on the active comune the
    accounts of no comune (not the provider's: they run the deployment, not the comune)."""
    condition = Q(comune_memberships__comune=comune)
    if comune.is_active:
        condition |= Q(comune_memberships__isnull=True) & ~Q(groups__name=PROVIDER_GROUP_NAME)
    return condition


def comune_staff_queryset(*, comune: Municipality):
    """Every account of `comune`'s staff (superusers are the deployment's, not listed)."""
    return (
        get_user_model()
        .objects.filter(works_for(comune), is_staff=True, is_superuser=False)
        .distinct()
    )


def other_comuni_of(*, user, comune: Municipality) -> list[str]:
    """The names of the comuni other than `comune` the account is a member of: its roles and
    its account (password, name, being active) count there too."""
    return list(
        StaffMembership.objects.filter(user=user)
        .exclude(comune=comune)
        .values_list("comune__name", flat=True)
    )


def account_is_comunes_alone(*, user, comune: Municipality) -> bool:
    """Whether `comune`'s administrators may change the account: one of its staff that works
    for no other comune and is neither a superuser nor one of the provider's administrators
    (who run the deployment: a comune changing them would reach every comune)."""
    return (
        comune_staff_queryset(comune=comune).filter(pk=user.pk).exists()
        and not get_user_model()
        .objects.filter(
            Q(comune_memberships__in=StaffMembership.objects.exclude(comune=comune))
            | Q(groups__name=PROVIDER_GROUP_NAME),
            pk=user.pk,
        )
        .exists()
    )


@dataclass(frozen=True)
class StaffRow:
    user: Any
    roles: list[str]
    # The other comuni the account works for (its roles count there too).
    other_comuni: list[str]


def comune_staff(*, comune: Municipality, user_id: int | None = None) -> list[StaffRow]:
    """The comune's staff page: every account (or the one of `user_id`) with its roles and its
    other comuni, in three queries whatever their number."""
    users = comune_staff_queryset(comune=comune)
    if user_id is not None:
        users = users.filter(pk=user_id)
    users = users.order_by("last_name", "first_name", "username").prefetch_related(
        Prefetch("groups", queryset=Group.objects.filter(name__in=GROUP_NAMES.values())),
        Prefetch(
            "comune_memberships",
            queryset=StaffMembership.objects.exclude(comune=comune).select_related("comune"),
        ),
    )
    return [
        StaffRow(
            user=user,
            roles=sorted(group.name for group in user.groups.all()),
            other_comuni=sorted(m.comune.name for m in user.comune_memberships.all()),
        )
        for user in users
    ]


def comune_staff_member(*, comune: Municipality, user_id: int) -> StaffRow | None:
    """One account of the comune's staff; None for any other (another comune's: not there)."""
    rows = comune_staff(comune=comune, user_id=user_id)
    return rows[0] if rows else None
