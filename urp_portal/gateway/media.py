"""Inbound media: fetched through the adapter right after the message is stored (Meta's download
URL lives five minutes), its type read from the bytes against an allow list, its size capped, and
kept in Django's storage under a random name. What is refused is explained, in Italian, in
`InboundMessage.extra["media_error"]` instead of being stored.

The type comes from the bytes, never from what the sender or the provider declares: a file named
"foto.jpg" announced as image/jpeg may be anything, and staff will open it.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from importlib import import_module
from typing import Any, Protocol, cast

import puremagic
import requests
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from .adapters import get_adapter
from .adapters.base import MediaHostRefused, MediaTooLarge
from .models import InboundMessage
from .numbers import sending_number_for

logger = logging.getLogger(__name__)


class MediaFetcher(Protocol):
    """What this module needs of the configured adapter (ASSUMPTION, see below)."""

    def fetch_media(self, media_id: str) -> tuple[bytes, str, str]:
        """(content, MIME type, file name) of a provider's media id."""
        ...


def _adapter_fetch_errors() -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """(worth a retry, will never work) errors of `fetch_media`.

    ASSUMPTION, kept here alone with MediaFetcher: `get_adapter()` returns an adapter with
    `fetch_media(media_id) -> (content, mime_type, filename)`, and the adapters package raises
    `adapters.base.TransientSendError` and `PermanentSendError` (built on the gateway branch).
    Until it is merged, requests' own errors stand for the transient ones and none is known to
    be permanent."""
    try:
        base = import_module("urp_portal.gateway.adapters.base")
    except ImportError:
        return (requests.RequestException,), ()
    return (base.TransientSendError, requests.RequestException), (base.PermanentSendError,)


TRANSIENT_FETCH_ERRORS, PERMANENT_FETCH_ERRORS = _adapter_fetch_errors()


@dataclass(frozen=True)
class MediaType:
    mime_type: str
    extension: str


# What WhatsApp lets a citizen send and staff can open safely: photos, short videos, voice notes
# and audio, PDF documents. Keys are the extensions puremagic names for a signature; several
# names of one format map to one stored type.
_JPEG = MediaType("image/jpeg", ".jpg")
_MP4 = MediaType("video/mp4", ".mp4")
_3GP = MediaType("video/3gpp", ".3gp")
_OGG = MediaType("audio/ogg", ".ogg")
_MP3 = MediaType("audio/mpeg", ".mp3")
_M4A = MediaType("audio/mp4", ".m4a")
ALLOWED_TYPES: dict[str, MediaType] = {
    ".jpg": _JPEG,
    ".jpeg": _JPEG,
    ".jfif": _JPEG,
    ".jpe": _JPEG,
    ".png": MediaType("image/png", ".png"),
    ".webp": MediaType("image/webp", ".webp"),
    ".gif": MediaType("image/gif", ".gif"),
    ".mp4": _MP4,
    ".m4v": _MP4,
    ".3gp": _3GP,
    ".3g2": _3GP,
    ".ogg": _OGG,
    ".oga": _OGG,
    ".opus": _OGG,
    ".amr": MediaType("audio/amr", ".amr"),
    ".mp3": _MP3,
    # puremagic's name for the ID3v2.3 header most tagged MP3 files start with.
    ".koz": _MP3,
    ".mpga": _MP3,
    ".aac": MediaType("audio/aac", ".aac"),
    ".m4a": _M4A,
    ".pdf": MediaType("application/pdf", ".pdf"),
}


class MediaRefused(Exception):
    """A media file that is not kept: `code` for programs, `message` (Italian) for people."""

    def __init__(self, *, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def media_type_from_bytes(content: bytes) -> MediaType | None:
    """The allowed type the bytes' signature says, or None (unknown or not allowed)."""
    try:
        matches = puremagic.magic_string(content)
    except (puremagic.PureError, ValueError):
        return None
    # Only the best matches count: weaker ones are short signatures shared by other formats
    # (a WAV's "RIFF" header also weakly matches allowed formats).
    best = [match for match in matches if match.confidence == matches[0].confidence]
    for match in best:
        media_type = ALLOWED_TYPES.get(match.extension.lower())
        if media_type is not None:
            return media_type
    return None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",")


def _too_large(*, size: int | None, limit: int) -> MediaRefused:
    if size is None:
        # Stopped while streaming: how big it really was, nobody read far enough to know.
        message = _(
            "Il file inviato è troppo grande: supera il limite di %(limit)s MB. "
            "Non è stato salvato."
        ) % {"limit": _megabytes(limit)}
    else:
        message = _(
            "Il file inviato è troppo grande (%(size)s MB): il limite è %(limit)s MB. "
            "Non è stato salvato."
        ) % {"size": _megabytes(size), "limit": _megabytes(limit)}
    return MediaRefused(code="too_large", message=message)


def media_check(*, content: bytes) -> MediaType:
    """The type of a media file we may keep; MediaRefused says why not."""
    limit = int(settings.URP_MEDIA_MAX_BYTES)
    if len(content) > limit:
        raise _too_large(size=len(content), limit=limit)
    if not content:
        raise MediaRefused(code="empty", message=_("Il file inviato è vuoto."))
    media_type = media_type_from_bytes(content)
    if media_type is None:
        raise MediaRefused(
            code="type_not_allowed",
            message=_(
                "Tipo di file non accettato: si possono ricevere foto (JPEG, PNG, WebP, GIF), "
                "video (MP4, 3GP), audio e messaggi vocali (OGG, AMR, MP3, AAC, M4A) e "
                "documenti PDF. Il file non è stato salvato."
            ),
        )
    return media_type


def _needs_download(message: InboundMessage) -> bool:
    return bool(message.media_id) and not message.media_file and "media_error" not in message.extra


def _fetch(message: InboundMessage) -> tuple[bytes, str, str]:
    """The media through the adapter, with the token of the comune whose number the citizen
    wrote to where it has its own (gateway/numbers.py)."""
    fetcher = cast(MediaFetcher, get_adapter())
    sender = sending_number_for(message.comune_id)
    if sender is not None and sender.access_token:
        return cast(Any, fetcher).fetch_media(message.media_id, token=sender.access_token)
    return fetcher.fetch_media(message.media_id)


def inbound_media_download(*, message_id: int) -> InboundMessage:
    """Fetch, check and keep the media of one inbound message; a message whose media is already
    kept or refused is left alone. Transient fetch errors propagate (the task retries)."""
    message = InboundMessage.objects.get(pk=message_id)
    if not _needs_download(message):
        return message
    # The network call happens outside any transaction and lock.
    try:
        content, declared_mime_type, _filename = _fetch(message)
        media_type = media_check(content=content)
    except MediaRefused as refusal:
        return _media_refusal_record(message_id=message_id, code=refusal.code, text=refusal.message)
    except MediaTooLarge as exc:
        too_large = _too_large(size=exc.size, limit=exc.limit)
        return _media_refusal_record(
            message_id=message_id, code=too_large.code, text=too_large.message
        )
    except MediaHostRefused as exc:
        logger.warning("media of inbound message %s not fetched: %s", message_id, exc)
        return _media_refusal_record(
            message_id=message_id,
            code="host_not_allowed",
            text=_(
                "Il file non è stato scaricato: WhatsApp lo indicava su un indirizzo che non è "
                "dei suoi server."
            ),
        )
    except PERMANENT_FETCH_ERRORS as exc:
        return _media_refusal_record(
            message_id=message_id,
            code="unavailable",
            text=_("WhatsApp non ha fornito il file (%(error)s).") % {"error": exc},
        )

    # A random name: the citizen's file name never becomes a path.
    stored = FieldFile(message, message.media_file.field, None)
    stored.save(f"{uuid.uuid4().hex}{media_type.extension}", ContentFile(content), save=False)
    stored_name = str(stored.name)
    try:
        with transaction.atomic():
            locked = InboundMessage.objects.select_for_update().get(pk=message_id)
            if not _needs_download(locked):
                # Another run kept it first: ours is a spare copy.
                transaction.on_commit(lambda: stored.storage.delete(stored_name))
                return locked
            locked.media_file.name = stored_name
            locked.extra = {**locked.extra, "media_declared_mime_type": declared_mime_type}
            locked.media_mime_type = media_type.mime_type
            locked.save(update_fields=["media_file", "media_mime_type", "extra"])
    except DatabaseError:
        stored.storage.delete(stored_name)
        raise
    return locked


def _media_refusal_record(*, message_id: int, code: str, text: str) -> InboundMessage:
    with transaction.atomic():
        message = InboundMessage.objects.select_for_update().get(pk=message_id)
        if _needs_download(message):
            message.extra = {**message.extra, "media_error": text, "media_error_code": code}
            message.save(update_fields=["extra"])
    return message


def inbound_media_download_failed(*, message_id: int, error: str) -> InboundMessage:
    """Record that the fetch kept failing, so staff know the file will not come."""
    return _media_refusal_record(
        message_id=message_id,
        code="download_failed",
        text=_("Non è stato possibile scaricare il file da WhatsApp: %(error)s") % {"error": error},
    )


def inbound_media_download_later(*, message: InboundMessage) -> None:
    """Enqueue the download after the caller's commit: the gateway calls this when it stores a
    message with a media id, so the fetch runs within the URL's five minutes."""
    if not message.media_id:
        return
    from .media_tasks import inbound_media_fetch

    transaction.on_commit(lambda: inbound_media_fetch.delay(message.pk), robust=True)


# --- reading (the tickets app serves the file to staff who may see the ticket) ---------------
@dataclass(frozen=True)
class StoredMedia:
    file: FieldFile
    mime_type: str
    # A safe name for Content-Disposition, made from the message, not from the sender.
    download_name: str
    size: int


def inbound_media_get(*, message: InboundMessage) -> StoredMedia | None:
    """The kept file of a message, or None (no media, refused, or not downloaded yet). The
    caller checks that the user may see the message's ticket before opening it."""
    if not message.media_file:
        return None
    name = message.media_file.name or ""
    extension = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    return StoredMedia(
        file=message.media_file,
        mime_type=message.media_mime_type or "application/octet-stream",
        download_name=f"whatsapp-{message.pk}{extension}",
        size=message.media_file.size,
    )
