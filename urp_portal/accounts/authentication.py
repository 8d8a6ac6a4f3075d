"""`Authorization: Token <key>` for the comune's other systems (DESIGN.md, "API contract")."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.throttling import SimpleRateThrottle

from .principals import ApiTokenUser
from .request_scope import api_token_enter_scope
from .selectors import api_token_get_by_key
from .services import api_token_mark_used


class UncredentialedRateThrottle(SimpleRateThrottle):
    """The "anonymous" budget of an address, spent by every API request that comes without
    valid credentials: no token and no session, or a wrong or revoked token. It is checked
    here, in authentication, because DRF throttles only after authenticating and checking
    permissions, which is where these requests stop: a token guesser was never slowed."""

    scope = "anonymous"

    def get_cache_key(self, request, view) -> str:
        # The same key as the anonymous callers of open views (api/throttling.py): one budget.
        return f"throttle:{self.scope}:ip:{self.get_ident(request)}"


def _spend_uncredentialed_budget(request) -> None:
    throttle = UncredentialedRateThrottle()
    # The view is not used (the key is the address); DRF's request carries it anyway.
    view = request.parser_context["view"]
    if not throttle.allow_request(request, view):
        raise exceptions.Throttled(wait=throttle.wait())


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            # Not ours: the session (the console's own pages) may still authenticate; if it
            # will not, the caller is anonymous and spends the address's budget.
            session_user = getattr(request._request, "user", None)
            if session_user is None or not session_user.is_authenticated:
                _spend_uncredentialed_budget(request)
            return None
        if len(parts) != 2:
            _spend_uncredentialed_budget(request)
            raise exceptions.AuthenticationFailed(
                _("Intestazione Authorization non valida: usa «Token <chiave>»."),
                code="invalid_authorization_header",
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            _spend_uncredentialed_budget(request)
            raise exceptions.AuthenticationFailed(
                _("Token non valido."), code="invalid_token"
            ) from None
        token = api_token_get_by_key(key=key)
        if token is None or token.revoked_at is not None:
            _spend_uncredentialed_budget(request)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Token non valido."), code="invalid_token")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("Token revocato."), code="token_revoked")
        api_token_mark_used(token=token)
        # From here the request works for the token's comune (reset by the request's middleware).
        api_token_enter_scope(token)
        return ApiTokenUser(token), token

    def authenticate_header(self, request) -> str:
        # Present, so DRF answers an unauthenticated request 401 (not 403).
        return self.keyword
