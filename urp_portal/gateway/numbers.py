"""Our WhatsApp numbers, as the gateway needs them: which webhooks are ours (the envelope's
filter), and which number and credentials a comune's message leaves with.

The gateway stands on the municipality (the ground): the numbers are bound to comuni there
(municipality.WhatsAppNumber); here they become plain values for the adapters, which never read
the database themselves.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class GroupAccounts:
    """What Meta knows a limit group by: the business portfolio ids and the WABA ids of its
    numbers (the deployment's own number's too where the active comune sends from it)."""

    business_portfolio_ids: tuple[str, ...] = ()
    business_account_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class MessagingLimitGroups:
    """The comuni served, partitioned by the messaging limit they share (one group per
    business portfolio as far as we know it), and the active comune's id."""

    groups: tuple[tuple[int, ...], ...]
    active_id: int | None
    # Per group (a key of `groups`): its portfolio and WABA ids.
    accounts: Mapping[tuple[int, ...], GroupAccounts] = field(default_factory=dict)

    def of(self, comune_id: int) -> tuple[int, ...]:
        for group in self.groups:
            if comune_id in group:
                return group
        return (comune_id,)

    def accounts_of(self, group: tuple[int, ...]) -> GroupAccounts:
        return self.accounts.get(group, GroupAccounts())


def messaging_limit_groups_of(
    numbers: Iterable[tuple[int, str, str]],
    *,
    active_id: int | None,
    own_business_account_id: str = "",
    own_business_portfolio_id: str = "",
) -> MessagingLimitGroups:
    """Group comuni by shared limit, from their numbers' (comune id, WABA id, portfolio id).
    Comuni are linked through a shared portfolio id and through a shared WABA (a WABA belongs
    to exactly one portfolio, so one WABA's comuni share a limit even where no portfolio id is
    recorded); the active comune without a number of its own sends from the deployment's
    number, in WHATSAPP_BUSINESS_ACCOUNT_ID and WHATSAPP_BUSINESS_PORTFOLIO_ID (either may be
    empty). Without any portfolio id this is exactly the grouping by WABA of before."""
    # Union-find over comuni ("c:<id>"), WABAs ("w:<id>") and portfolios ("p:<id>").
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def link(a: str, b: str) -> None:
        parent[root(a)] = root(b)

    def bind(comune_id: int, waba: str, portfolio: str) -> None:
        root(f"c:{comune_id}")
        if waba:
            link(f"c:{comune_id}", f"w:{waba}")
        if portfolio:
            link(f"c:{comune_id}", f"p:{portfolio}")

    comuni: set[int] = set()
    for comune_id, waba, portfolio in numbers:
        comuni.add(comune_id)
        bind(comune_id, waba, portfolio)
    if active_id is not None and active_id not in comuni:
        comuni.add(active_id)
        bind(active_id, own_business_account_id, own_business_portfolio_id)
    members: dict[str, list[int]] = {}
    for comune_id in comuni:
        members.setdefault(root(f"c:{comune_id}"), []).append(comune_id)
    ids: dict[str, tuple[set[str], set[str]]] = {}
    for node in list(parent):
        kind, _, value = node.partition(":")
        if kind in ("p", "w"):
            portfolios, wabas = ids.setdefault(root(node), (set(), set()))
            (portfolios if kind == "p" else wabas).add(value)
    accounts = {}
    for key, group in members.items():
        portfolios, wabas = ids.get(key, (set(), set()))
        accounts[tuple(sorted(group))] = GroupAccounts(
            business_portfolio_ids=tuple(sorted(portfolios)),
            business_account_ids=tuple(sorted(wabas)),
        )
    return MessagingLimitGroups(
        groups=tuple(sorted(accounts)), active_id=active_id, accounts=accounts
    )


def own_number_messaging_limit_groups(
    numbers: Iterable[tuple[int, str, str]], *, active_id: int | None
) -> MessagingLimitGroups:
    """messaging_limit_groups_of with the deployment's own number as the settings name it: the
    one place the sends (messaging_limit_groups) and the provider's health page read it."""
    return messaging_limit_groups_of(
        numbers,
        active_id=active_id,
        own_business_account_id=str(settings.WHATSAPP_BUSINESS_ACCOUNT_ID or ""),
        own_business_portfolio_id=str(settings.WHATSAPP_BUSINESS_PORTFOLIO_ID or ""),
    )


# The comuni grouped by the messaging limit they share (messaging_limit_groups), until when:
# asked by every campaign batch, three times; a number moved to another WABA or portfolio is
# seen within SENDER_CACHE_SECONDS, as a changed token is.
_portfolios: list[tuple[float, MessagingLimitGroups]] = []


def messaging_limit_groups() -> MessagingLimitGroups:
    """The deployment's grouping (messaging_limit_groups_of), two small queries per
    SENDER_CACHE_SECONDS per process."""
    now = time.monotonic()
    if _portfolios and _portfolios[0][0] > now:
        return _portfolios[0][1]
    grouping = own_number_messaging_limit_groups(
        WhatsAppNumber.objects.order_by("pk").values_list(
            "comune_id", "business_account_id", "business_portfolio_id"
        ),
        active_id=Municipality.objects.filter(is_active=True).values_list("pk", flat=True).first(),
    )
    _portfolios[:] = [(now + SENDER_CACHE_SECONDS, grouping)]
    return grouping


def portfolio_of(comune: Municipality) -> tuple[tuple[int, ...], bool]:
    """The comuni whose sends count against `comune`'s messaging limit, itself always, and
    whether the active comune is one of them (gateway/reach.py): those whose numbers share its
    business portfolio id where one is recorded, or its WABA, the deployment's own number
    standing for the active comune without one (messaging_limit_groups_of)."""
    grouping = messaging_limit_groups()
    group = grouping.of(comune.pk)
    return group, grouping.active_id is not None and grouping.active_id in group


def other_app_secrets() -> list[str]:
    """The app secrets of numbers on another Meta app than the deployment's (few, often none):
    a webhook not signed with WHATSAPP_APP_SECRET may be signed with one of these."""
    sealed = (
        WhatsAppNumber.objects.exclude(app_secret_sealed="")
        .values_list("app_secret_sealed", flat=True)
        .distinct()
    )
    return [unseal(value) for value in sealed]
