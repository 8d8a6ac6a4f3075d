"""What the screener looks for: word lists, phrase lists and the comune's own domains.

The defaults are read once from the text files in data/, which moderators can read; a comune
changes them by building its own ScreeningConfig (dataclasses.replace(DEFAULT_CONFIG, ...)).

The source of truth differs by list. The phrase lists below are read from their files by every
process: a file edit is live at the next start. The insults, the slurs and the public domains
are SEEDS (data/seed/): they filled the database once, and from then on the database's rows,
edited in the admin, are what a running comune screens with (selectors.screener_for); their
files are only the tests' defaults and new databases' start, re-imported into an existing
database only deliberately (`manage.py moderation_seed_import`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_DATA = Path(__file__).with_name("data")


def read_list(name: str) -> tuple[str, ...]:
    """The entries of a data file: one per line, blank lines and # comments skipped."""
    lines = (_DATA / name).read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


# Copied into the database (LexiconEntry, AllowedDomain); see the module's docstring.
SEED_INSULTS = "seed/insults_it.txt"
SEED_SLURS = "seed/slurs_it.txt"
SEED_PUBLIC_DOMAINS = "seed/public_domains.txt"

DEFAULT_INSULTS = frozenset(read_list(SEED_INSULTS))
DEFAULT_SLURS = frozenset(read_list(SEED_SLURS))
DEFAULT_HOMOGRAPHS = frozenset(read_list("homographs_it.txt"))
DEFAULT_GROUPS = read_list("groups_it.txt")
DEFAULT_PUBLIC_DOMAINS = frozenset(read_list(SEED_PUBLIC_DOMAINS))
DEFAULT_FUNDRAISING_PHRASES = read_list("fundraising_it.txt")
DEFAULT_PROMOTION_PHRASES = read_list("promotion_it.txt")
DEFAULT_THREAT_PHRASES = read_list("threats_it.txt")
DEFAULT_DEFAMATION_PHRASES = read_list("defamation_it.txt")
DEFAULT_DISCRIMINATION_PHRASES = read_list("discrimination_it.txt")
DEFAULT_ILLEGAL_PHRASES = read_list("illegal_it.txt")
DEFAULT_COPYRIGHT_PHRASES = read_list("copyright_it.txt")
DEFAULT_SPAM_PHRASES = read_list("spam_it.txt")
DEFAULT_BENIGN_PHRASES = read_list("benign_it.txt")


@dataclass(frozen=True)
class ScreeningConfig:
    # Lemmas; their inflected forms are matched (see lexicon.py).
    insults: frozenset[str] = DEFAULT_INSULTS
    slurs: frozenset[str] = DEFAULT_SLURS
    # Lexicon words that are also names, not flagged when capitalised inside a sentence.
    proper_noun_homographs: frozenset[str] = DEFAULT_HOMOGRAPHS
    # The comune's own sites; their subdomains are allowed too.
    allowed_domains: frozenset[str] = frozenset()
    # Public administration and map sites, allowed like the comune's own.
    public_domains: frozenset[str] = DEFAULT_PUBLIC_DOMAINS
    # Phrase lists in the pattern language of phrases.py.
    fundraising_phrases: tuple[str, ...] = DEFAULT_FUNDRAISING_PHRASES
    promotion_phrases: tuple[str, ...] = DEFAULT_PROMOTION_PHRASES
    threat_phrases: tuple[str, ...] = DEFAULT_THREAT_PHRASES
    defamation_phrases: tuple[str, ...] = DEFAULT_DEFAMATION_PHRASES
    discrimination_phrases: tuple[str, ...] = DEFAULT_DISCRIMINATION_PHRASES
    illegal_phrases: tuple[str, ...] = DEFAULT_ILLEGAL_PHRASES
    copyright_phrases: tuple[str, ...] = DEFAULT_COPYRIGHT_PHRASES
    spam_phrases: tuple[str, ...] = DEFAULT_SPAM_PHRASES
    # The <gruppo> placeholder of the discrimination phrases.
    groups: tuple[str, ...] = DEFAULT_GROUPS
    # A phrase hit overlapping one of these is not flagged ("raccolta differenziata").
    benign_phrases: tuple[str, ...] = DEFAULT_BENIGN_PHRASES


DEFAULT_CONFIG = ScreeningConfig()
