from .models import ApiToken
from .services import api_token_key_hash


def api_token_get_by_key(*, key: str) -> ApiToken | None:
    """The token of a clear key, revoked or not (the caller tells the two apart)."""
    return ApiToken.objects.filter(key_hash=api_token_key_hash(key)).first()


def staff_comune_ids(*, user) -> list[int]:
    """The comuni a console account belongs to (empty: the deployment's active comune)."""
    from .models import StaffMembership

    return list(StaffMembership.objects.filter(user_id=user.pk).values_list("comune_id", flat=True))
