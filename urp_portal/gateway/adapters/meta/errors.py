"""What a Graph API error answer means for a send: retry later, never retry, or slow down for
this recipient (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes)."""

from __future__ import annotations

import requests

from ..base import (
    PairRateLimitError,
    PermanentSendError,
    SendError,
    TransientSendError,
)

# Graph error codes (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).
# Throttling and Meta-side trouble: the same request later may succeed.
TRANSIENT_CODES = {
    "1",  # API unknown
    "2",  # API service temporarily unavailable
    "4",  # application request limit
    "80007",  # WABA rate limit
    "130429",  # Cloud API throughput reached
    "131000",  # something went wrong
    "131016",  # service unavailable
    "133004",  # server temporarily unavailable
}
PAIR_RATE_CODES = {"131056"}  # too many messages to this recipient in a short time
# Codes Meta documents as needing a change before a retry can succeed; anything unknown with a
# 4xx status is treated the same, so that a message is never retried forever.
PERMANENT_CODES = {
    "100",  # invalid parameter
    "190",  # access token expired
    "368",  # temporarily blocked for policy violations
    "131026",  # message undeliverable
    "131047",  # re-engagement: the 24-hour window is closed
    "131051",  # unsupported message type
    "131052",  # media download error
    "131053",  # media upload error
    "132000",  # template parameter count mismatch
    "132001",  # template does not exist
}


def graph_error(response: requests.Response) -> tuple[str, str]:
    """(code, message) of a Graph error answer; the HTTP status when the body says nothing."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = str(error.get("code") or response.status_code)
    details = (error.get("error_data") or {}).get("details") or ""
    message = error.get("message") or response.reason or ""
    if details and details not in message:
        message = f"{message}: {details}" if message else details
    return code, message


def classify_error(response: requests.Response) -> SendError:
    code, message = graph_error(response)
    if code in PAIR_RATE_CODES:
        return PairRateLimitError(code=code, message=message)
    if code == "131047":
        return PermanentSendError(
            code=code,
            message=f"{message} (finestra di 24 ore chiusa: usare un modello approvato)",
        )
    if code in PERMANENT_CODES:
        return PermanentSendError(code=code, message=message)
    if code in TRANSIENT_CODES or response.status_code == 429 or response.status_code >= 500:
        return TransientSendError(code=code, message=message)
    return PermanentSendError(code=code, message=message)
