"""Each seed comune's published moderation policy (shared/seeds), given to a comune added from
that preset (`load_preset PRESET --comune SLUG`, the provider's "new comune" page).

The notices differ: Cagliari's and Ancona's list nine rules and report "i casi più gravi" to
the judicial authorities; Assemini's lists five (no spam, promotion, copyright or fundraising
rule) and says every violation may be reported to them; San Giuliano's number takes no messages
and its notice has no policy, so it gets the product's default (Cagliari's wording, the one
migration 0002 gave the single comune), as presets do where a notice is silent. A comune's
screening flags only what its own policy names (selectors.screener_for).

The lexicon (one language) and the public administration's domains are the seed files' for
every preset; the comune's own site is added to its allowed domains.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    policy_text: str
    may_be_reported: bool


# Cagliari (000_…): "in caso di contenuti lesivi o vietati il Comune […] si riserva di
# segnalare alle competenti autorità giudiziarie": the serious ones only.
CAGLIARI_RULES = (
    Rule("illegal", "Attività illegali", "Promozione o sostegno di attività illegali.", True),
    Rule(
        "offensive",
        "Linguaggio offensivo",
        "Utilizzo di un linguaggio offensivo o scurrile.",
        False,
    ),
    Rule("defamation_threat", "Diffamazione o minaccia", "Diffamazione o minaccia.", True),
    Rule(
        "third_party_data",
        "Dati personali di terzi",
        "Diffusione non autorizzata di dati personali di terzi.",
        True,
    ),
    Rule(
        "discrimination",
        "Attacchi a gruppi o minoranze",
        "Attacchi personali di qualsiasi tipo o commenti offensivi rivolti a qualunque gruppo "
        "etnico, politico o religioso o a specifiche minoranze.",
        True,
    ),
    Rule(
        "spam_links",
        "Spam o link fuori tema",
        "Spam o inserimento link a siti esterni fuori tema.",
        False,
    ),
    Rule(
        "promotion",
        "Promozione",
        "Promozione di prodotti, servizi od organizzazioni politiche.",
        False,
    ),
    Rule(
        "copyright",
        "Diritto d'autore e marchi",
        "Violazioni del diritto d'autore e utilizzo non autorizzato di marchi registrati.",
        False,
    ),
    Rule("fundraising", "Raccolta fondi", "Promozioni di raccolta fondi.", False),
)

_CAGLIARI = {rule.code: rule for rule in CAGLIARI_RULES}

# Assemini (002_…): five rules, and "verranno cancellati e, se necessario, segnalati alle
# autorità giudiziarie" for each of them; its attacks rule names "un qualunque soggetto" too.
ASSEMINI_RULES = (
    _CAGLIARI["illegal"],
    replace(_CAGLIARI["offensive"], may_be_reported=True),
    _CAGLIARI["defamation_threat"],
    _CAGLIARI["third_party_data"],
    Rule(
        "discrimination",
        "Attacchi a persone, gruppi o minoranze",
        "Attacchi personali di qualsiasi tipo o commenti offensivi rivolti a un qualunque "
        "soggetto o gruppo etnico, politico o religioso o a specifiche minoranze.",
        True,
    ),
)

# Ancona (003_…): Cagliari's nine rules as a bulleted list (spam and promotion share a bullet,
# kept apart here as the screening tells them apart); "nei casi più gravi" reported.
ANCONA_RULES = CAGLIARI_RULES

POLICIES: dict[str, tuple[Rule, ...]] = {
    "cagliari": CAGLIARI_RULES,
    "assemini": ASSEMINI_RULES,
    "ancona": ANCONA_RULES,
    # No policy in the notice (a broadcast-only number): the product's default.
    "san_giuliano": CAGLIARI_RULES,
}
DEFAULT_RULES = CAGLIARI_RULES

# The comune's own site, allowed in links (its channel_web, where the preset has one, is
# allowed at run time as well: selectors.municipality_domains).
COMUNE_SITES: dict[str, tuple[str, str]] = {
    "cagliari": ("comune.cagliari.it", "Comune di Cagliari"),
    "assemini": ("comune.assemini.ca.it", "Comune di Assemini"),
    "ancona": ("comune.ancona.it", "Comune di Ancona"),
    "san_giuliano": ("comune.sangiulianomilanese.mi.it", "Comune di San Giuliano Milanese"),
}
