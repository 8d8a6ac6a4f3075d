"""The comune a unit of broadcast work runs for (issue #24): a campaign's batches, its start,
a template's submission run in the scope of the comune that owns the row, so its subscribers,
its number and token, its quiet hours and its reach are the ones used
(urp_portal/municipality/scope.py)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from urp_portal.gateway.numbers import SendingNumber, sending_number_for
from urp_portal.municipality.models import Municipality, WhatsAppNumber
from urp_portal.municipality.scope import (
    comune_scope,
    current_comune,
    owned_by,
    serves_other_comuni,
)
from urp_portal.municipality.selectors import CONFIGURATION_RELATIONS, municipality_for_scope


def _comune_of(model: type[models.Model], pk: int) -> Municipality | None:
    """The comune owning row `pk` of `model`, loaded for a scope; None: no scope is needed (a
    single comune's row, or no such row: the service says so itself)."""
    found = list(model.all_comuni.filter(pk=pk).values_list("comune_id", flat=True)[:1])  # type: ignore[attr-defined]
    if not found:
        return None
    if found[0] is not None:
        return municipality_for_scope(comune_id=found[0])
    if not serves_other_comuni():
        # One comune: run unscoped, exactly as before the tenancy.
        return None
    # No comune: the active comune's row (made before the tenancy).
    return (
        Municipality.objects.filter(is_active=True)
        .prefetch_related(*CONFIGURATION_RELATIONS)
        .first()
    )


@contextmanager
def row_comune_scope(model: type[models.Model], pk: int) -> Iterator[Municipality | None]:
    """Run the block in the scope of the comune owning the row (already inside a scope: that
    one, the caller's choice, e.g. a periodic task's turn)."""
    if current_comune() is not None:
        yield current_comune()
        return
    with comune_scope(_comune_of(model, pk)) as comune:
        yield comune


def template_account(template: Any) -> SendingNumber | None:
    """The WhatsApp Business Account a template lives in, as the adapter takes it: its comune's
    number (WABA id and token); None for the active comune's (with no comune, or no number of
    its own): the deployment's WHATSAPP_BUSINESS_ACCOUNT_ID, as before. Another comune with no
    number gets an account without a WABA, which the adapter refuses: never the deployment's."""
    if template.comune_id is None:
        return None
    account = sending_number_for(template.comune_id)
    if account is not None:
        return account
    if Municipality.objects.filter(pk=template.comune_id, is_active=True).exists():
        return None
    return SendingNumber(phone_number_id="")


def account_kwargs(call: Any, account: SendingNumber | None) -> dict[str, Any]:
    """`account=` for an adapter call that takes it (Meta's); none for one that does not
    (Twilio's Content API: the deployment's one Twilio account) or for the deployment's own."""
    if account is None:
        return {}
    try:
        takes = "account" in inspect.signature(call).parameters
    except (TypeError, ValueError):
        takes = False
    return {"account": account} if takes else {}


def waba_templates(business_account_id: str) -> Q:
    """The templates a provider's word about WABA `business_account_id` may be about: those of
    the comuni whose number is in that WABA, and the active comune's when it is the deployment's
    own WABA (or the provider does not say). One comune: every template, as before."""
    if not serves_other_comuni():
        return Q()
    comuni = WhatsAppNumber.objects.filter(business_account_id=business_account_id).values(
        "comune_id"
    )
    mine = Q(comune__in=comuni) if business_account_id else Q(pk__in=[])
    own = str(settings.WHATSAPP_BUSINESS_ACCOUNT_ID or "")
    if not business_account_id or business_account_id == own:
        active = Municipality.objects.filter(is_active=True).first()
        mine |= owned_by(active) if active is not None else Q(comune__isnull=True)
    return mine
