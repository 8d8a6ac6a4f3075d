"""A small pattern language for the phrase lists, so moderators can read and edit them.

One phrase per entry, matched on whole words, case and accents ignored:

    raccolta fondi                  the words in this order, any spaces or punctuation between
    dona*                           a word starting with "dona"
    {ti|vi} ammazzo                 one of the alternatives (each may have several words)
    vend* ~ erba                    up to four words in between ("vendo dell'ottima erba")
    <gruppo>                        any word of the named list (e.g. the groups of people)
    <numero>% di sconto             <numero> stands for a number

Phrases are compiled into one regular expression per rule, once, when the screener is built.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .normalisation import normalise_phrase

_PART = re.compile(r"\{[^}]*\}|<\w+>|~|[^\s{}<>~]+")
_GAP = r"\W+(?:\w+\W+){0,4}?"


def compile_phrases(
    phrases: Iterable[str], lists: Mapping[str, Iterable[str]] | None = None
) -> re.Pattern[str]:
    lists = lists or {}
    alternatives = [_phrase_pattern(phrase, lists) for phrase in phrases if phrase.strip()]
    if not alternatives:
        return re.compile(r"(?!)")
    # Longest first, so "raccolta fondi" wins over a shorter phrase at the same place.
    alternation = "|".join(sorted(alternatives, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)")


def _phrase_pattern(phrase: str, lists: Mapping[str, Iterable[str]]) -> str:
    pattern = ""
    separator = ""
    for part in _PART.findall(normalise_phrase(phrase)):
        if part == "~":
            separator = _GAP
            continue
        if part[0] not in "{<" and not (part[0].isalnum() or part[0] == "*"):
            separator = r"\s*"  # "50%", "50 %": a sign needs no space before it
        pattern += separator + _part_pattern(part, lists)
        separator = r"\W+"
    return pattern


def _part_pattern(part: str, lists: Mapping[str, Iterable[str]]) -> str:
    if part.startswith("{"):
        choices = part[1:-1].split("|")
        return "(?:" + "|".join(_phrase_pattern(choice, lists) for choice in choices) + ")"
    if part == "<numero>":
        return r"\d+(?:[.,]\d+)?"
    if part.startswith("<"):
        name = part[1:-1]
        if name not in lists:
            raise ValueError(f"unknown list <{name}> in a screening phrase")
        return "(?:" + "|".join(_word_pattern(word) for word in lists[name]) + ")"
    return _word_pattern(part)


def _word_pattern(word: str) -> str:
    pattern = ""
    for character in word:
        if character == "*":
            pattern += r"\w*"
        elif character == "'":
            pattern += r"(?:'\s*|\s+)"
        else:
            pattern += re.escape(character)
    return pattern
