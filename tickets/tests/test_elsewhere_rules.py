"""The rules that recognise requests for other channels: whole words, word beginnings, word
lists, pairs anywhere in the message, exceptions (issue #22)."""

import pytest

from tickets.elsewhere.classifier import Rule, classifier_from_rules, normalise, read_default_rules


def classify(text: str, *rules: Rule) -> str | None:
    return classifier_from_rules(rules).classify(text)


def test_words_match_whole_and_star_matches_a_beginning():
    rule = Rule("report", "lampion* spent*")
    assert classify("LAMPIONE SPENTO in via Roma!", rule) == "report"
    assert classify("I lampioni spenti", rule) == "report"
    assert classify("Un lampionespento", rule) is None
    assert classify("Lampione acceso", rule) is None


def test_a_pair_asks_for_both_parts_anywhere_and_lists_take_any_of_their_words():
    rule = Rule("report", "panchina|fontana + rotta|sporca")
    assert classify("La fontana della piazza è tutta sporca", rule) == "report"
    assert classify("La panchina nuova è bella", rule) is None
    assert classify("La strada è rotta", rule) is None


def test_an_exception_of_the_kind_wins_and_access_to_records_wins_over_a_report():
    report = Rule("report", "segnal*")
    thanks = Rule("report", "grazie per la segnalazione", is_exception=True)
    records = Rule("records_access", "accesso agli atti")
    assert classify("Grazie per la segnalazione!", report, thanks) is None
    assert classify("Accesso agli atti della mia segnalazione", report, records) == (
        "records_access"
    )


def test_accents_capitals_and_apostrophes_are_ignored():
    assert normalise("All'URP c'è PIÙ") == "all urp c e piu"


@pytest.mark.django_db
def test_the_seed_rules_read_from_the_data_file_and_the_database_hold_the_same():
    from tickets.models import ElsewhereRule

    seeded = {(r.kind, r.phrase, r.is_exception) for r in read_default_rules()}
    assert len(seeded) > 100
    assert {"report", "records_access"} == {kind for kind, _p, _e in seeded}
    stored = set(ElsewhereRule.objects.values_list("kind", "phrase", "is_exception"))
    assert stored == seeded
