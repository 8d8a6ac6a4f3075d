"""Who must pass the TOTP second factor, and the device that gives it (django-otp).

Administrators (superusers included) and moderators must: they can change the comune's
configuration, block citizens and read evidence. Everyone else may enrol from the console, and
from then on passes it too."""

from __future__ import annotations

import base64
import io
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from .principals import ApiTokenUser
from .roles import GROUP_NAMES, PROVIDER_GROUP_NAME, Role

ROLES_THAT_MUST_ENROL = (Role.ADMINISTRATOR, Role.MODERATOR)
# The provider's administrators bind numbers and their secrets, and create every comune's first
# administrator: at least as much to guard as a comune's administrator.
GROUPS_THAT_MUST_ENROL = (
    *(GROUP_NAMES[role] for role in ROLES_THAT_MUST_ENROL),
    PROVIDER_GROUP_NAME,
)
DEVICE_NAME = "Console"


def user_needs_second_factor(user: Any) -> bool:
    """True for a console account that must pass the second factor: one that must enrol by role,
    or one that enrolled. One query, kept on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or isinstance(user, ApiTokenUser):
        return False
    cached = getattr(user, "_urp_needs_second_factor", None)
    if cached is None:
        cached = user.is_superuser or (
            get_user_model()
            .objects.filter(pk=user.pk)
            .filter(Q(groups__name__in=GROUPS_THAT_MUST_ENROL) | Q(totpdevice__confirmed=True))
            .exists()
        )
        user._urp_needs_second_factor = cached
    return cached


def user_must_enrol(user: Any) -> bool:
    """True while an account that needs the second factor has no confirmed device yet."""
    return not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_device_pending(*, user: Any) -> TOTPDevice:
    """The device being enrolled: the same key until it is confirmed, so reloading the page
    does not invalidate the code already scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def totp_device_confirm(*, device: TOTPDevice, token: str) -> bool:
    """Confirm an enrolment with the first code the app shows; the account's older devices are
    removed (one phone per account: a lost phone is replaced, not added)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not device.verify_token(token):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()
    return True


def totp_device_verify(*, user: Any, token: str) -> TOTPDevice | None:
    """The confirmed device that accepts `token`, or None. django-otp throttles each device:
    every failure doubles the wait before the next try is even checked."""
    with transaction.atomic():
        for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
            if device.verify_is_allowed()[0] and device.verify_token(token):
                return device
    return None


def totp_qr_data_uri(device: TOTPDevice) -> str:
    """The enrolment QR code as an inline SVG data URI: drawn here, fetched from nowhere."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def totp_secret_for_typing(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for an app that cannot scan."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def session_is_verified(session: Any) -> bool:
    return bool(session.get(DEVICE_ID_SESSION_KEY))
