"""The seed files fill a new database; an existing one takes a seed edit only when someone runs
`moderation_seed_import`, which adds what is missing and changes nothing else."""

import io

import pytest
from django.core.management import call_command

from moderation.models import AllowedDomain, LexiconEntry
from moderation.screening.config import SEED_INSULTS, read_list
from moderation.selectors import screening_version
from moderation.states import LexiconKind

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("moderation_seed_import", *args, stdout=out)
    return out.getvalue()


def test_a_new_database_already_holds_every_seed_word():
    seeded = set(
        LexiconEntry.objects.filter(kind=LexiconKind.INSULT).values_list("word", flat=True)
    )

    assert {word.lower() for word in read_list(SEED_INSULTS)} <= seeded
    assert "Aggiunte: 0 parole, 0 domini." in run()


def test_a_deleted_seed_word_comes_back_only_when_asked_and_switched_off_ones_stay_off():
    word = read_list(SEED_INSULTS)[0].lower()
    LexiconEntry.objects.filter(word=word).delete()
    AllowedDomain.objects.filter(domain="gov.it").update(is_active=False)
    version = screening_version()

    preview = run("--dry-run")

    assert f"parola: {word}" in preview
    assert not LexiconEntry.objects.filter(word=word).exists()

    out = run()

    assert "Aggiunte: 1 parole, 0 domini." in out
    assert LexiconEntry.objects.get(word=word).is_active
    assert not AllowedDomain.objects.get(domain="gov.it").is_active
    assert screening_version() > version
