from django.db import migrations

# The policy every comune of the seeds publishes, in its own words.
CATEGORIES = [
    ("illegal", "Attività illegali", "Promozione o sostegno di attività illegali.", True),
    ("offensive", "Linguaggio offensivo", "Utilizzo di un linguaggio offensivo o scurrile.", False),
    ("defamation_threat", "Diffamazione o minaccia", "Diffamazione o minaccia.", True),
    ("third_party_data", "Dati personali di terzi",
     "Diffusione non autorizzata di dati personali di terzi.", True),
    ("discrimination", "Attacchi a gruppi o minoranze",
     "Attacchi personali di qualsiasi tipo o commenti offensivi rivolti a qualunque gruppo "
     "etnico, politico o religioso o a specifiche minoranze.", True),
    ("spam_links", "Spam o link fuori tema", "Spam o inserimento link a siti esterni fuori tema.",
     False),
    ("promotion", "Promozione", "Promozione di prodotti, servizi od organizzazioni politiche.",
     False),
    ("copyright", "Diritto d'autore e marchi",
     "Violazioni del diritto d'autore e utilizzo non autorizzato di marchi registrati.", False),
    ("fundraising", "Raccolta fondi", "Promozioni di raccolta fondi.", False),
]


def create(apps, schema_editor):
    PolicyCategory = apps.get_model("moderation", "PolicyCategory")
    for position, (code, label, text, reportable) in enumerate(CATEGORIES, start=1):
        PolicyCategory.objects.update_or_create(
            code=code,
            defaults={"label": label, "policy_text": text, "may_be_reported": reportable,
                      "position": position},
        )


def remove(apps, schema_editor):
    apps.get_model("moderation", "PolicyCategory").objects.filter(
        code__in=[c[0] for c in CATEGORIES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("moderation", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
