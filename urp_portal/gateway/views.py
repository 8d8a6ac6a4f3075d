"""The webhooks' door: check the signature, store the raw body, answer. Nothing else happens in
the request (DESIGN.md, "The inbound path")."""

import logging

from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .adapters import get_adapter
from .adapters.base import GatewayAdapter, WebhookFormatError
from .services import webhook_event_store

logger = logging.getLogger(__name__)


def _adapter_or_404(gateway: str) -> GatewayAdapter:
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
        webhook_event_store(
            gateway=gateway, body=body, content_type=content_type, rejected_because=str(exc)
        )
        logger.warning("webhook %s: body rejected and kept: %s", gateway, exc)
        return HttpResponse(status=400)
    webhook_event_store(gateway=gateway, body=body, content_type=content_type)
    return HttpResponse(status=200)
