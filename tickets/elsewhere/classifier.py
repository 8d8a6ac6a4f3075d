"""Phrase rules over normalised words: capitals, accents and punctuation ignored, words matched
whole, a trailing * matching a word's beginning, "|" between alternatives (word lists);
"copia* + verbal*" asks for both phrases
anywhere in the message (a verb of access and a kind of document, a thing and its damage). A
message is of a kind when one of the kind's rules matches and none of the kind's exceptions
does. Access to records wins over a report when both match: a request to see the papers of a
report is an access request."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..states import ElsewhereKind

DATA = Path(__file__).parent / "data" / "rules_it.txt"
# Order of precedence when several kinds match.
PRECEDENCE = (ElsewhereKind.RECORDS_ACCESS, ElsewhereKind.REPORT)


def normalise(text: str) -> str:
    """Lower case, no accents or apostrophes, one space between words: "All'URP c'è" -> "all urp
    c e"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.findall(r"[a-z0-9]+", plain))


def phrase_pattern(phrase: str) -> str:
    """A phrase as a regex over normalised text: words whole, "word*" a word's beginning;
    "a|b c" is either "a" or "b c" (a list of things, of kinds of damage)."""
    if "|" in phrase:
        options = [p for p in (phrase_pattern(o) for o in phrase.split("|")) if p]
        return "(?:" + "|".join(options) + ")" if options else ""
    parts = []
    for word in phrase.split():
        prefix = word.endswith("*")
        word = normalise(word.rstrip("*"))
        if not word:
            continue
        # A word the normaliser splits ("l'accesso") stays consecutive words.
        escaped = r"\s".join(re.escape(w) for w in word.split())
        parts.append(escaped + (r"[a-z0-9]*" if prefix else ""))
    if not parts:
        return ""
    return r"\b" + r"\s".join(parts) + r"\b"


class _Matcher:
    """The single phrases of a kind as one alternation; the "a + b" rules each as their parts."""

    def __init__(self, phrases: Iterable[str]) -> None:
        single: set[str] = set()
        self.combined: list[list[re.Pattern[str]]] = []
        for phrase in phrases:
            parts = [phrase_pattern(part) for part in phrase.split(" + ")]
            parts = [part for part in parts if part]
            if len(parts) == 1:
                single.add(parts[0])
            elif parts:
                self.combined.append([re.compile(part) for part in parts])
        self.single = re.compile("|".join(f"(?:{p})" for p in sorted(single))) if single else None

    def search(self, words: str) -> bool:
        if self.single is not None and self.single.search(words):
            return True
        return any(all(part.search(words) for part in parts) for parts in self.combined)


def _compile(phrases: Iterable[str]) -> _Matcher | None:
    matcher = _Matcher(phrases)
    return matcher if matcher.single is not None or matcher.combined else None


@dataclass(frozen=True)
class Rule:
    kind: str
    phrase: str
    is_exception: bool = False


@dataclass
class ElsewhereClassifier:
    positive: dict[str, _Matcher | None] = field(default_factory=dict)
    negative: dict[str, _Matcher | None] = field(default_factory=dict)

    def classify(self, text: str) -> str | None:
        """The ElsewhereKind of `text`, or None when it is an ordinary request."""
        if not text:
            return None
        words = normalise(text)
        for kind in PRECEDENCE:
            positive = self.positive.get(kind)
            if positive is None or not positive.search(words):
                continue
            negative = self.negative.get(kind)
            if negative is not None and negative.search(words):
                continue
            return kind
        return None


def classifier_from_rules(rules: Iterable[Rule]) -> ElsewhereClassifier:
    by_kind: dict[tuple[str, bool], list[str]] = {}
    for rule in rules:
        by_kind.setdefault((rule.kind, rule.is_exception), []).append(rule.phrase)
    return ElsewhereClassifier(
        positive={kind: _compile(by_kind.get((kind, False), [])) for kind in PRECEDENCE},
        negative={kind: _compile(by_kind.get((kind, True), [])) for kind in PRECEDENCE},
    )


def read_default_rules(path: Path = DATA) -> list[Rule]:
    """The seed rules: one per line, "report: phrase" or "records_access: phrase"; a "!" before
    the kind makes an exception; "#" starts a comment."""
    rules = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        kind, _sep, phrase = line.partition(":")
        kind = kind.strip()
        exception = kind.startswith("!")
        rules.append(Rule(kind=kind.lstrip("!"), phrase=phrase.strip(), is_exception=exception))
    return rules
