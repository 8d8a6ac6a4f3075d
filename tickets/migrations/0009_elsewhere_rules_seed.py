"""The seed rules for requests that belong to another channel (tickets/elsewhere/data), which an
administrator then edits."""

from django.db import migrations

from tickets.elsewhere.classifier import read_default_rules


def seed(apps, schema_editor):
    ElsewhereRule = apps.get_model("tickets", "ElsewhereRule")
    for rule in read_default_rules():
        ElsewhereRule.objects.get_or_create(
            kind=rule.kind, phrase=rule.phrase, is_exception=rule.is_exception
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0008_urp_duties")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
