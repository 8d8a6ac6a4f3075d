"""The five services every preset has (DESIGN.md's API lists them), with a few routing words."""

from django.db import migrations

SERVICES = [
    ("anagrafe", "Servizi demografici - Anagrafe", ["anagrafe", "residenza", "certificato", "identità", "carta"]),
    ("tributi", "Tributi", ["tari", "imu", "tassa", "tributi", "bollettino", "rifiuti"]),
    ("polizia-municipale", "Polizia municipale", ["multa", "sanzione", "parcheggio", "verbale", "vigili"]),
    ("lavori-pubblici", "Lavori pubblici", ["buca", "strada", "marciapiede", "illuminazione", "lampione"]),
    ("servizi-sociali", "Servizi sociali", ["assistenza", "anziani", "disabilità", "contributo", "sociale"]),
]


def create_services(apps, schema_editor):
    MunicipalService = apps.get_model("tickets", "MunicipalService")
    ServiceKeywordRule = apps.get_model("tickets", "ServiceKeywordRule")
    for slug, name, words in SERVICES:
        service, _created = MunicipalService.objects.get_or_create(slug=slug, defaults={"name": name})
        for word in words:
            ServiceKeywordRule.objects.get_or_create(service=service, keyword=word)


def remove_services(apps, schema_editor):
    apps.get_model("tickets", "MunicipalService").objects.filter(
        slug__in=[slug for slug, _name, _words in SERVICES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(create_services, remove_services)]
