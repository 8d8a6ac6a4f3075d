"""The rows from before the tenancy become the comune's they were made for: the active one (or
the only one, where none is active). Apart from the schema change before it: on PostgreSQL an
UPDATE of a table and an ALTER of it cannot share a transaction (pending trigger events)."""

from django.db import migrations


def assign_to_the_single_comune(apps, schema_editor):
    Municipality = apps.get_model("municipality", "Municipality")
    Model = apps.get_model("subscribers", "Subscriber")
    comune = Municipality.objects.filter(is_active=True).first()
    if comune is None and Municipality.objects.count() == 1:
        comune = Municipality.objects.get()
    if comune is None:
        return
    Model.objects.filter(comune__isnull=True).update(comune=comune)


class Migration(migrations.Migration):
    dependencies = [
        ("subscribers", "0007_subscriber_comune"),
    ]

    operations = [
        migrations.RunPython(assign_to_the_single_comune, migrations.RunPython.noop),
    ]
