import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from urp_portal.core.actors import actor_account
from urp_portal.municipality.errors import UserError
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.scope import current_comune, owned_by, serves_other_comuni

from .models import ApiToken
from .roles import Role

# The clear key: a recognisable prefix (secret scanners and people both spot it) and 256 random
# bits. Only its SHA-256 is stored; a key this random needs no salt or slow hash.
KEY_PREFIX = "urp_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8
LAST_USED_RESOLUTION = timedelta(minutes=1)


class UnknownService(UserError):
    default_message = _("Il servizio comunale indicato non esiste.")
    code = "unknown_service"


def api_token_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def municipal_service_slug_resolve(*, slug: str, comune: Municipality | None = None) -> str:
    """The slug of an existing municipal service of `comune` (None: the running scope's), or
    UnknownService: codes are unique within a comune only.

    The one place that knows where services live: the tickets app owns MunicipalService and stands
    above accounts, so it is looked up by name, not imported. Until that model exists any slug
    is taken as given."""
    slug = slug.strip().lower()
    try:
        service_model = apps.get_model("tickets", "MunicipalService")
    except LookupError:
        return slug
    services = (
        service_model.all_comuni.filter(owned_by(comune))
        if comune is not None
        else service_model._default_manager
    )
    if not services.filter(slug=slug).exists():
        raise UnknownService(details={"service": slug})
    return slug


def api_token_create(
    *,
    name: str,
    role: str,
    service_slug: str = "",
    comune_slug: str = "",
    actor: Any = None,
) -> tuple[ApiToken, str]:
    """A new token and its clear key, which is not stored and cannot be shown again. With
    `comune_slug`, the token acts for that comune of a deployment serving several."""
    comune = None
    if comune_slug:
        comune = Municipality.objects.filter(slug=comune_slug.strip()).first()
        if comune is None:
            raise UserError(
                _("Comune sconosciuto: %(slug)s.") % {"slug": comune_slug},
                code="unknown_comune",
            )
    if role not in Role.values:
        raise UserError(_("Ruolo sconosciuto: %(role)s.") % {"role": role}, code="unknown_role")
    if role == Role.SERVICE and not service_slug:
        raise UserError(
            _("Un token del ruolo «servizio» deve indicare il servizio comunale."),
            code="service_required",
        )
    if role != Role.SERVICE and service_slug:
        raise UserError(
            _("Solo un token del ruolo «servizio» agisce per un servizio comunale."),
            code="service_not_allowed",
        )
    # Made in the console of a deployment serving several: the comune the session works for.
    comune = comune or current_comune()
    services_of = comune
    if services_of is None and serves_other_comuni():
        # A command without --comune on a deployment serving several: the token is the active
        # comune's (empty), and so is the service it names.
        services_of = Municipality.objects.filter(is_active=True).first()
    if service_slug:
        service_slug = municipal_service_slug_resolve(slug=service_slug, comune=services_of)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        name=name.strip(),
        role=role,
        service_slug=service_slug,
        key_hash=api_token_key_hash(key),
        prefix=key[:PREFIX_LENGTH],
        created_by=actor_account(actor),
        comune=comune,
    )
    return token, key


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoked at once: the next request with its key is refused. Revoking twice keeps the first
    time."""
    with transaction.atomic():
        token = ApiToken.all_comuni.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


def api_token_mark_used(*, token: ApiToken) -> None:
    """Record the last use, at most once a minute per token: the conditional update writes
    nothing when another request already did it."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.all_comuni.filter(pk=token.pk).exclude(
        last_used_at__gte=now - LAST_USED_RESOLUTION
    ).update(last_used_at=now)
    token.last_used_at = now
