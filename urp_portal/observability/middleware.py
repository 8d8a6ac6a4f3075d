"""The request id: taken from `X-Request-ID` (a proxy's or the caller's) or made here, put in
every log line and Celery task of the request, and returned in the response's header."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .context import client_of, client_var, request_id_accept, request_id_var

HEADER = "X-Request-ID"


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_accept(request.headers.get(HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        id_token = request_id_var.set(request_id)
        client_token = client_var.set(client_of(request))
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(id_token)
            client_var.reset(client_token)
        response[HEADER] = request_id
        return response
