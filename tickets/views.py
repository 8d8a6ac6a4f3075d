"""The two pages outside the admin: a message's media, and the link in a service's email."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from .models import Forward
from .selectors import message_list_visible, ticket_list_for, user_is_urp, user_service_ids

# Shown in the page; anything else is downloaded, never rendered by the browser.
_INLINE_PREFIXES = ("image/", "audio/", "video/")


@require_GET
@login_required
def message_media(request: HttpRequest, message_id: int) -> HttpResponseBase:
    """A citizen's photo, voice note or document, for staff who may see the ticket only."""
    message = (
        message_list_visible()
        .select_related("inbound")
        .filter(pk=message_id, ticket__in=ticket_list_for(user=request.user))
        .first()
    )
    if message is None or message.inbound is None or not message.inbound.media_file:
        raise Http404()
    inbound = message.inbound
    mime = inbound.media_mime_type or "application/octet-stream"
    inline = mime.startswith(_INLINE_PREFIXES) and "svg" not in mime
    try:
        handle = inbound.media_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404() from exc
    response = FileResponse(
        handle,
        content_type=mime if inline else "application/octet-stream",
        as_attachment=not inline,
        filename=inbound.media_filename or inbound.media_file.name.rsplit("/", 1)[-1],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
@login_required
def forward_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a service's email: opens the ticket for that service's staff and the URP."""
    forward = get_object_or_404(Forward, token=token)
    if not (user_is_urp(request.user) or forward.service_id in user_service_ids(request.user)):
        raise PermissionDenied()
    return redirect(reverse("admin:tickets_ticket_conversation", args=[forward.ticket_id]))
