"""The editable screening lists, seeded from the screening package's data files, and the comune
sites of the four seed comuni (the active comune's own web and email domains are allowed at run
time too, see selectors.screener_for)."""

from django.db import migrations

from moderation.screening.config import read_list

SEED_COMUNE_SITES = [
    ("comune.cagliari.it", "Comune di Cagliari"),
    ("comune.assemini.ca.it", "Comune di Assemini"),
    ("comune.ancona.it", "Comune di Ancona"),
    ("comune.sangiulianomilanese.mi.it", "Comune di San Giuliano Milanese"),
]


def seed(apps, schema_editor):
    LexiconEntry = apps.get_model("moderation", "LexiconEntry")
    AllowedDomain = apps.get_model("moderation", "AllowedDomain")
    ModerationSettings = apps.get_model("moderation", "ModerationSettings")
    # The seed files, wherever they live now (moved to data/seed/ when named as seeds).
    for kind, name in (("insult", "seed/insults_it.txt"), ("slur", "seed/slurs_it.txt")):
        for word in read_list(name):
            LexiconEntry.objects.get_or_create(word=word.lower(), kind=kind)
    for domain in read_list("seed/public_domains.txt"):
        AllowedDomain.objects.get_or_create(
            domain=domain.lower(), defaults={"note": "Pubblica amministrazione o mappe"}
        )
    for domain, note in SEED_COMUNE_SITES:
        AllowedDomain.objects.get_or_create(domain=domain, defaults={"note": note})
    ModerationSettings.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("moderation", "0003_cases_flags_actions_blocks_evidence")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
