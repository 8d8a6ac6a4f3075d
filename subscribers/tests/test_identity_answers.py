import datetime as dt

import pytest

from ..identity import IdentityAnswerInvalid, parse_birth_date, parse_person_name

TODAY = dt.date(2026, 3, 10)


@pytest.mark.parametrize(
    "text",
    [
        "12/03/1965",
        "12/3/1965",
        "12-3-65",
        "12.03.1965",
        "12 03 1965",
        "12 marzo 1965",
        "12 Marzo 1965",
        "12 mar 1965",
        "12 mar. 1965",
        "sono nata il 12/03/1965",
        "1965-03-12",
        " 12/03/1965. ",
    ],
)
def test_birth_dates_in_the_usual_italian_forms(text):
    assert parse_birth_date(text, today=TODAY) == dt.date(1965, 3, 12)


def test_first_of_the_month_and_two_digit_years_of_this_century():
    assert parse_birth_date("1° aprile 2005", today=TODAY) == dt.date(2005, 4, 1)
    assert parse_birth_date("1/4/05", today=TODAY) == dt.date(2005, 4, 1)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("ieri", "12/03/1965"),
        ("12 marzolino 1965", "Non riconosco il mese"),
        ("30/02/1980", "non esiste"),
        ("12/03/2030", "futuro"),
        ("12/03/2015", "14 anni"),
        ("12/03/1900", "125 anni"),
    ],
)
def test_bad_dates_get_a_hint(text, hint):
    with pytest.raises(IdentityAnswerInvalid) as raised:
        parse_birth_date(text, today=TODAY)

    assert hint in raised.value.hint


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("mario", "Mario"),
        ("MARIA GRAZIA", "Maria Grazia"),
        ("de rossi", "De Rossi"),
        ("D'ANGELO", "D'Angelo"),
        ("dell'Orto", "dell'Orto"),
        ("Mi chiamo Nicolò", "Nicolò"),
        ("  Pitzalis. ", "Pitzalis"),
        ("d\u2019angelo", "D\u2019Angelo"),
        ("anna-maria", "Anna-Maria"),
        ("NICCOLÒ", "Niccolò"),
        ("Nicolo'", "Nicolo'"),
        # "e" and a combining grave accent, as some keyboards send "è".
        ("Mose\u0300", "Mosè"),
        ("Zoë", "Zoë"),
    ],
)
def test_names_are_tidied(text, name):
    assert parse_person_name(text, what="nome") == name


@pytest.mark.parametrize(
    "text", ["", "12345", "M", "vorrei sapere gli orari dell'anagrafe per favore", "mario@x.it"]
)
def test_bad_names_get_a_hint(text):
    with pytest.raises(IdentityAnswerInvalid) as raised:
        parse_person_name(text, what="cognome")

    assert "cognome" in raised.value.hint


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("Pitzalis2", "non può contenere numeri"),
        ("P", "almeno due lettere"),
        ("P.", "almeno due lettere"),
        ("Pitzalis 🙏", "senza emoji"),
        ("Pitzalis :)", "senza emoji"),
        ("Pitzalis & figli", "solo lettere (anche accentate), apostrofi, trattini e spazi"),
        ("-Pitzalis", "senza altre parole"),
        ("Pit--zalis", "senza altre parole"),
        ("ok", "senza altre parole"),
        ("Buongiorno", "senza altre parole"),
        ("sì", "senza altre parole"),
    ],
)
def test_what_is_not_a_name_gets_a_hint_that_says_what_to_write(text, hint):
    with pytest.raises(IdentityAnswerInvalid) as raised:
        parse_person_name(text, what="cognome")

    assert hint in raised.value.hint
    assert "Ad esempio: De Rossi" in raised.value.hint
