"""Reading the answers of the first-contact identity conversation: a name, a surname, a date of
birth written the way Italians write them. Each reader returns the clean value or raises
IdentityAnswerInvalid with a hint that tells the citizen how to answer."""

import datetime as dt
import re
import unicodedata

from django.utils.translation import gettext as _

MIN_AGE = 14
MAX_AGE = 110

MONTHS = {
    "gennaio": 1,
    "febbraio": 2,
    "marzo": 3,
    "aprile": 4,
    "maggio": 5,
    "giugno": 6,
    "luglio": 7,
    "agosto": 8,
    "settembre": 9,
    "ottobre": 10,
    "novembre": 11,
    "dicembre": 12,
}


def _month(word: str) -> int | None:
    """ "marzo", "mar", "sett": a month's name or its abbreviation (three letters or more)."""
    if len(word) < 3:
        return None
    matches = {number for name, number in MONTHS.items() if name.startswith(word)}
    return matches.pop() if len(matches) == 1 else None


NUMERIC_DATE = re.compile(r"^(\d{1,2})\s*[/.\-\s]\s*(\d{1,2})\s*[/.\-\s]\s*(\d{2}|\d{4})$")
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
WORDS_DATE = re.compile(r"^(\d{1,2})\s*(?:°|º|o)?\s+([a-z]+)\.?\s+(\d{2}|\d{4})$")
# What people put before the answer: "mi chiamo Mario", "sono nata il 12/3/1965".
NAME_LEADS = re.compile(
    r"^(?:(?:il\s+)?mio\s+(?:nome|cognome)\s+(?:è|e'|e)\s+|mi\s+chiamo\s+|sono\s+|"
    r"(?:nome|cognome)\s*[:=]?\s+)",
    re.IGNORECASE,
)
DATE_LEADS = re.compile(
    r"^(?:(?:sono\s+)?nat[oaie]\s+(?:il\s+)?|data\s+di\s+nascita\s*[:=]?\s*|il\s+)",
    re.IGNORECASE,
)
# What may sit between the letters of a name: apostrophes (the typographic one is what phones
# type for "D'Angelo"), hyphens and spaces. Accents are letters (or combining marks).
NAME_SEPARATORS = "'\u2019- "
# Answers that are plainly not a name, though made of letters: greetings, yes, no, thanks.
NOT_A_NAME = {
    "ciao",
    "salve",
    "buongiorno",
    "buonasera",
    "buondì",
    "pronto",
    "ok",
    "okay",
    "si",
    "sì",
    "no",
    "grazie",
    "boh",
    "niente",
    "nessuno",
    "perché",
    "perche",
    "cosa",
    "come",
    "non lo so",
}
MAX_NAME_WORDS = 4
MAX_NAME_LENGTH = 60


class IdentityAnswerInvalid(ValueError):
    def __init__(self, hint: str):
        self.hint = hint
        super().__init__(hint)


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip(" .,;:!?")


def _capitalised(name: str) -> str:
    """ "MARIO", "mario" -> "Mario"; "de rossi" -> "De Rossi"; "D'ANGELO" -> "D'Angelo". A name
    written with mixed case ("McDonald", "dell'Orto") is kept as the citizen wrote it."""
    if name != name.lower() and name != name.upper():
        return name
    return re.sub(r"(^|[\s'\u2019\-])(\w)", lambda m: m.group(1) + m.group(2).upper(), name.lower())


def _is_name_character(char: str) -> bool:
    return unicodedata.category(char).startswith(("L", "M")) or char in NAME_SEPARATORS


def parse_person_name(text: str, *, what: str) -> str:
    """A first name or a surname (`what` is the word used in the hint: "nome", "cognome"):
    letters, accented ones included, with apostrophes, hyphens and spaces between them. Digits,
    emoji and other symbols, a lone initial or a sentence get a hint saying what to write."""
    answer = NAME_LEADS.sub("", _tidy(text))
    answer = unicodedata.normalize("NFC", _tidy(answer))
    hint_example = _("Ad esempio: Maria Grazia") if what == "nome" else _("Ad esempio: De Rossi")
    values = {"what": what, "example": hint_example}
    if not answer:
        raise IdentityAnswerInvalid(
            _("Non ho ricevuto il suo %(what)s: lo scriva in un messaggio di testo. %(example)s.")
            % values
        )
    if any(char.isdigit() for char in answer):
        raise IdentityAnswerInvalid(
            _("Il %(what)s non può contenere numeri: scriva solo il suo %(what)s. %(example)s.")
            % values
        )
    if not all(_is_name_character(char) for char in answer):
        raise IdentityAnswerInvalid(
            _(
                "Il %(what)s può contenere solo lettere (anche accentate), apostrofi, trattini e "
                "spazi, senza emoji né altri simboli. %(example)s."
            )
            % values
        )
    if sum(1 for char in answer if char.isalpha()) < 2:
        raise IdentityAnswerInvalid(
            _(
                "Il %(what)s deve avere almeno due lettere: lo scriva per intero, non solo "
                "l'iniziale. %(example)s."
            )
            % values
        )
    if (
        answer.lower() in NOT_A_NAME
        or not answer[0].isalpha()
        or len(answer) > MAX_NAME_LENGTH
        or len(answer.split()) > MAX_NAME_WORDS
        or re.search(r"[\-'\u2019]{2}", answer)
    ):
        raise IdentityAnswerInvalid(
            _(
                "Non riesco a leggerlo come %(what)s. Scriva soltanto il suo %(what)s, senza "
                "altre parole. %(example)s."
            )
            % values
        )
    return _capitalised(answer)


def _full_year(two_digits: int, today: dt.date) -> int:
    """ "65" is 1965, "05" is 2005: the century that gives a plausible age."""
    year = 2000 + two_digits
    if year > today.year - MIN_AGE:
        year -= 100
    return year


def _age(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def parse_birth_date(text: str, *, today: dt.date) -> dt.date:
    """12/03/1965, 12-3-65, 12.03.1965, 12 3 1965, "12 marzo 1965", "1° aprile 1970", 1965-03-12."""
    answer = DATE_LEADS.sub("", _tidy(text).lower())
    answer = unicodedata.normalize("NFKC", answer).strip()
    example = _("La scriva così: 12/03/1965 oppure 12 marzo 1965.")
    day = month = year = None
    if match := NUMERIC_DATE.match(answer):
        day, month, year = (int(part) for part in match.groups())
        if len(match.group(3)) == 2:
            year = _full_year(year, today)
    elif match := ISO_DATE.match(answer):
        year, month, day = (int(part) for part in match.groups())
    elif match := WORDS_DATE.match(answer):
        word = match.group(2)
        month = _month(word)
        if month is None:
            raise IdentityAnswerInvalid(
                _('Non riconosco il mese "%(word)s". %(example)s')
                % {"word": word, "example": example}
            )
        day, year = int(match.group(1)), int(match.group(3))
        if len(match.group(3)) == 2:
            year = _full_year(year, today)
    if day is None or month is None or year is None:
        raise IdentityAnswerInvalid(
            _("Non riesco a leggere la data di nascita. %(example)s") % {"example": example}
        )
    try:
        born = dt.date(year, month, day)
    except ValueError as exc:
        raise IdentityAnswerInvalid(
            _("La data %(day)02d/%(month)02d/%(year)04d non esiste: controlli giorno e mese. ")
            % {"day": day, "month": month, "year": year}
            + example
        ) from exc
    if born > today:
        raise IdentityAnswerInvalid(
            _("La data di nascita è nel futuro: controlli l'anno. %(example)s")
            % {"example": example}
        )
    age = _age(born, today)
    if age < MIN_AGE:
        raise IdentityAnswerInvalid(
            _(
                "Dalla data indicata risulta un'età inferiore a %(min)d anni: controlli l'anno. "
                "Se ha meno di %(min)d anni, chieda a un genitore di scriverci."
            )
            % {"min": MIN_AGE}
        )
    if age > MAX_AGE:
        raise IdentityAnswerInvalid(
            _("Dalla data indicata risulterebbero %(age)d anni: controlli l'anno. %(example)s")
            % {"age": age, "example": example}
        )
    return born
