"""The screener: every rule run over a message, flags returned in text order.

Screening flags and never drops: the moderator decides. Rules:

- lexicon (offensive): insults and vulgar words, by word form (lexicon.py);
- discrimination: slurs (by word form) and attacks on groups (phrases);
- link (spam_links): links outside the comune's and public domains (links.py);
- tax_code, iban, phone, email (third_party_data): see identifiers.py for how the sender's
  own data is told from a third party's;
- fundraising, promotion, threat and defamation (defamation_threat), illegal, copyright,
  spam (spam_links): phrase lists (phrases.py), minus the hits inside a benign phrase
  ("raccolta differenziata", "sconto TARI", "offerta formativa", "dove si vota").

A promotion hit inside an illegal one ("vendo erba") is dropped: selling drugs is reported
once, as illegal.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from .config import DEFAULT_CONFIG, ScreeningConfig
from .flags import Flag
from .identifiers import find_personal_data, reason_for
from .lexicon import WordListMatcher
from .links import domain_matcher, find_links
from .normalisation import NormalisedText, normalise
from .phrases import compile_phrases

Screener = Callable[[str], list[Flag]]

# rule: (category, reason prefix shown to the moderator)
_PHRASE_RULES = {
    "fundraising": ("fundraising", "Raccolta fondi"),
    "promotion": ("promotion", "Promozione di prodotti, servizi o organizzazioni politiche"),
    "threat": ("defamation_threat", "Minaccia"),
    "defamation": ("defamation_threat", "Possibile diffamazione"),
    "discrimination": ("discrimination", "Attacco a un gruppo o a una minoranza"),
    "illegal": ("illegal", "Attività illegale"),
    "copyright": ("copyright", "Violazione del diritto d'autore o di marchi"),
    "spam": ("spam_links", "Spam"),
}


def build_screener(config: ScreeningConfig = DEFAULT_CONFIG) -> Screener:
    """Compile the config's rules once; the returned function screens one message."""
    insults = WordListMatcher(config.insults, config.proper_noun_homographs)
    slurs = WordListMatcher(config.slurs, config.proper_noun_homographs)
    is_allowed_host = domain_matcher(config.allowed_domains | config.public_domains)
    lists = {"gruppo": config.groups}
    phrase_patterns = {
        rule: compile_phrases(getattr(config, f"{rule}_phrases"), lists) for rule in _PHRASE_RULES
    }
    benign = compile_phrases(config.benign_phrases, lists)

    def flag(
        normalised: NormalisedText, rule: str, category: str, reason: str, start: int, end: int
    ) -> Flag:
        original_start, original_end = normalised.span(start, end)
        return Flag(rule, category, reason, original_start, original_end)

    def screen(text: str) -> list[Flag]:
        normalised = normalise(text)
        flags: list[Flag] = []
        for hit in insults.find(normalised):
            excerpt = normalised.excerpt(hit.start, hit.end)
            flags.append(
                flag(
                    normalised,
                    "lexicon",
                    "offensive",
                    f'Linguaggio offensivo: "{excerpt}"',
                    hit.start,
                    hit.end,
                )
            )
        for hit in slurs.find(normalised):
            excerpt = normalised.excerpt(hit.start, hit.end)
            flags.append(
                flag(
                    normalised,
                    "discrimination",
                    "discrimination",
                    f'Termine discriminatorio: "{excerpt}"',
                    hit.start,
                    hit.end,
                )
            )
        for link in find_links(normalised.text):
            if not is_allowed_host(link.host):
                flags.append(
                    flag(
                        normalised,
                        "link",
                        "spam_links",
                        f'Link a un sito esterno: "{link.host}"',
                        link.start,
                        link.end,
                    )
                )
        for item in find_personal_data(normalised, is_allowed_host):
            excerpt = normalised.excerpt(item.start, item.end)
            flags.append(
                flag(
                    normalised,
                    item.rule,
                    "third_party_data",
                    reason_for(item, excerpt),
                    item.start,
                    item.end,
                )
            )
        flags.extend(_phrase_flags(normalised))
        flags.sort(key=lambda item: (item.start, item.end, item.rule))
        return flags

    def _phrase_flags(normalised: NormalisedText) -> list[Flag]:
        text = normalised.text
        hits: list[tuple[str, int, int]] = []
        for rule, pattern in phrase_patterns.items():
            hits.extend((rule, *match.span()) for match in pattern.finditer(text))
        if not hits:
            return []
        benign_spans = [match.span() for match in benign.finditer(text)]
        illegal_spans = [(start, end) for rule, start, end in hits if rule == "illegal"]
        flags = []
        for rule, start, end in hits:
            if _overlaps(start, end, benign_spans):
                continue
            if rule == "promotion" and _overlaps(start, end, illegal_spans):
                continue
            category, prefix = _PHRASE_RULES[rule]
            excerpt = normalised.excerpt(start, end)
            flags.append(flag(normalised, rule, category, f'{prefix}: "{excerpt}"', start, end))
        return flags

    return screen


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in spans)


@lru_cache(maxsize=16)
def _cached_screener(config: ScreeningConfig) -> Screener:
    return build_screener(config)


def screen_text(text: str, config: ScreeningConfig = DEFAULT_CONFIG) -> list[Flag]:
    """The flags for one message; the compiled rules are cached per config."""
    return _cached_screener(config)(text)
