"""Each comune's published policy: given from its preset when the comune is added, edited by
its administrators."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max

from urp_portal.municipality.models import Municipality
from urp_portal.municipality.scope import comune_scope

from ..models import AllowedDomain, LexiconEntry, ModerationSettings, PolicyCategory
from ..presets import COMUNE_SITES, DEFAULT_RULES, POLICIES
from ..screening.config import SEED_INSULTS, SEED_PUBLIC_DOMAINS, SEED_SLURS, read_list
from ..selectors import lists_owner, screener_forget, screening_version_raise
from ..states import LexiconKind


@transaction.atomic
def moderation_policy_give(*, comune: Municipality, preset: str) -> int:
    """A comune added from a preset beside the active one (`load_preset --comune`, the
    provider's new comune) gets that preset's policy rules (presets.py), the seed lexicon, the
    public administration's domains and its own site, and its settings row. What it already
    holds is left alone, so loading the preset again changes nothing and its moderators' edits
    stay. The active comune is given nothing: its lists are the rows without `comune`, which it
    already has. Returns how many rows were made."""
    if comune.is_active:
        return 0
    # all_comuni throughout: load_preset runs outside any comune's scope.
    held_codes = set(PolicyCategory.all_comuni.filter(comune=comune).values_list("code", flat=True))
    rules = [
        PolicyCategory(
            comune=comune,
            code=rule.code,
            label=rule.label,
            policy_text=rule.policy_text,
            may_be_reported=rule.may_be_reported,
            position=position,
        )
        for position, rule in enumerate(POLICIES.get(preset, DEFAULT_RULES), start=1)
        if rule.code not in held_codes
    ]
    held_words = set(LexiconEntry.all_comuni.filter(comune=comune).values_list("word", "kind"))
    words = [
        LexiconEntry(comune=comune, word=word, kind=kind)
        for word, kind in dict.fromkeys(
            (" ".join(word.lower().split()), kind)
            for kind, name in ((LexiconKind.INSULT, SEED_INSULTS), (LexiconKind.SLUR, SEED_SLURS))
            for word in read_list(name)
        )
        if (word, kind) not in held_words
    ]
    held_domains = set(
        AllowedDomain.all_comuni.filter(comune=comune).values_list("domain", flat=True)
    )
    wanted = {
        domain.lower(): "Pubblica amministrazione o mappe"
        for domain in read_list(SEED_PUBLIC_DOMAINS)
    }
    if preset in COMUNE_SITES:
        site, note = COMUNE_SITES[preset]
        wanted[site] = note
    domains = [
        AllowedDomain(comune=comune, domain=domain, note=note)
        for domain, note in wanted.items()
        if domain not in held_domains
    ]
    PolicyCategory.all_comuni.bulk_create(rules)
    LexiconEntry.all_comuni.bulk_create(words)
    AllowedDomain.all_comuni.bulk_create(domains)
    ModerationSettings.all_comuni.get_or_create(comune=comune)
    made = len(rules) + len(words) + len(domains)
    if made:
        with comune_scope(comune):
            screening_version_raise()
    return made


@transaction.atomic
def policy_category_save(*, category: PolicyCategory) -> PolicyCategory:
    """A rule added, renamed or changed: the comune's screener is rebuilt, as it flags only the
    rules its policy names."""
    if category._state.adding and category.comune_id is None:
        category.comune = lists_owner()
    category.save()
    screening_version_raise()
    return category


@transaction.atomic
def policy_categories_delete(*, categories: Any) -> None:
    for category in categories:
        category.delete()
    screening_version_raise()


@transaction.atomic
def moderation_lists_owners_changed() -> None:
    """Another comune became the active one and rows moved (municipality_activate): the lists
    with no comune are now another comune's. Every settings row gets a version above any
    before, so no process screens with a screener compiled for the lists that were there."""
    top = ModerationSettings.all_comuni.aggregate(top=Max("screening_version"))["top"] or 0
    ModerationSettings.all_comuni.update(screening_version=top + 1)
    screener_forget()
