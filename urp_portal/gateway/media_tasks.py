"""The inbound media download task (imported by tasks.py, so Celery's autodiscovery finds it)."""

import random

from celery import shared_task

from .media import TRANSIENT_FETCH_ERRORS, inbound_media_download, inbound_media_download_failed

# Meta's media URL lives five minutes: 2 + 4 + 8 + 16 s of backoff (plus jitter) stay within it.
MAX_RETRIES = 4


@shared_task(bind=True, max_retries=MAX_RETRIES)
def inbound_media_fetch(self, message_id: int) -> None:
    try:
        inbound_media_download(message_id=message_id)
    except TRANSIENT_FETCH_ERRORS as exc:
        if self.request.retries >= MAX_RETRIES:
            inbound_media_download_failed(message_id=message_id, error=str(exc))
            return
        jitter = random.random()  # noqa: S311  (spreads retries; not a secret)
        raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1) + jitter) from exc
