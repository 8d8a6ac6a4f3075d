"""Secrets kept in the database (a comune's access token, its app secret) sealed with a key
from the environment: a copy of the database (a backup, a dump handed to a developer) does not
carry working credentials.

Fernet (the `cryptography` library: AES-128-CBC with an HMAC-SHA256, a timestamp, a version)
rather than anything hand-written: authenticated, so a tampered value fails instead of
decrypting to garbage. `URP_SECRETS_KEY` holds one key or several, comma-separated: the first
seals, every one opens, so a key is rotated by putting the new one first and running
`whatsapp_numbers_reseal` (services.py) before removing the old. A key is any string of at least 32
characters (derived to Fernet's 32 bytes with SHA-256); with DEBUG and no key, one is derived
from SECRET_KEY for the demo. Without DEBUG and without a key, sealing refuses: a production
secret has no default.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MIN_KEY_LENGTH = 32


class SealBroken(Exception):
    """A sealed value none of the configured keys opens (the key was changed or lost)."""


def _fernet_key(text: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest())


def _keys() -> list[str]:
    keys = [k.strip() for k in settings.URP_SECRETS_KEY if k.strip()]
    if not keys:
        if not settings.DEBUG:
            raise ImproperlyConfigured(
                "URP_SECRETS_KEY must be set to keep a comune's WhatsApp token in the database."
            )
        keys = ["development-only:" + str(settings.SECRET_KEY)]
    short = [k for k in keys if len(k) < MIN_KEY_LENGTH]
    if short:
        raise ImproperlyConfigured(
            f"URP_SECRETS_KEY: every key needs at least {MIN_KEY_LENGTH} characters."
        )
    return keys


def _box() -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(k)) for k in _keys()])


def seal(plain: str) -> str:
    """The sealed form of a secret ("" stays "": nothing to keep)."""
    if not plain:
        return ""
    return _box().encrypt(plain.encode()).decode()


def unseal(sealed: str) -> str:
    if not sealed:
        return ""
    try:
        return _box().decrypt(sealed.encode()).decode()
    except InvalidToken as exc:
        raise SealBroken("no key of URP_SECRETS_KEY opens this secret") from exc


def reseal(sealed: str) -> str:
    """The same secret sealed with the first key (after a rotation)."""
    if not sealed:
        return ""
    try:
        return _box().rotate(sealed.encode()).decode()
    except InvalidToken as exc:
        raise SealBroken("no key of URP_SECRETS_KEY opens this secret") from exc
