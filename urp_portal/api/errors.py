"""One error shape for the whole API: `{"code", "message", "message_en", "details"}`.

`message` is Italian (the product's language, always present), `message_en` English, for the
comune's suppliers; `code` is what programs should read. Validation messages inside `details`
follow the request's Accept-Language (Italian by default)."""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils import translation
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from urp_portal.municipality.errors import UserError

logger = logging.getLogger(__name__)

# code -> (Italian, English). Both languages are answered at once, so these are not gettext
# messages: a request's language must not turn the Italian one into something else.
MESSAGES: dict[str, tuple[str, str]] = {
    "invalid": ("Dati non validi.", "Invalid input."),
    "parse_error": ("Il corpo della richiesta non è leggibile.", "Malformed request body."),
    "not_authenticated": (
        "Autenticazione richiesta: invia l'intestazione «Authorization: Token <chiave>».",
        "Authentication required: send the header 'Authorization: Token <key>'.",
    ),
    "authentication_failed": ("Autenticazione non riuscita.", "Authentication failed."),
    "invalid_authorization_header": (
        "Intestazione Authorization non valida: usa «Token <chiave>».",
        "Invalid Authorization header: use 'Token <key>'.",
    ),
    "invalid_token": ("Token non valido.", "Invalid token."),
    "token_revoked": ("Token revocato.", "Token revoked."),
    "permission_denied": (
        "Non hai il permesso di eseguire questa operazione.",
        "You do not have permission to perform this operation.",
    ),
    "role_not_allowed": (
        "Il tuo ruolo non consente questa operazione.",
        "Your role does not allow this operation.",
    ),
    "not_found": ("Risorsa non trovata.", "Not found."),
    "method_not_allowed": ("Metodo non consentito.", "Method not allowed."),
    "not_acceptable": (
        "Il formato di risposta richiesto non è disponibile.",
        "The requested response format is not available.",
    ),
    "unsupported_media_type": (
        "Tipo di contenuto non supportato: invia JSON.",
        "Unsupported media type: send JSON.",
    ),
    "throttled": ("Troppe richieste: riprova più tardi.", "Too many requests: try again later."),
    "idempotency_key_invalid": (
        "Idempotency-Key non valida: da 1 a 255 caratteri ASCII stampabili.",
        "Invalid Idempotency-Key: 1 to 255 printable ASCII characters.",
    ),
    "idempotency_key_reused": (
        "Questa Idempotency-Key è già stata usata per una richiesta diversa.",
        "This Idempotency-Key was already used for a different request.",
    ),
    "server_error": (
        "Errore interno: il problema è stato registrato.",
        "Internal error: the problem has been logged.",
    ),
}


def error_body(
    code: str, *, message: str | None = None, message_en: str | None = None, details=None
) -> dict:
    known_it, known_en = MESSAGES.get(code, (None, None))
    message = message or known_it or MESSAGES["invalid"][0]
    return {
        "code": code,
        "message": message,
        "message_en": message_en or known_en or message,
        "details": details or {},
    }


class IdempotencyKeyInvalid(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "idempotency_key_invalid"
    default_detail = MESSAGES[default_code][0]


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = MESSAGES[default_code][0]


def _code_of(exc: exceptions.APIException) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return "invalid"
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def _details_of(exc: exceptions.APIException, request) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        full = exc.get_full_details()
        return dict(full) if isinstance(full, dict) else {"non_field_errors": full}
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        return {"retry_after": int(wait + 0.999)}
    if isinstance(exc, exceptions.MethodNotAllowed) and request is not None:
        return {"method": request.method}
    return {}


def _user_error_response(exc: UserError) -> Response:
    # A state the user's request cannot change (a campaign already sent) is a conflict; an app
    # says so on its exception class with `http_status = 409`. A service's own permission check
    # (code "permission_denied", e.g. approving a template) is a refusal. Everything else is a
    # bad request.
    default = (
        status.HTTP_403_FORBIDDEN
        if exc.code == "permission_denied"
        else status.HTTP_400_BAD_REQUEST
    )
    http_status = getattr(exc, "http_status", default)
    with translation.override("it"):
        message = str(exc.message)
    with translation.override("en"):
        # From locale/en; a message the catalogue lacks stays Italian.
        message_en = str(exc.message)
    return Response(
        error_body(exc.code, message=message, message_en=message_en, details=exc.details),
        status=http_status,
    )


def api_exception_handler(exc, context):
    """REST_FRAMEWORK's EXCEPTION_HANDLER: every error a view raises, in the one shape."""
    request = context.get("request")
    if isinstance(exc, UserError):
        set_rollback()
        return _user_error_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        # A model's full_clean() inside a service (a unique name taken): invalid input, per field.
        exc = exceptions.ValidationError(get_error_detail(exc))
    response = drf_exception_handler(exc, context)  # status and headers (Retry-After, ...)
    if response is None:
        # Not an API error: a bug. Logged with its traceback, answered in the API's shape.
        logger.exception("API error in %s", context.get("view").__class__.__name__, exc_info=exc)
        set_rollback()
        return Response(error_body("server_error"), status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    code = _code_of(exc)
    message = None if code in MESSAGES else str(exc.detail)
    response.data = error_body(code, message=message, details=_details_of(exc, request))
    return response


def _is_api_request(request) -> bool:
    return request.path.startswith("/api/")


def handler404(request, exception=None):
    """Django's 404 (a path no URL matches): JSON under /api/, the usual page elsewhere."""
    if _is_api_request(request):
        return JsonResponse(error_body("not_found"), status=404)
    return defaults.page_not_found(request, exception)


def handler500(request):
    if _is_api_request(request):
        return JsonResponse(error_body("server_error"), status=500)
    return defaults.server_error(request)
