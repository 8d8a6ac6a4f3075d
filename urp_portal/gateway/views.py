"""The webhooks' door: check the signature, store the raw body, answer. Nothing else happens in
the request (DESIGN.md, "The inbound path")."""

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .adapters import get_adapter
from .adapters.base import GatewayAdapter, WebhookFormatError
from .services import webhook_event_store

logger = logging.getLogger(__name__)


def _takes_messages(gateway: str) -> bool:
    """Only the configured gateway's webhook takes messages: with Meta configured, a forged or
    stray Twilio form (or the simulator's page) opens nothing. The simulator speaks Meta's
    format to the Meta webhook (SIMULATOR_WEBHOOK_URL); its own route is open only while the
    simulator is on."""
    configured = str(settings.WHATSAPP_GATEWAY)
    if gateway == "simulator":
        return configured == "simulator" and bool(settings.SIMULATOR_ENABLED)
    return gateway == configured or (gateway == "meta" and configured == "simulator")


def _adapter_or_404(gateway: str) -> GatewayAdapter:
    if not _takes_messages(gateway):
        logger.warning(
            "webhook %s: not the configured gateway (%s), refused",
            gateway,
            settings.WHATSAPP_GATEWAY,
        )
        raise Http404
    try:
        return get_adapter(gateway)
    except ImproperlyConfigured as exc:
        raise Http404 from exc


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request: HttpRequest, gateway: str) -> HttpResponse:
    adapter = _adapter_or_404(gateway)
    if request.method == "GET":
        challenge = adapter.answer_handshake(request.GET)
        if challenge is None:
            logger.warning("webhook %s: verification handshake refused", gateway)
            return HttpResponse(status=403)
        return HttpResponse(challenge, content_type="text/plain")

    body = request.body
    url = request.build_absolute_uri() if adapter.signature_covers_url else ""
    if not adapter.verify_signature(body=body, headers=request.headers, url=url):
        logger.warning(
            "webhook %s: bad or missing signature from %s, %d bytes dropped",
            gateway,
            request.META.get("REMOTE_ADDR", "?"),
            len(body),
        )
        return HttpResponse(status=403)

    content_type = request.content_type or ""
    try:
        adapter.parse_webhook(body=body, content_type=content_type)
    except WebhookFormatError as exc:
        # Not JSON, not UTF-8, nested absurdly deep, not the gateway's shape: kept for
        # inspection (admin, "rifiutato") and answered 400, so the sender knows.
        webhook_event_store(
            gateway=gateway, body=body, content_type=content_type, rejected_because=str(exc)
        )
        logger.warning("webhook %s: body rejected and kept: %s", gateway, exc)
        return HttpResponse(status=400)
    except Exception:
        # A signed body that our own parser fails on in a way nobody foresaw: a bug of ours,
        # not of the sender. It is stored all the same, and the worker's attempt records the
        # error on the event (admin, "errore di elaborazione") where it can be retried once
        # fixed; answering 500 would only make Meta retry a body we already hold.
        logger.exception("webhook %s: the parser failed on a signed body; stored", gateway)
    webhook_event_store(gateway=gateway, body=body, content_type=content_type)
    return HttpResponse(status=200)
