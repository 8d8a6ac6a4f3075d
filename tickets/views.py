"""The two pages outside the admin: a message's media, and the link in a service's email."""

import re

from django.contrib.auth.decorators import login_required
from django.db.models import IntegerField, Value
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from urp_portal.accounts.request_scope import session_comune_choose, session_comune_id
from urp_portal.audit.services import audit_record
from urp_portal.audit.states import AuditAction
from urp_portal.municipality.scope import serves_other_comuni
from urp_portal.municipality.scope_cache import active_comune_id

from .models import Forward
from .selectors import message_list_visible, ticket_list_for, user_is_urp, user_service_ids

# Shown in the page; anything else is downloaded, never rendered by the browser.
_INLINE_PREFIXES = ("image/", "audio/", "video/")
# One byte range ("bytes=0-", "bytes=100-199", "bytes=-500"): what browsers ask of audio and video.
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 64 * 1024


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single satisfiable range, or None to send the whole file."""
    match = _RANGE.match(header.strip())
    if not match or size == 0 or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":
        return max(size - int(last), 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start > end:
        return None
    return start, end


def _read_range(handle, start: int, end: int):
    try:
        handle.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            chunk = handle.read(min(_CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


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
        size = inbound.media_file.size
    except FileNotFoundError as exc:
        raise Http404() from exc
    content_type = mime if inline else "application/octet-stream"
    filename = inbound.media_filename or inbound.media_file.name.rsplit("/", 1)[-1]
    wanted = _byte_range(request.headers.get("Range", ""), size) if inline else None
    if wanted is None or wanted[0] == 0:
        # Once per viewing: a player then asks for further ranges of the same file.
        audit_record(
            actor=request.user,
            action=AuditAction.MEDIA_DOWNLOADED,
            target=message,
            request=request,
            details={"ticket_id": message.ticket_id, "mime_type": mime},
        )
    response: HttpResponseBase
    if wanted is None:
        response = FileResponse(
            handle, content_type=content_type, as_attachment=not inline, filename=filename
        )
    else:
        # Without ranges a browser cannot seek a voice note nor read an OGG's length from its
        # end: the player would show no duration and a dead seek bar.
        start, end = wanted
        response = StreamingHttpResponse(
            _read_range(handle, start, end), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes" if inline else "none"
    response["X-Content-Type-Options"] = "nosniff"
    # Never kept by the browser: an erased citizen's photo must not outlive the erasure in a
    # staff member's cache (nor be read from it by the next person at that desk).
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@login_required
def forward_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a service's email: opens the ticket for that service's staff and the URP.
    Another service's link answers 404, like that service's tickets everywhere else: whoever
    may not see a ticket is not told it exists.

    An email link carries no comune: on a deployment serving several, the link's ticket says
    which. A person who works for that comune (a help desk of several, chosen another) has
    the session switched to it and comes back here, in its scope; anyone else finds nothing."""
    if serves_other_comuni():
        active = Value(active_comune_id(), output_field=IntegerField())
        comune_id = (
            Forward.all_comuni.filter(token=token)
            .annotate(owner=Coalesce("ticket__comune", active))
            .values_list("owner", flat=True)
            .first()
        )
        if comune_id is None:
            raise Http404()
        if comune_id != session_comune_id(request):
            if not session_comune_choose(request, comune_id=comune_id):
                raise Http404()
            return redirect(request.get_full_path())
    forward = get_object_or_404(Forward, token=token)
    if not (user_is_urp(request.user) or forward.service_id in user_service_ids(request.user)):
        raise Http404()
    return redirect(reverse("admin:tickets_ticket_conversation", args=[forward.ticket_id]))
