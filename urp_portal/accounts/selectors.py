from .models import ApiToken
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
    from django.db.models import Q

    from urp_portal.municipality.scope import current_comune

    comune = current_comune()
    if comune is None:
        return users
    works_for = Q(comune_memberships__comune=comune)
    if comune.is_active:
        works_for |= Q(comune_memberships__isnull=True)
    return users.filter(works_for).distinct()
