"""Case- and accent-free text that remembers where each character came from.

Every rule matches on the normalised text, and every flag reports a span of the original one,
so the moderator's console can highlight exactly what the citizen wrote.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Typographic quotes and apostrophes that phones insert (U+2019 and friends): one form each,
# so "l\u2019idiota" and "l'idiota" tokenise alike.
_PUNCTUATION = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00ab": '"',
        "\u00bb": '"',
    }
)


@dataclass(frozen=True)
class NormalisedText:
    original: str
    text: str
    # origin[i] is the index in `original` of text[i]; None when the two line up one to one.
    origin: tuple[int, ...] | None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The span in the original text of text[start:end]."""
        if self.origin is None:
            return start, end
        if end <= start:
            position = self.origin[start] if start < len(self.origin) else len(self.original)
            return position, position
        return self.origin[start], self.origin[end - 1] + 1

    def excerpt(self, start: int, end: int, limit: int = 60) -> str:
        original_start, original_end = self.span(start, end)
        fragment = " ".join(self.original[original_start:original_end].split())
        return fragment if len(fragment) <= limit else fragment[: limit - 1] + "…"


def normalise(text: str) -> NormalisedText:
    """Lower case, accents stripped, quotes unified; offsets kept."""
    if text.isascii():
        # ASCII lower() never changes the length: the cheap path for most messages.
        return NormalisedText(text, text.lower().translate(_PUNCTUATION), None)
    table = {ord(character): _fold(character) for character in set(text)}
    if all(len(folded) == 1 for folded in table.values()):
        # Each character folds to one ("à" -> "a"): offsets still line up, translate in C.
        return NormalisedText(text, text.translate(table), None)
    characters: list[str] = []
    origin: list[int] = []
    for index, character in enumerate(text):
        for piece in table[ord(character)]:
            characters.append(piece)
            origin.append(index)
    return NormalisedText(text, "".join(characters), tuple(origin))


@lru_cache(maxsize=4096)
def _fold(character: str) -> str:
    character = character.translate(_PUNCTUATION)
    decomposed = unicodedata.normalize("NFKD", character.lower())
    return "".join(piece for piece in decomposed if not unicodedata.combining(piece))


def normalise_phrase(phrase: str) -> str:
    """The normalised form of a lexicon entry or phrase, for comparison with normalised text."""
    return normalise(phrase.strip()).text
