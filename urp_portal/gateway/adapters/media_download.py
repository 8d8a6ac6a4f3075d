"""Downloading a provider's media file without giving our credentials away or reading too much.

The Cloud API's media lookup answers with a URL that wants our bearer token. Whoever can
influence that answer (a compromised proxy, a bug, a crafted simulator) must not receive the
token: the URL must be https on one of the provider's hosts (an allow-list per adapter), and a
redirect is never followed with the token. The size is checked twice: from what the provider
declares before anything is read, and while streaming, stopping as soon as the cap is passed,
so a 20 MB answer costs us one chunk past the limit, not 20 MB of memory.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from urllib.parse import urljoin, urlsplit

import requests

from .base import MediaHostRefused, MediaTooLarge, TransientSendError

CHUNK_BYTES = 64 * 1024


def url_check(url: str, *, allowed_hosts: Collection[str], plain_http_origins: Collection[str]):
    """MediaHostRefused unless `url` is https on an allowed host, or starts with one of
    `plain_http_origins` (the configured Graph URL's own origin: the fake Graph API of the
    tests and the simulator, which are plain http on loopback)."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    if origin in plain_http_origins:
        return
    if parts.scheme != "https":
        raise MediaHostRefused(code="host_not_allowed", message=f"media URL not https: {origin}")
    if (parts.hostname or "").lower() not in allowed_hosts:
        raise MediaHostRefused(
            code="host_not_allowed", message=f"media URL on a host not allowed: {parts.hostname}"
        )


def declared_size_check(size: object, *, limit: int) -> None:
    try:
        declared = int(size)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return
    if declared > limit:
        raise MediaTooLarge(size=declared, limit=limit)


def download_capped(
    session: requests.Session,
    url: str,
    *,
    headers: Mapping[str, str],
    limit: int,
    timeout: tuple[float, float],
    auth: tuple[str, str] | None = None,
    redirect_without_credentials: bool = False,
    plain_http_origins: Collection[str] = (),
) -> requests.Response:
    """GET `url` with our credentials (`headers`, `auth`), its body read up to `limit` bytes
    (then MediaTooLarge); the returned response's `content` is the whole file. A redirect is
    refused, or with `redirect_without_credentials` (Twilio's signed CDN URLs) followed once,
    over https, with no credentials at all. The caller checks the URL first (url_check) and
    the status after."""
    response = _get(session, url, headers=headers, auth=auth, timeout=timeout)
    if 300 <= response.status_code < 400:
        location = response.headers.get("Location", "")
        response.close()
        if not (redirect_without_credentials and location):
            raise MediaHostRefused(
                code="redirect",
                message=f"media download redirected ({response.status_code}), not followed",
            )
        target = urljoin(url, location)
        parts = urlsplit(target)
        if parts.scheme != "https" and f"{parts.scheme}://{parts.netloc}" not in plain_http_origins:
            raise MediaHostRefused(code="host_not_allowed", message="redirect to a non-https URL")
        response = _get(session, target, headers={}, auth=None, timeout=timeout)
        if 300 <= response.status_code < 400:
            response.close()
            raise MediaHostRefused(code="redirect", message="media download redirected twice")
    with response:
        if response.status_code >= 300:
            response._content = response.raw.read(CHUNK_BYTES) if response.raw else b""
            return response
        declared_size_check(response.headers.get("Content-Length"), limit=limit)
        received = bytearray()
        try:
            for chunk in response.iter_content(CHUNK_BYTES):
                received += chunk
                if len(received) > limit:
                    raise MediaTooLarge(size=None, limit=limit)
        except requests.RequestException as exc:
            raise TransientSendError(code="network", message=str(exc)) from exc
        # What requests would have read itself without stream=True.
        response._content = bytes(received)
    return response


def _get(
    session: requests.Session,
    url: str,
    *,
    headers: Mapping[str, str],
    auth: tuple[str, str] | None,
    timeout: tuple[float, float],
) -> requests.Response:
    try:
        return session.get(
            url,
            headers=dict(headers),
            auth=auth,
            timeout=timeout,
            stream=True,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise TransientSendError(code="network", message=str(exc)) from exc
