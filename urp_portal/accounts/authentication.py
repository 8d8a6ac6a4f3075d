"""`Authorization: Token <key>` for the comune's other systems (DESIGN.md, "API contract")."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .principals import ApiTokenUser
from .selectors import api_token_get_by_key
from .services import api_token_mark_used


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            # Not ours: the session (the console's own pages) may still authenticate.
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Intestazione Authorization non valida: usa «Token <chiave>»."),
                code="invalid_authorization_header",
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(
                _("Token non valido."), code="invalid_token"
            ) from None
        token = api_token_get_by_key(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Token non valido."), code="invalid_token")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("Token revocato."), code="token_revoked")
        api_token_mark_used(token=token)
        return ApiTokenUser(token), token

    def authenticate_header(self, request) -> str:
        # Present, so DRF answers an unauthenticated request 401 (not 403).
        return self.keyword
