"""The surveys sent before they carried a comune become their ticket's comune's, and those of a
ticket with none the active comune's (or the only one's), as tickets were (0013). Apart from the
schema change before it: on PostgreSQL an UPDATE of a table and an ALTER of it cannot share a
transaction (pending trigger events)."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def assign_surveys(apps, schema_editor):
    Municipality = apps.get_model("municipality", "Municipality")
    Ticket = apps.get_model("tickets", "Ticket")
    Survey = apps.get_model("tickets", "SatisfactionSurvey")
    Survey.objects.filter(comune__isnull=True).update(
        comune=Subquery(Ticket.objects.filter(pk=OuterRef("ticket_id")).values("comune")[:1])
    )
    comune = Municipality.objects.filter(is_active=True).first()
    if comune is None and Municipality.objects.count() == 1:
        comune = Municipality.objects.get()
    if comune is not None:
        Survey.objects.filter(comune__isnull=True).update(comune=comune)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0016_survey_and_elsewhere_rules_per_comune"),
    ]

    operations = [
        migrations.RunPython(assign_surveys, migrations.RunPython.noop),
    ]
