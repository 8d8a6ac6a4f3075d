"""How a citizen's message is compared with the comune's keywords."""

import unicodedata

# A keyword is recognised whatever the case, accents, spaces, punctuation or emoji around it:
# "iscrivimi!", " ISCRIVIMI 🙏" and "Iscrìvimi." all mean "Iscrivimi".


def normalize_keyword(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = []
    for char in decomposed:
        category = unicodedata.category(char)
        if category.startswith("L") or category.startswith("N"):
            kept.append(char)
        elif category.startswith("Z") or char.isspace():
            kept.append(" ")
        # Marks (accents), punctuation and symbols (emoji) are dropped.
    return " ".join("".join(kept).split())
