"""Screening wired into the product: the editable lists and the flags on inbound messages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from subscribers.models import Subscriber
from tickets.models import Message
from urp_portal.gateway.models import InboundMessage

from ..models import AllowedDomain, LexiconEntry, PolicyCategory, ScreeningFlag
from ..screening import Flag
from ..screening.config import SEED_INSULTS, SEED_PUBLIC_DOMAINS, SEED_SLURS, read_list
from ..selectors import lists_owner, screener_for, screening_version_raise
from ..states import LexiconKind
from .cases import case_open_for


def screening_lists_changed() -> None:
    """The running comune's lists changed: every process rebuilds its screener of that comune
    when it next looks at the version (within selectors.VERSION_CHECK_SECONDS); this one at its
    next message. Other comuni's screeners are left as they are."""
    screening_version_raise()


def _owned_by_the_running_comune(row: Any) -> None:
    # A row made in a comune's console is that comune's lists' (lists_owner; the active
    # comune's rows have none, as before the tenancy).
    if row._state.adding and row.comune_id is None:
        row.comune = lists_owner()


@transaction.atomic
def lexicon_entry_save(*, entry: LexiconEntry) -> LexiconEntry:
    entry.word = " ".join(entry.word.lower().split())
    _owned_by_the_running_comune(entry)
    entry.save()
    screening_lists_changed()
    return entry


@transaction.atomic
def lexicon_entries_delete(*, entries: Any) -> None:
    for entry in entries:
        entry.delete()
    screening_lists_changed()


@transaction.atomic
def allowed_domain_save(*, domain: AllowedDomain) -> AllowedDomain:
    value = domain.domain.strip().lower()
    for prefix in ("https://", "http://", "www."):
        value = value.removeprefix(prefix)
    domain.domain = value.split("/", 1)[0].rstrip(".")
    _owned_by_the_running_comune(domain)
    domain.save()
    screening_lists_changed()
    return domain


@transaction.atomic
def allowed_domains_delete(*, domains: Any) -> None:
    for domain in domains:
        domain.delete()
    screening_lists_changed()


@dataclass(frozen=True)
class SeedImport:
    words: list[str]
    domains: list[str]


@transaction.atomic
def screening_seed_import(*, dry_run: bool = False) -> SeedImport:
    """Add to the running comune's lists the seed files' words and domains they do not hold
    (config.py says why the database, not the files, is what a comune screens with). Nothing is
    changed or removed: a row a moderator switched off stays off; one they deleted comes back,
    which is why this runs only when someone asks (`manage.py moderation_seed_import`)."""
    owner = lists_owner()
    words = [
        (" ".join(word.lower().split()), kind)
        for kind, name in ((LexiconKind.INSULT, SEED_INSULTS), (LexiconKind.SLUR, SEED_SLURS))
        for word in read_list(name)
    ]
    held = set(LexiconEntry.objects.values_list("word", "kind"))
    new_words = [(word, kind) for word, kind in dict.fromkeys(words) if (word, kind) not in held]
    domains = [domain.lower() for domain in read_list(SEED_PUBLIC_DOMAINS)]
    held_domains = set(AllowedDomain.objects.values_list("domain", flat=True))
    new_domains = [domain for domain in dict.fromkeys(domains) if domain not in held_domains]
    if not dry_run and (new_words or new_domains):
        LexiconEntry.objects.bulk_create(
            [LexiconEntry(comune=owner, word=word, kind=kind) for word, kind in new_words]
        )
        AllowedDomain.objects.bulk_create(
            [
                AllowedDomain(comune=owner, domain=d, note="Pubblica amministrazione o mappe")
                for d in new_domains
            ]
        )
        screening_lists_changed()
    return SeedImport(words=[word for word, _kind in new_words], domains=new_domains)


def _reasons(flags: list[Flag]) -> list[dict]:
    return [
        {
            "rule": flag.rule,
            "category": flag.category,
            "reason": flag.reason,
            "start": flag.start,
            "end": flag.end,
        }
        for flag in flags
    ]


def moderation_note_text(reasons: list[dict]) -> str:
    """What the operators read on the badge: the reasons, each once."""
    return "; ".join(dict.fromkeys(item["reason"] for item in reasons))


def message_screen(
    *,
    message: InboundMessage,
    subscriber: Subscriber,
    municipality: Any,
    now: dt.datetime,
) -> tuple[ScreeningFlag | None, list[Flag]]:
    """Screen a citizen's text or caption; if a rule hits, the message joins the citizen's open
    case and waits in the moderation queue. Never stops the message. Call inside the pipeline's
    transaction (the citizen is locked by subscriber_touch_from_inbound)."""
    if not message.text.strip():
        return None, []
    hits = screener_for(municipality=municipality)(message.text)
    if not hits:
        return None, []
    case = case_open_for(subscriber=subscriber, now=now)
    flag, created = ScreeningFlag.objects.get_or_create(
        inbound=message,
        defaults={"case": case, "reasons": _reasons(hits), "flagged_at": now},
    )
    if created:
        flag.categories.set(PolicyCategory.objects.filter(code__in={hit.category for hit in hits}))
        case.messages.add(message)
        # A message already in a ticket (a re-run) gets its badge here; a new one when tickets
        # stores it (receivers.ticket_message_stored).
        Message.objects.filter(inbound=message).update(
            moderation_note=moderation_note_text(flag.reasons)
        )
    return flag, hits


def ticket_message_note_flag(*, message: Message) -> None:
    """Show the screening's reasons on the citizen's message in the operators' console."""
    reasons = (
        ScreeningFlag.objects.filter(inbound_id=message.inbound_id)
        .values_list("reasons", flat=True)
        .first()
    )
    if reasons:
        note = moderation_note_text(reasons)
        Message.objects.filter(pk=message.pk).update(moderation_note=note)
        message.moderation_note = note
