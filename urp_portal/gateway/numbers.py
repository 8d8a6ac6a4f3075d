"""Our WhatsApp numbers, as the gateway needs them: which webhooks are ours (the envelope's
filter), and which number and credentials a comune's message leaves with.

The gateway stands on the municipality (the ground): the numbers are bound to comuni there
(municipality.WhatsAppNumber); here they become plain values for the adapters, which never read
the database themselves.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings

from urp_portal.municipality.models import Municipality, WhatsAppNumber
from urp_portal.municipality.sealed import unseal
from urp_portal.municipality.selectors import phone_number_id_is_ours, whatsapp_number_of

# A comune's sending number and token are read once per process per this many seconds: every
# send would otherwise add a query. A token changed in the database is used within this long.
SENDER_CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class SendingNumber:
    """The number a message leaves from and what opens it: plain values for the adapter.
    Empty token / business account id: the deployment's own (WHATSAPP_*)."""

    phone_number_id: str
    access_token: str = ""
    business_account_id: str = ""


class OurPhoneNumberIds:
    """The phone number ids whose webhooks we process, asked one at a time (the deployment's
    own number without a query): passed to the envelope's parser as its `our_phone_number_ids`."""

    def __contains__(self, phone_number_id: object) -> bool:
        return phone_number_id_is_ours(str(phone_number_id))

    def __bool__(self) -> bool:
        # Always a filter: membership itself says "all" while nothing is configured.
        return True

    def __iter__(self) -> Iterator[str]:
        own = str(settings.WHATSAPP_PHONE_NUMBER_ID or "")
        bound = set(WhatsAppNumber.objects.values_list("phone_number_id", flat=True))
        return iter(sorted(bound | ({own} if own else set())))

    def __len__(self) -> int:
        return len(list(iter(self)))


_senders: dict[int, tuple[float, SendingNumber | None]] = {}


def sending_number_for(comune_id: int | None) -> SendingNumber | None:
    """The number a comune's messages leave from; None for the deployment's own (a row with no
    comune, or a comune with no number bound: the single-comune deployment)."""
    if comune_id is None:
        return None
    now = time.monotonic()
    cached = _senders.get(comune_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    number = whatsapp_number_of(comune_id=comune_id)
    sender = (
        SendingNumber(
            phone_number_id=number.phone_number_id,
            access_token=unseal(number.access_token_sealed),
            business_account_id=number.business_account_id,
        )
        if number is not None
        else None
    )
    _senders[comune_id] = (now + SENDER_CACHE_SECONDS, sender)
    return sender


def forget_sending_numbers() -> None:
    """Drop the cache (after a number is bound or its token changed in this process; tests)."""
    _senders.clear()
    _portfolios.clear()


# comune id -> (until when, the comuni sharing its messaging limit, whether the active one is
# among them): asked by every campaign batch, three times; a number moved to another WABA is
# seen within SENDER_CACHE_SECONDS, as a changed token is.
_portfolios: dict[int, tuple[float, tuple[int, ...], bool]] = {}


def portfolio_of(comune: Municipality) -> tuple[tuple[int, ...], bool]:
    """The comuni whose sends count against `comune`'s messaging limit, and whether the active
    comune is one of them: those whose numbers are in its WABA (the deployment's own WABA for
    the active comune without a number of its own), itself always (gateway/reach.py)."""
    now = time.monotonic()
    cached = _portfolios.get(comune.pk)
    if cached is not None and cached[0] > now:
        return cached[1], cached[2]
    active = Municipality.objects.filter(is_active=True).values_list("pk", flat=True).first()
    own_waba = str(settings.WHATSAPP_BUSINESS_ACCOUNT_ID or "")
    number = whatsapp_number_of(comune_id=comune.pk)
    if number is not None:
        waba = number.business_account_id
    else:
        waba = own_waba if comune.pk == active else ""
    ids = {comune.pk}
    if waba:
        ids |= set(
            WhatsAppNumber.objects.filter(business_account_id=waba).values_list(
                "comune_id", flat=True
            )
        )
        # The active comune sends from the deployment's own number unless it has one bound.
        if (
            active is not None
            and waba == own_waba
            and not WhatsAppNumber.objects.filter(comune_id=active).exists()
        ):
            ids.add(active)
    group = tuple(sorted(ids))
    with_active = active is not None and active in ids
    _portfolios[comune.pk] = (now + SENDER_CACHE_SECONDS, group, with_active)
    return group, with_active


def other_app_secrets() -> list[str]:
    """The app secrets of numbers on another Meta app than the deployment's (few, often none):
    a webhook not signed with WHATSAPP_APP_SECRET may be signed with one of these."""
    sealed = (
        WhatsAppNumber.objects.exclude(app_secret_sealed="")
        .values_list("app_secret_sealed", flat=True)
        .distinct()
    )
    return [unseal(value) for value in sealed]
