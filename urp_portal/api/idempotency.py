"""`Idempotency-Key` on writes: a retried POST gets the first answer and does nothing twice.

The record is inserted first, in the same transaction as the write, so two concurrent requests
with the same key cannot both do the work: the second one's insert waits on the unique index (on
SQLite, on the database lock) until the first commits, then finds the stored answer. A write that
fails rolls back with its record, so the retry runs it again."""

import functools
import hashlib
import json
import re
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from django.utils import timezone
from rest_framework.response import Response

from urp_portal.accounts.principals import principal_of

from .errors import IdempotencyKeyInvalid, IdempotencyKeyReused
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
# As long as a client may reasonably retry; then the key may be used again.
KEY_LIFETIME = timedelta(hours=24)
VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")
# Headers of the first answer worth giving again.
REPLAYED_HEADERS = ("Location",)


def _body_hash(request) -> str:
    try:
        raw = request._request.body
    except RawPostDataException:
        # Something read the stream already (a multipart parser): hash what it parsed instead.
        raw = json.dumps(request.data, sort_keys=True, default=str).encode()
    return hashlib.sha256(raw).hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body, status=record.response_status)
    for name, value in record.response_headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def idempotency_run(*, request, key: str, write):
    """The answer of `write()`, done at most once per (principal, key)."""
    if not VALID_KEY.fullmatch(key):
        raise IdempotencyKeyInvalid()
    principal = principal_of(request)
    owner: dict[str, Any] = (
        {"token": principal.token} if principal.token else {"user": principal.user}
    )
    if principal.token is None and principal.user is None:
        # No one to scope the key to (a view open to anonymous callers): nothing to remember.
        return write()
    fingerprint = {
        "method": request.method,
        "path": request.path[:500],
        "body_hash": _body_hash(request),
    }
    with transaction.atomic():
        IdempotencyRecord.objects.filter(
            **owner, key=key, created_at__lt=timezone.now() - KEY_LIFETIME
        ).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    **owner, key=key, **fingerprint, response_status=0
                )
        except IntegrityError:
            record = IdempotencyRecord.objects.get(**owner, key=key)
            if any(getattr(record, name) != value for name, value in fingerprint.items()):
                raise IdempotencyKeyReused() from None
            return _replay(record)
        response = write()
        if not 200 <= response.status_code < 300:
            # An answer that did nothing is not remembered: the retry is a new attempt.
            record.delete()
            return response
        record.response_status = response.status_code
        record.response_body = response.data
        record.response_headers = {
            name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)
        }
        record.save(update_fields=["response_status", "response_body", "response_headers"])
    return response


def idempotent_write(handler):
    """For a view's POST handler (or a viewset action): honours the Idempotency-Key header.

    Runs after authentication and permissions, so a refused request stores nothing."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        return idempotency_run(
            request=request, key=key, write=lambda: handler(view, request, *args, **kwargs)
        )

    wrapper.idempotent_write = True  # type: ignore[attr-defined]
    return wrapper


def idempotency_records_purge(*, now=None) -> int:
    """Forget keys older than their lifetime (for a periodic task); returns how many."""
    cutoff = (now or timezone.now()) - KEY_LIFETIME
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
