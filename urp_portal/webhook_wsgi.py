"""The webhook's own middleware: a signed webhook passes through three middleware, not fourteen.

A broadcast's status storm is three webhooks per message (240 a second at Meta's 80 messages/s),
and on a 2-CPU machine the web process's CPU per webhook decides how fast a campaign can go.
The site's middleware serve people: sessions, the language, CSRF, login, the second factor,
django-axes' lockouts, messages, the CSP and frame headers. The webhook view reads none of them
(it is csrf_exempt and anonymous: its signature is its authentication; its answer is an empty
200) yet each one ran for every webhook: about a fifth of the web process's CPU per webhook
(benchmarks/storm_unit_costs.py).

So `application` (urp_portal/wsgi.py) hands paths under WEBHOOK_PREFIX to a second Django
handler built with URP_WEBHOOK_MIDDLEWARE, and everything else to the ordinary one. Both resolve
the same URLconf and run the same view; the webhook keeps its request id (log lines, tasks) and
the security middleware (the HTTPS redirect). With URP_WEBHOOK_MIDDLEWARE empty (the plain path)
every request goes through settings.MIDDLEWARE, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

WEBHOOK_PREFIX = "/webhooks/whatsapp/"

WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class WebhookHandler(WSGIHandler):
    """Django's WSGI handler with the webhook's middleware instead of the site's."""

    def load_middleware(self, is_async: bool = False) -> None:
        # BaseHandler.load_middleware reads settings.MIDDLEWARE and has no other way to be told
        # the list: it is swapped for the build only (at import, before any request thread).
        site = settings.MIDDLEWARE
        settings.MIDDLEWARE = list(settings.URP_WEBHOOK_MIDDLEWARE)
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = site


def with_webhook_handler(site: WSGIApplication) -> WSGIApplication:
    """The site's application, with the webhooks routed to their own handler when configured."""
    if not settings.URP_WEBHOOK_MIDDLEWARE:
        return site
    webhooks = WebhookHandler()

    def application(environ: dict[str, Any], start_response: Callable[..., Any]):
        if environ.get("PATH_INFO", "").startswith(WEBHOOK_PREFIX):
            return webhooks(environ, start_response)
        return site(environ, start_response)

    return application
