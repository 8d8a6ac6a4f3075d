"""Moderation's reads: who may act, the screener built from the database, the queue, a citizen's
history and the monthly counts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db.models import Count, F, Prefetch, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from urp_portal.accounts.roles import GROUP_NAMES, Role
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.scope import current_comune

from .models import (
    AllowedDomain,
    Block,
    LexiconEntry,
    ModerationAction,
    ModerationCase,
    ModerationSettings,
    PolicyCategory,
    ScreeningFlag,
)
from .screening import (
    CATEGORY_CODES,
    DEFAULT_CONFIG,
    Flag,
    Screener,
    ScreeningConfig,
    build_screener,
)
from .states import ActionKind, CaseState, LexiconKind


def user_may_moderate(user: Any) -> bool:
    """Moderators and administrators act on messages and citizens; operators only read tickets.
    Kept on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_urp_may_moderate", None)
    if cached is None:
        cached = user.is_superuser or (
            user.groups.filter(
                name__in=[GROUP_NAMES[Role.MODERATOR], GROUP_NAMES[Role.ADMINISTRATOR]]
            ).exists()
        )
        user._urp_may_moderate = cached
    return cached


def lists_owner() -> Municipality | None:
    """The comune whose moderation lists, policy and settings the running scope works with: a
    comune served beside the active one has rows of its own; the active comune (and a
    single-comune deployment, unscoped) has the rows without `comune`, as before the tenancy.
    New rows are made for it (services), and the screener is cached per it."""
    comune = current_comune()
    if comune is None or comune.is_active:
        return None
    return comune


def moderation_settings_get() -> ModerationSettings:
    """The running comune's settings row (lists_owner), made on first use: the active
    comune's is the one without `comune` (pk=1, made by migration 0004)."""
    owner = lists_owner()
    settings = _settings_row(owner.pk if owner is not None else None).first()
    if settings is None:
        settings, _created = ModerationSettings.all_comuni.get_or_create(comune=owner)
    return settings


# --- the screener ---------------------------------------------------------------------------------


def _settings_row(owner_id: int | None) -> QuerySet[ModerationSettings]:
    # The active comune's row has no comune; (comune) is unique for the others.
    if owner_id is None:
        return ModerationSettings.all_comuni.filter(comune__isnull=True).order_by("pk")
    return ModerationSettings.all_comuni.filter(comune_id=owner_id)


def screening_version(*, owner_id: int | None = None) -> int:
    """The number every change to a comune's lists raises: one indexed read."""
    version = _settings_row(owner_id).values_list("screening_version", flat=True).first()
    return version or 0


def screening_version_raise() -> None:
    """The running comune's lists changed: every process rebuilds its screener of that comune
    (and of no other) when it next looks at the version, within VERSION_CHECK_SECONDS; this one
    at its next message."""
    owner = lists_owner()
    owner_id = owner.pk if owner is not None else None
    if not _settings_row(owner_id).update(screening_version=F("screening_version") + 1):
        ModerationSettings.all_comuni.get_or_create(comune=owner, defaults={"screening_version": 2})
    screener_forget(owner_id=owner_id)


def municipality_domains(municipality: Any) -> frozenset[str]:
    """The comune's own web and mail domains: links to them are never flagged."""
    if municipality is None:
        return frozenset()
    domains = set()
    if municipality.channel_web:
        host = urlsplit(municipality.channel_web).hostname or ""
        domains.add(host.removeprefix("www."))
    for address in (municipality.channel_email, municipality.channel_pec):
        if address and "@" in address:
            domains.add(address.rsplit("@", 1)[1].lower())
    return frozenset(domain for domain in domains if "." in domain)


def screening_config_from_database(*, municipality: Any = None) -> ScreeningConfig:
    """The running comune's lexicon and allowed domains (the scoped managers read its rows)."""
    insults: set[str] = set()
    slurs: set[str] = set()
    for word, kind in LexiconEntry.objects.filter(is_active=True).values_list("word", "kind"):
        (slurs if kind == LexiconKind.SLUR else insults).add(word)
    domains = set(AllowedDomain.objects.filter(is_active=True).values_list("domain", flat=True))
    return dataclasses.replace(
        DEFAULT_CONFIG,
        insults=frozenset(insults),
        slurs=frozenset(slurs),
        allowed_domains=frozenset(domains) | municipality_domains(municipality),
        # The public administration's sites are rows of AllowedDomain, editable like the rest.
        public_domains=frozenset(),
    )


def _policy_screener(screen: Screener, codes: frozenset[str]) -> Screener:
    """A comune flags only what its published policy names (Assemini's has no spam rule):
    the screener's hits of other categories are left out."""
    if codes >= frozenset(CATEGORY_CODES):
        return screen

    def screen_by_policy(text: str) -> list[Flag]:
        return [hit for hit in screen(text) if hit.category in codes]

    return screen_by_policy


def screener_build(*, municipality: Any = None) -> Screener:
    """The running comune's screener: its lists compiled, narrowed to its policy's rules."""
    codes = frozenset(PolicyCategory.objects.values_list("code", flat=True))
    config = screening_config_from_database(municipality=municipality)
    return _policy_screener(build_screener(config), codes)


@dataclass
class _BuiltScreener:
    key: tuple[int, frozenset[str]]
    screen: Screener
    # time.time() of the last look at the version in the database.
    checked_at: float


# Per process and per comune whose lists they are (lists_owner's id; None: the active comune's):
# compiling the lists takes milliseconds, screening a message microseconds.
_built: dict[int | None, _BuiltScreener] = {}

# How often a process asks the database whether a comune's lists changed. A query per message
# would cost more than the screening itself (0.2-0.6 ms against 0.1 ms); an administrator's
# edit reaches every worker within this time (the editing process itself at once).
VERSION_CHECK_SECONDS = 2.0


def screener_for(*, municipality: Any = None) -> Screener:
    """The screener of the running comune's lists in the database, rebuilt in this process when
    another one (an administrator's edit in the web process) raised that comune's version."""
    owner = lists_owner()
    owner_id = owner.pk if owner is not None else None
    domains = municipality_domains(municipality)
    built = _built.get(owner_id)
    now = time.time()
    if (
        built is not None
        and built.key[1] == domains
        and now - built.checked_at < (VERSION_CHECK_SECONDS)
    ):
        return built.screen
    key = (screening_version(owner_id=owner_id), domains)
    if built is None or built.key != key:
        built = _BuiltScreener(key, screener_build(municipality=municipality), now)
        _built[owner_id] = built
    built.checked_at = now
    return built.screen


_EVERY_COMUNE = object()


def screener_forget(*, owner_id: Any = _EVERY_COMUNE) -> None:
    """Drop this process's screener of one comune (lists_owner's id; None: the active
    comune's), or, with no argument, of every comune (tests that rewrite the lists outside
    the services)."""
    if owner_id is _EVERY_COMUNE:
        _built.clear()
    else:
        _built.pop(owner_id, None)


# --- the queue and the history --------------------------------------------------------------------


def flag_list() -> QuerySet[ScreeningFlag]:
    return (
        ScreeningFlag.objects.select_related("inbound", "case__subscriber", "reviewed_by")
        .prefetch_related("categories")
        .order_by("-flagged_at", "-pk")
    )


def open_cases_for(*, subscriber: Any) -> list[ModerationCase]:
    return list(
        ModerationCase.objects.filter(subscriber=subscriber, state=CaseState.OPEN).order_by(
            "opened_at"
        )
    )


@dataclass
class CitizenHistory:
    cases: list[ModerationCase]
    actions: list[ModerationAction]
    flags: list[ScreeningFlag]
    blocks: list[Block]


def citizen_history(*, subscriber: Any) -> CitizenHistory:
    """Everything moderation did and found about one citizen, newest first; a fixed number of
    queries."""
    categories = Prefetch("categories", queryset=PolicyCategory.objects.order_by("position"))
    return CitizenHistory(
        cases=list(ModerationCase.objects.filter(subscriber=subscriber).order_by("-opened_at")),
        actions=list(
            ModerationAction.objects.filter(subscriber=subscriber)
            .select_related("actor", "inbound", "case")
            .prefetch_related(categories)
            .order_by("-at", "-pk")
        ),
        flags=list(
            ScreeningFlag.objects.filter(case__subscriber=subscriber)
            .select_related("inbound", "reviewed_by")
            .prefetch_related(categories)
            .order_by("-flagged_at", "-pk")
        ),
        blocks=list(
            Block.objects.filter(subscriber=subscriber)
            .select_related("lifted_by")
            .order_by("-starts_at", "-pk")
        ),
    )


# The actions that apply the policy (what the monthly counts count): not their reversals.
SANCTIONS = (ActionKind.REMOVE, ActionKind.WARN, ActionKind.BLOCK, ActionKind.REPORT)


@dataclass
class MonthlyCounts:
    months: list[dt.date]
    categories: list[PolicyCategory]
    # (month, category id) -> (flags, sanctions)
    cells: dict[tuple[dt.date, int], tuple[int, int]]

    def rows(self) -> list[tuple[PolicyCategory, list[tuple[int, int]]]]:
        return [
            (category, [self.cells.get((month, category.pk), (0, 0)) for month in self.months])
            for category in self.categories
        ]


def _month(value: dt.date | dt.datetime) -> dt.date:
    return dt.date(value.year, value.month, 1)


def counts_per_category_per_month(*, since: dt.datetime | None = None) -> MonthlyCounts:
    """Flags and sanctions per policy category per month (Rome time): three queries."""
    since = since or (timezone.now() - dt.timedelta(days=365))
    tz = timezone.get_current_timezone()
    flags = (
        ScreeningFlag.categories.through.objects.filter(screeningflag__flagged_at__gte=since)
        .values("policycategory_id", month=TruncMonth("screeningflag__flagged_at", tzinfo=tz))
        .annotate(n=Count("pk"))
    )
    sanctions = (
        ModerationAction.categories.through.objects.filter(
            moderationaction__at__gte=since, moderationaction__kind__in=SANCTIONS
        )
        .values("policycategory_id", month=TruncMonth("moderationaction__at", tzinfo=tz))
        .annotate(n=Count("pk"))
    )
    cells: dict[tuple[dt.date, int], tuple[int, int]] = {}
    for row in flags:
        key = (_month(row["month"]), row["policycategory_id"])
        cells[key] = (row["n"], cells.get(key, (0, 0))[1])
    for row in sanctions:
        key = (_month(row["month"]), row["policycategory_id"])
        cells[key] = (cells.get(key, (0, 0))[0], row["n"])
    months = sorted({month for month, _category in cells}, reverse=True)
    return MonthlyCounts(months=months, categories=list(PolicyCategory.objects.all()), cells=cells)
