"""The OpenAPI document: the token scheme, the error shape on every operation, the
Idempotency-Key header on every idempotent write, the roles each operation needs."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import BasePermission

from urp_portal.accounts.permissions import RolePermission
from urp_portal.accounts.principals import ApiTokenUser

from .errors import error_body
from .idempotency import HEADER as IDEMPOTENCY_HEADER


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Codice stabile dell'errore, da leggere nei programmi.")
    message = serializers.CharField(help_text="Messaggio in italiano.")
    message_en = serializers.CharField(help_text="Message in English.")
    details = serializers.DictField(
        help_text="Dettagli: per i dati non validi, gli errori di ogni campo."
    )

    class Meta:
        ref_name = "Error"


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "urp_portal.accounts.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "«Token <chiave>»: la chiave si crea nell'amministrazione o con "
                "`python manage.py create_api_token NOME --role RUOLO [--service SLUG]`."
            ),
        }


def _error_example(status: int, code: str, details: dict | None = None) -> OpenApiExample:
    return OpenApiExample(
        code,
        value=error_body(code, details=details),
        status_codes=[str(status)],
        response_only=True,
    )


ERROR_RESPONSES: dict[str, OpenApiResponse] = {
    "400": OpenApiResponse(
        ErrorSerializer,
        description="Dati non validi / invalid input.",
        examples=[
            _error_example(
                400,
                "invalid",
                {"nome_campo": [{"message": "Campo obbligatorio.", "code": "required"}]},
            )
        ],
    ),
    "401": OpenApiResponse(
        ErrorSerializer,
        description="Token mancante, non valido o revocato / missing, invalid or revoked token.",
        examples=[_error_example(401, "token_revoked")],
    ),
    "403": OpenApiResponse(
        ErrorSerializer,
        description="Il ruolo non lo consente / the role does not allow it.",
        examples=[_error_example(403, "role_not_allowed")],
    ),
    "404": OpenApiResponse(
        ErrorSerializer,
        description="Risorsa inesistente o fuori dal proprio servizio / not found.",
        examples=[_error_example(404, "not_found")],
    ),
    "429": OpenApiResponse(
        ErrorSerializer,
        description="Troppe richieste / too many requests (see Retry-After).",
        examples=[_error_example(429, "throttled", {"retry_after": 12})],
    ),
}
IDEMPOTENCY_RESPONSES: dict[str, OpenApiResponse] = {
    "422": OpenApiResponse(
        ErrorSerializer,
        description="Idempotency-Key già usata con un'altra richiesta / key reused.",
        examples=[_error_example(422, "idempotency_key_reused")],
    ),
}


class ApiAutoSchema(AutoSchema):
    def _handler(self):
        action = getattr(self.view, "action", None)
        return getattr(self.view, action or self.method.lower(), None)

    def _is_idempotent_write(self) -> bool:
        return bool(getattr(self._handler(), "idempotent_write", False))

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._is_idempotent_write():
            parameters.append(
                OpenApiParameter(
                    IDEMPOTENCY_HEADER,
                    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
                    location=OpenApiParameter.HEADER,
                    description=(
                        "Una chiave unica per operazione (es. un UUID): ripetendo la richiesta con "
                        "la stessa chiave si riceve la prima risposta e nulla è fatto due volte."
                    ),
                )
            )
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = dict(ERROR_RESPONSES)
        if self.method in ("GET", "HEAD", "DELETE") and not any(
            parameter["in"] == "query" for parameter in self._get_parameters()
        ):
            # Nothing the caller sends can be invalid.
            del errors["400"]
        if self._is_idempotent_write():
            errors.update(IDEMPOTENCY_RESPONSES)
        for code, response in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses

    def get_description(self):  # type: ignore[override]
        description = super().get_description() or ""
        roles = [
            str(role)
            for permission in self.view.get_permissions()
            if isinstance(permission, RolePermission)
            for role in permission.roles
        ]
        if roles:
            description += f"\n\nRuoli / roles: {', '.join(roles)} (e administrator)."
        return description.strip()


def only_api_v1_endpoints(endpoints, **kwargs):
    """drf-spectacular preprocessing hook: the document describes /api/v1/ alone."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


class SchemaReader(BasePermission):
    """Who may read the API's description: a signed-in staff member or a token. The schema
    lists every operation and parameter, a map for whoever probes the service; a comune that
    wants it public says so with API_DOCS_PUBLIC."""

    def has_permission(self, request, view) -> bool:
        if settings.API_DOCS_PUBLIC:
            return True
        user = request.user
        if isinstance(user, ApiTokenUser):
            return True
        return bool(user and user.is_authenticated and user.is_staff)
