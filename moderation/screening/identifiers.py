"""Personal data in a message: tax codes, IBANs, phone numbers and email addresses.

The policy forbids spreading *third parties'* data, but citizens write their own data to the
URP all the time ("mi potete richiamare al 333 1234567", "il mio codice fiscale è ..."). So
each identifier is weighed by the words around it:

- words pointing at someone else (suo/sua, di lui, il mio vicino, la signora, si chiama,
  "il numero di Marco", chiamatelo...) make it a third party's data: always flagged;
- words pointing at the sender (mio/mia, sono, richiamatemi, scrivetemi, intestato a me...),
  or for an IBAN a payment or donation beside it, make it the sender's own: not flagged;
- with neither, a tax code or an IBAN is flagged for the moderator to check ("verificare se di
  terzi"), being rare and sensitive; a phone number or an email address is not, since it is
  nearly always the sender's own contact.

Tax codes and IBANs are validated with python-stdnum (check character with omocodia and birth
date for the codice fiscale, mod-97 for the IBAN), so random codes and typos are not flagged.
Email addresses on the comune's own or public domains are never personal data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from stdnum import iban as stdnum_iban
from stdnum.it import codicefiscale

from .normalisation import NormalisedText

_OMOCODE_DIGIT = "[0-9lmnpqrstuv]"
TAX_CODE = re.compile(
    rf"(?<![a-z0-9])[a-z]{{3}} ?[a-z]{{3}} ?{_OMOCODE_DIGIT}{{2}}[a-z]{_OMOCODE_DIGIT}{{2}} ?"
    rf"[a-z]{_OMOCODE_DIGIT}{{3}}[a-z](?![a-z0-9])"
)
# Printed in groups of four or compact; the country code and check digits come first.
IBAN = re.compile(
    r"(?<![a-z0-9])[a-z]{2}\d{2}(?: ?[a-z0-9]{4}){2,7}(?: ?[a-z0-9]{1,3})?(?![a-z0-9])"
)
# Mobile (3xx) or landline (0x), optional +39 / 0039, digits grouped by spaces, dots, dashes.
PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s?39[\s.-]?)?(?:3\d{2}|0\d{1,3})(?:[\s./-]?\d){4,8}(?!\w)"
)
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_DATE = re.compile(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")

_OTHER_PERSON = re.compile(
    r"\b(?:suo|sua|suoi|sue|loro|di lui|di lei|ex|vi giro|si chiama|si chiamano"
    r"|(?:mio|mia|del|della|il|la|al|alla|dal|dalla|dei|ai|i) vicin[oaie]"
    r"|condomin[oi]|signor\w*|sig|sig\.ra|dott\w*|avv|inquilin\w*|proprietari\w*|titolare"
    r"|amministrator\w*|quell[oa] che|quel \w+|di quell[oa]|tizio|tizia"
    r"|chiamatel\w*|contattatel\w*|scrivetegli|scrivetele|ditegli|ditele|multatel\w*)\b"
)
# "il numero di Marco": a capitalised name, read on the original text.
_OF_NAMED_PERSON = re.compile(
    r"(?i:numero|cellulare|cell|telefono|tel|whatsapp|mail|email|e-mail|codice fiscale|cf|iban)"
    r"\s+(?i:di|è di|e' di)\s+[A-Z][a-zà-ù]+"
)
_SENDER = re.compile(
    r"\b(?:mio|mia|miei|mie|me|sono|io|richiamar\w*|ricontattar\w*|contattatemi|chiamatemi"
    r"|scrivetemi|rispondetemi|mandatemi|inviatemi|mi trovate|reperibile|intestat[oa] a me)\b"
)
_OWN_ACCOUNT = re.compile(r"\b(?:bonifico|bonifici|dona\w*|versament\w*|ricarica|paypal)\b")
_BEFORE, _AFTER = 70, 40


@dataclass(frozen=True)
class PersonalData:
    rule: str
    start: int
    end: int
    third_party: bool  # False: no cue either way, the moderator checks


_LABELS = {
    "tax_code": "codice fiscale",
    "iban": "IBAN",
    "phone": "numero di telefono",
    "email": "indirizzo email",
}


def reason_for(item: PersonalData, excerpt: str) -> str:
    label = _LABELS[item.rule]
    if item.third_party:
        return f'Dati personali di terzi: {label} "{excerpt}"'
    return f'Dato personale ({label} "{excerpt}"): verificare se di terzi'


def find_personal_data(
    normalised: NormalisedText, is_public_domain: Callable[[str], bool]
) -> Iterator[PersonalData]:
    text = normalised.text
    taken: list[tuple[int, int]] = []
    for rule, spans in (
        ("tax_code", _valid_spans(TAX_CODE, text, codicefiscale.is_valid)),
        ("iban", _iban_spans(text)),
        ("email", _email_spans(text, is_public_domain)),
        ("phone", _phone_spans(text)),
    ):
        for start, end in spans:
            if any(start < taken_end and taken_start < end for taken_start, taken_end in taken):
                continue
            taken.append((start, end))
            verdict = _whose(normalised, start, end, rule)
            if verdict == "third_party":
                yield PersonalData(rule, start, end, third_party=True)
            elif verdict == "unknown" and rule in ("tax_code", "iban"):
                yield PersonalData(rule, start, end, third_party=False)


def _valid_spans(
    pattern: re.Pattern[str], text: str, is_valid: Callable[[str], bool]
) -> Iterator[tuple[int, int]]:
    for match in pattern.finditer(text):
        if is_valid(match.group().replace(" ", "").upper()):
            yield match.span()


def _iban_spans(text: str) -> Iterator[tuple[int, int]]:
    for match in IBAN.finditer(text):
        candidate = match.group()
        # The last groups may be the next words ("... 345 ciao"): try shorter cuts too.
        for _ in range(4):
            if stdnum_iban.is_valid(candidate):
                yield match.start(), match.start() + len(candidate)
                break
            if " " not in candidate:
                break
            candidate = candidate.rsplit(" ", 1)[0]


def _email_spans(text: str, is_public_domain: Callable[[str], bool]) -> Iterator[tuple[int, int]]:
    for match in EMAIL.finditer(text):
        if not is_public_domain(match.group().rsplit("@", 1)[1]):
            yield match.span()


def _phone_spans(text: str) -> Iterator[tuple[int, int]]:
    for match in PHONE.finditer(text):
        number = match.group()
        if _DATE.fullmatch(number.strip()):
            continue
        digits = re.sub(r"\D", "", number)
        if number.startswith(("+", "00")):
            digits = digits[2:] if digits.startswith("39") else digits[4:]
        low, high = (9, 10) if digits.startswith("3") else (6, 11)
        if low <= len(digits) <= high:
            yield match.span()


def _whose(normalised: NormalisedText, start: int, end: int, rule: str) -> str:
    """ "third_party", "sender" or "unknown", from the cue nearest the identifier.

    The nearest cue wins because possessives further away usually belong to someone else in
    the sentence: "il codice fiscale di mia madre è X, ... la sua pratica" is the sender's
    family, "il mio vicino ... il suo numero è X" is the neighbour's.
    """
    text = normalised.text
    window_start = max(0, start - _BEFORE)
    before, after = text[window_start:start], text[end : end + _AFTER]
    original_start, _ = normalised.span(start, end)
    original_before = normalised.original[max(0, original_start - _BEFORE) : original_start]
    if _OF_NAMED_PERSON.search(original_before):
        return "third_party"
    sender_cues = [_SENDER] + ([_OWN_ACCOUNT] if rule == "iban" else [])
    for window, nearest in ((before, _last_end), (after, _first_start)):
        third = nearest(_OTHER_PERSON, window)
        sender_distances = [d for cue in sender_cues if (d := nearest(cue, window)) is not None]
        sender = min(sender_distances, default=None)
        if third is None and sender is None:
            continue
        if sender is None or (third is not None and third <= sender):
            return "third_party"
        return "sender"
    return "unknown"


def _last_end(pattern: re.Pattern[str], window: str) -> int | None:
    """Distance from the last match to the end of the window."""
    ends = [match.end() for match in pattern.finditer(window)]
    return len(window) - ends[-1] if ends else None


def _first_start(pattern: re.Pattern[str], window: str) -> int | None:
    match = pattern.search(window)
    return match.start() if match else None
