"""What the request (or the task) in progress is, for code that has no `request` at hand: the log
filter, the Celery publish signal, the audit trail's admin signal.

Context variables, not thread locals: each thread, and each asyncio task, sees its own."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

# What we accept from a proxy or a client: short and printable, so it cannot forge log lines.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@dataclass(frozen=True)
class Client:
    ip: str | None
    user_agent: str
    path: str = ""


request_id_var: ContextVar[str] = ContextVar("urp_request_id", default="")
client_var: ContextVar[Client | None] = ContextVar("urp_client", default=None)


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_accept(value: str | None) -> str:
    """The incoming X-Request-ID when it is a sane id, else a new one."""
    if value and _REQUEST_ID.match(value):
        return value
    return request_id_new()


def current_request_id() -> str:
    return request_id_var.get()


def current_client() -> Client | None:
    return client_var.get()


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address. Behind N trusted proxies (URP_PROXY_COUNT) it is the Nth
    address from the right of X-Forwarded-For: the ones further left are whatever the client
    wrote and cannot be trusted."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.URP_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]


def client_of(request: HttpRequest) -> Client:
    return Client(
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        path=request.path,
    )
