"""The live poll's short door: `GET /admin/tickets/ticket/live/` through the middleware that guard
it, not through every page's.

Every open console asks the live view every 2 seconds (tickets/admin/live.py); 50 consoles are 25
requests a second, and a quiet poll's own work is two cache reads and the user's row. The rest of
its CPU was the site's request path: WhiteNoise, the common and CSRF middleware, the messages,
the frame header and django-axes, then the admin's whole URL list walked to find the view
(benchmarks/console_poll_cpu.py). None of them does anything for a GET that answers JSON.

So LiveDoorMiddleware, right after the CSP middleware in settings.MIDDLEWARE, sends a GET of the
live path through URP_LIVE_MIDDLEWARE (the session, the language, the user, the session
timeouts, django-otp and the second factor: every guard a console page has) straight to the view
the admin's URL names, wrapped as the admin wraps it (staff only, csrf_protect, never_cache).
Any other method, and any other path, takes the site's whole way. With URP_LIVE_MIDDLEWARE empty
(the plain path) the door is shut and the poll is an ordinary request.

The JSON answer renders nothing, so it is sent without a Content-Security-Policy (its building
was a tenth of a quiet poll); every other answer of the door (the sign-in or the code page's
redirect, a 404) keeps it, and so does every page (SkipJsonCspMiddleware).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import NoReverseMatch, ResolverMatch, resolve, reverse
from django.utils.module_loading import import_string

LIVE_URL_NAME = "admin:tickets_ticket_live"
# Marks the live view's JSON answer: no Content-Security-Policy is built for it.
NO_CSP = "_urp_no_csp"


class LiveDoorMiddleware:
    """A GET of the live path through URP_LIVE_MIDDLEWARE to the live view; the rest on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        # Built as Django's handler builds its chain, innermost last, each layer turning an
        # exception into its answer (a 404, a 500) as it would on the ordinary way.
        chain: Callable[[HttpRequest], Any] = convert_exception_to_response(self._view)
        for path in reversed(settings.URP_LIVE_MIDDLEWARE):
            chain = convert_exception_to_response(import_string(path)(chain))
        self.live = chain if settings.URP_LIVE_MIDDLEWARE else None
        # The URLconf is the process's for its whole life: the live path and its view are found
        # once, at the first request (the URLconf is not imported yet when this is built).
        self._route: tuple[str, ResolverMatch | None] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self.live is not None and request.method == "GET":
            path, match = self._live_route()
            if match is not None and request.path_info == path:
                request.resolver_match = match
                return self.live(request)
        return self.get_response(request)

    def _live_route(self) -> tuple[str, ResolverMatch | None]:
        if self._route is None:
            try:
                path = reverse(LIVE_URL_NAME)
            except NoReverseMatch:
                # A URLconf without the console (a test's, an API-only one): no door to open.
                self._route = ("", None)
            else:
                self._route = (path, resolve(path))
        return self._route

    def _view(self, request: HttpRequest) -> HttpResponseBase:
        match = request.resolver_match
        assert match is not None
        response = match.func(request, *match.args, **match.kwargs)
        # What CommonMiddleware would add on the ordinary way: gunicorn then sends the answer
        # with its length, not in chunks.
        if isinstance(response, HttpResponse) and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))
        return response


class SkipJsonCspMiddleware(CSPMiddleware):
    """django-csp's middleware, which builds the policy for every answer, even one it then does
    not send: an answer marked NO_CSP (the live poll's JSON) is left as it is."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if getattr(response, NO_CSP, False):
            return response
        return super().process_response(request, response)
