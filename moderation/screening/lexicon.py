"""Word lists matched on whole word forms, never on substrings.

A lemma ("stronzo") expands to its Italian inflected forms (stronza, stronzi, stronze); verbs
("cagare") to their common conjugated forms. A message is cut into tokens and each token is
looked up whole, so "Scafati" never matches "scaf..." and "cazzuola" never matches "cazzo".
Common disguises are undone before the look-up: digits and symbols standing for letters
("str0nzo", "merd@"), a star hiding letters inside a word ("c*zzo") and stretched letters
("stronzooo"). Lemmas of more than one word ("porco dio") are matched as phrases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .normalisation import NormalisedText, normalise_phrase

_VERB_ENDINGS = {
    "are": (
        "are",
        "o",
        "i",
        "hi",
        "a",
        "iamo",
        "ate",
        "ano",
        "ato",
        "ata",
        "ati",
        "ate",
        "ando",
        "ava",
        "avano",
        "ero",
        "hero",
        "erai",
        "herai",
        "atevi",
        "arti",
        "arsi",
    ),
    "ere": (
        "ere",
        "o",
        "i",
        "e",
        "iamo",
        "ete",
        "ono",
        "uto",
        "uta",
        "uti",
        "ute",
        "endo",
        "eva",
        "evano",
        "ero",
        "erai",
        "iti",
        "etevi",
        "ersi",
    ),
    "ire": (
        "ire",
        "o",
        "i",
        "e",
        "iamo",
        "ite",
        "ono",
        "ito",
        "ita",
        "iti",
        "ite",
        "endo",
        "isco",
        "isci",
        "isce",
        "iscono",
    ),
}
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_TOKEN = re.compile(r"[\w@$*]+")
_STRETCHED = re.compile(r"([a-z])\1{2,}")
_RUN = re.compile(r"([a-z])\1+")


def word_forms(lemma: str) -> frozenset[str]:
    """The inflected forms of an Italian lemma (nouns, adjectives, regular verbs)."""
    lemma = normalise_phrase(lemma)
    if " " in lemma or len(lemma) < 4:
        return frozenset({lemma})
    for infinitive, verb_endings in _VERB_ENDINGS.items():
        if lemma.endswith(infinitive) and len(lemma) > 5:
            stem = lemma[: -len(infinitive)]
            return frozenset(stem + ending for ending in verb_endings)
    stem, ending = lemma[:-1], lemma[-1]
    if lemma.endswith("one"):
        endings: tuple[str, ...] = ("e", "i", "a")
    elif lemma.endswith("io"):
        # frocio -> froci: the i of the stem absorbs the plural.
        return frozenset({lemma, stem + "a", stem + "e", stem})
    elif ending == "o":
        endings = ("o", "a", "i", "e")
    elif ending == "a":
        # fica -> fiche, not fichi (figs); idiota -> idioti.
        endings = ("a", "e", "he") if stem[-1] in "cg" else ("a", "e", "i")
    elif ending == "e":
        endings = ("e", "i")
    else:
        return frozenset({lemma})
    return frozenset(stem + suffix for suffix in endings)


def _squeeze(word: str) -> str:
    return _RUN.sub(r"\1", word)


@dataclass(frozen=True)
class WordHit:
    start: int
    end: int
    form: str


class WordListMatcher:
    """Finds the forms of a set of lemmas in normalised text."""

    def __init__(self, lemmas: Iterable[str], homographs: Iterable[str] = ()) -> None:
        single_words: dict[str, str] = {}
        phrases: list[str] = []
        for lemma in lemmas:
            for form in word_forms(lemma):
                if " " in form:
                    phrases.append(form)
                else:
                    single_words.setdefault(form, form)
        self._forms = single_words
        self._squeezed = {_squeeze(form): form for form in single_words}
        self._by_length: dict[int, list[str]] = {}
        for form in single_words:
            self._by_length.setdefault(len(form), []).append(form)
        alternation = "|".join(
            r"\s+".join(map(re.escape, phrase.split())) for phrase in sorted(phrases)
        )
        self._phrases = re.compile(rf"(?<!\w)(?:{alternation})(?!\w)") if phrases else None
        # Words that are also place names or surnames ("Troia", "via Ada Negri"): written
        # with a capital inside a sentence they are taken as the name.
        self._homographs = frozenset(normalise_phrase(word) for word in homographs)

    def find(self, normalised: NormalisedText) -> Iterator[WordHit]:
        for match in _TOKEN.finditer(normalised.text):
            token = match.group()
            stripped = token.strip("*_")
            if not stripped:
                continue
            form = self._lookup(stripped)
            if form is None:
                continue
            start = match.start() + token.index(stripped)
            if form in self._homographs and _is_capitalised_name(normalised, start):
                continue
            yield WordHit(start, start + len(stripped), form)
        if self._phrases is not None:
            for match in self._phrases.finditer(normalised.text):
                yield WordHit(match.start(), match.end(), match.group())

    def _lookup(self, token: str) -> str | None:
        if token in self._forms:
            return token
        if not token.isalpha():
            if "*" in token:
                return self._unmask(token)
            if not any(character.isalpha() for character in token):
                return None
            token = token.translate(_LEET)
            if token in self._forms:
                return token
        if _STRETCHED.search(token):
            return self._squeezed.get(_squeeze(token))
        return None

    def _unmask(self, token: str) -> str | None:
        """The form that "c*zzo" hides: same length, same visible letters."""
        visible = [(index, letter) for index, letter in enumerate(token) if letter != "*"]
        if len(visible) < 2 or token[0] == "*":
            return None
        for form in self._by_length.get(len(token), ()):
            if all(form[index] == letter for index, letter in visible):
                return form
        return None


def _is_capitalised_name(normalised: NormalisedText, start: int) -> bool:
    original_start, _ = normalised.span(start, start + 1)
    original = normalised.original
    if not original[original_start].isupper():
        return False
    before = original[:original_start].rstrip()
    return bool(before) and before[-1] not in ".!?:\n\"'"
