"""The fake Graph API (answers like Meta's) and the citizen's phone page (staff only)."""

from __future__ import annotations

import hmac
import json
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from urp_portal.municipality.errors import NoActiveMunicipality

from . import selectors, services
from .demo import SAMPLES
from .forms import CitizenMessageForm
from .graph import GraphError, send_request_parse
from .models import SimulatedMessage
from .states import Direction
from .webhooks import wa_id

# Meta's media URLs are valid for five minutes; the simulator's too.
MEDIA_URL_MAX_AGE = 300
_media_signer = signing.TimestampSigner(salt="urp_portal.simulator.media-url")


def _graph_error(error: GraphError) -> JsonResponse:
    return JsonResponse(error.body(), status=error.status)


def _number_token(phone_number_id: str) -> str:
    """A bound number's own token (sealed at rest), if it has one."""
    from urp_portal.municipality.models import WhatsAppNumber
    from urp_portal.municipality.sealed import unseal

    sealed = (
        WhatsAppNumber.objects.filter(phone_number_id=phone_number_id)
        .values_list("access_token_sealed", flat=True)
        .first()
    )
    return unseal(sealed) if sealed else ""


def _check_bearer(request: HttpRequest, phone_number_id: str = "") -> None:
    """The deployment's token, or the number's own one (a comune on another system user)."""
    expected = [str(settings.WHATSAPP_ACCESS_TOKEN)]
    if phone_number_id:
        expected.append(_number_token(phone_number_id))
    expected = [token for token in expected if token]
    if not expected:
        return
    given = request.headers.get("Authorization", "")
    if not given.startswith("Bearer ") or not any(
        hmac.compare_digest(given.removeprefix("Bearer ").encode(), token.encode())
        for token in expected
    ):
        raise GraphError(
            "Invalid OAuth access token - Cannot parse access token", code=190, status=401
        )


def _check_phone_number_id(phone_number_id: str) -> None:
    """Ours: the deployment's own number or one bound to a comune (many comuni, one app)."""
    from urp_portal.municipality.models import WhatsAppNumber

    configured = str(settings.WHATSAPP_PHONE_NUMBER_ID or "")
    if (
        configured
        and phone_number_id != configured
        and not WhatsAppNumber.objects.filter(phone_number_id=phone_number_id).exists()
    ):
        raise GraphError(
            f"Unsupported post request. Object with ID '{phone_number_id}' does not exist, "
            "cannot be loaded due to missing permissions, or does not support this operation.",
            code=100,
            error_type="GraphMethodException",
        )


# --- the fake Graph API -----------------------------------------------------------------------
@csrf_exempt
@require_POST
def graph_messages(request: HttpRequest, version: str, phone_number_id: str) -> JsonResponse:
    try:
        _check_bearer(request, phone_number_id)
        _check_phone_number_id(phone_number_id)
        try:
            payload = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise GraphError("(#100) Invalid parameter", details=f"Invalid JSON: {exc}") from exc
        send = send_request_parse(payload)
        message = services.graph_message_accept(
            request=send, payload=payload, phone_number_id=phone_number_id
        )
    except GraphError as error:
        return _graph_error(error)
    return JsonResponse(
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": send.to_input, "wa_id": wa_id(send.to)}],
            "messages": [{"id": message.wamid}],
        }
    )


@csrf_exempt
def graph_message_templates(request: HttpRequest, version: str, waba_id: str) -> JsonResponse:
    """`POST` submits a template for the simulated review, `GET` lists them (Meta's shapes)."""
    from .templates_review import simulated_template_create, simulated_templates_list

    try:
        _check_bearer(request)
        if request.method == "GET":
            return JsonResponse({"data": simulated_templates_list(), "paging": {}})
        if request.method != "POST":
            raise GraphError("Unsupported request method", code=100, status=405)
        try:
            payload = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise GraphError("(#100) Invalid parameter", details=f"Invalid JSON: {exc}") from exc
        template = simulated_template_create(payload=payload)
    except GraphError as error:
        return _graph_error(error)
    return JsonResponse(
        {"id": template.template_id, "status": template.status, "category": template.category}
    )


@csrf_exempt
@require_POST
def graph_media_upload(request: HttpRequest, version: str, phone_number_id: str) -> JsonResponse:
    try:
        _check_bearer(request)
        _check_phone_number_id(phone_number_id)
        if request.POST.get("messaging_product") != "whatsapp":
            raise GraphError("(#100) The parameter messaging_product is required.")
        upload = request.FILES.get("file")
        if upload is None:
            raise GraphError("(#100) The parameter file is required.")
        mime_type = request.POST.get("type") or upload.content_type or ""
        if not mime_type:
            raise GraphError("(#100) The parameter type is required.")
        media = services.graph_media_upload(
            content=upload.read(), mime_type=mime_type, filename=upload.name or ""
        )
    except GraphError as error:
        return _graph_error(error)
    return JsonResponse({"id": media.media_id})


@csrf_exempt
@require_POST
def graph_upload_session(request: HttpRequest, version: str, app_id: str) -> JsonResponse:
    """Resumable Upload API, step 1: a session for one file (nothing is kept of it)."""
    from .templates_review import simulated_upload_session

    try:
        _check_bearer(request)
        session = simulated_upload_session(
            file_length=request.GET.get("file_length", ""),
            file_type=request.GET.get("file_type", ""),
        )
    except GraphError as error:
        return _graph_error(error)
    return JsonResponse({"id": session})


@csrf_exempt
@require_POST
def graph_upload_file(request: HttpRequest, version: str, session: str) -> JsonResponse:
    """Step 2: the file's bytes, with `Authorization: OAuth <token>` and `file_offset: 0`."""
    from .templates_review import simulated_upload_handle

    try:
        expected = str(settings.WHATSAPP_ACCESS_TOKEN)
        if expected and not hmac.compare_digest(
            request.headers.get("Authorization", "").encode(), f"OAuth {expected}".encode()
        ):
            raise GraphError("Invalid OAuth access token", code=190, status=401)
        handle = simulated_upload_handle(
            session=session, offset=request.headers.get("file_offset", ""), content=request.body
        )
    except GraphError as error:
        return _graph_error(error)
    return JsonResponse({"h": handle})


@csrf_exempt
def graph_media(request: HttpRequest, version: str, media_id: str) -> JsonResponse:
    if request.method == "POST":
        return _graph_template_edit(request, template_id=media_id)
    if request.method != "GET":
        return _graph_error(GraphError("Unsupported request method", code=100, status=405))
    try:
        _check_bearer(request)
        media = selectors.simulated_media_get(media_id=media_id)
        if media is None:
            raise GraphError(
                f"Unsupported get request. Object with ID '{media_id}' does not exist.",
                code=100,
                error_type="GraphMethodException",
            )
    except GraphError as error:
        return _graph_error(error)
    token = _media_signer.sign(media.media_id)
    url = request.build_absolute_uri(reverse("simulator:media_download", kwargs={"token": token}))
    return JsonResponse(
        {
            "url": url,
            "mime_type": media.mime_type,
            "sha256": media.sha256,
            "file_size": media.file_size,
            "id": media.media_id,
            "messaging_product": "whatsapp",
        }
    )


def _graph_template_edit(request: HttpRequest, *, template_id: str) -> JsonResponse:
    from .templates_review import simulated_template_edit

    try:
        _check_bearer(request)
        try:
            payload = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise GraphError("(#100) Invalid parameter", details=f"Invalid JSON: {exc}") from exc
        template = simulated_template_edit(template_id=template_id, payload=payload)
    except GraphError as error:
        return _graph_error(error)
    return JsonResponse(
        {"success": True, "id": template.template_id, "category": template.category}
    )


@require_GET
def media_download(request: HttpRequest, token: str) -> HttpResponseBase:
    """The short-lived URL `GET /{media-id}` hands out; wants the bearer token like Meta's."""
    try:
        _check_bearer(request)
        try:
            media_id = _media_signer.unsign(token, max_age=MEDIA_URL_MAX_AGE)
        except signing.BadSignature as exc:
            raise GraphError("URL signature expired", code=100, status=404) from exc
        media = selectors.simulated_media_get(media_id=media_id)
        if media is None:
            raise GraphError("Media not found", code=100, status=404)
    except GraphError as error:
        return _graph_error(error)
    return FileResponse(media.file.open("rb"), content_type=media.mime_type)


# --- the citizen's phone ------------------------------------------------------------------------
def _message_json(message: SimulatedMessage) -> dict[str, Any]:
    media_url = ""
    if message.media is not None:
        media_url = reverse("simulator:phone_media", kwargs={"media_id": message.media.media_id})
    elif message.media_link:
        media_url = message.media_link
    return {
        "id": message.pk,
        "direction": message.direction,
        "mine": message.direction == Direction.IN,
        "kind": message.kind,
        "body": message.body,
        "is_voice": message.is_voice,
        "media_url": media_url,
        "media_mime_type": message.media.mime_type if message.media else "",
        "status": message.status,
        "status_label": message.get_status_display(),
        "error": message.error,
        "time": timezone.localtime(message.created_at).strftime("%H:%M"),
        "at": message.created_at.isoformat(),
    }


def _comune_name() -> str:
    from urp_portal.municipality.selectors import municipality_get_active

    try:
        return municipality_get_active().name
    except NoActiveMunicipality:
        return ""


@staff_member_required
@require_GET
def phone(request: HttpRequest) -> HttpResponse:
    citizens = selectors.simulated_citizens()
    number = request.GET.get("number") or citizens[0].number
    name = request.GET.get("name") or next((c.name for c in citizens if c.number == number), "")
    # Which comune's number the citizen writes to (the demo serves several).
    business_numbers = selectors.simulated_business_numbers()
    business = next(
        (b for b in business_numbers if b.key == request.GET.get("business_number", "")),
        business_numbers[0],
    )
    conversation = selectors.simulated_conversation(number=number, business_number=business.key)
    return render(
        request,
        "simulator/phone.html",
        {
            "citizens": citizens,
            "number": number,
            "profile_name": name,
            "samples": SAMPLES.values(),
            "messages_json": [_message_json(m) for m in conversation],
            "comune_name": business.comune_name if len(business_numbers) > 1 else _comune_name(),
            "business_numbers": business_numbers,
            "business_number": business.key,
            "webhook_url": settings.SIMULATOR_WEBHOOK_URL,
        },
    )


@staff_member_required
@require_POST
def phone_send(request: HttpRequest) -> HttpResponse:
    form = CitizenMessageForm(request.POST)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if not form.is_valid():
        if wants_json:
            return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
        return redirect(reverse("simulator:phone"))
    data = form.cleaned_data
    messages = services.citizen_message_send(
        number=data["number"],
        profile_name=data["profile_name"],
        text=data["text"],
        sample_key=data["sample"],
        business_number=data["business_number"],
    )
    if wants_json:
        return JsonResponse({"messages": [_message_json(m) for m in messages]}, status=201)
    query = urlencode({"number": data["number"], "business_number": data["business_number"]})
    return redirect(f"{reverse('simulator:phone')}?{query}")


@staff_member_required
@require_GET
def phone_conversation(request: HttpRequest) -> JsonResponse:
    number = request.GET.get("number", "")
    business = request.GET.get("business_number", "")
    conversation = (
        selectors.simulated_conversation(number=number, business_number=business) if number else []
    )
    return JsonResponse({"number": number, "messages": [_message_json(m) for m in conversation]})


@staff_member_required
@require_GET
def phone_media(request: HttpRequest, media_id: str) -> HttpResponseBase:
    media = selectors.simulated_media_get(media_id=media_id)
    if media is None:
        raise Http404
    return FileResponse(media.file.open("rb"), content_type=media.mime_type)
