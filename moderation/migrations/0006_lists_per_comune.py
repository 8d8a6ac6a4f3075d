"""The moderation lists per comune (issue #24): the rows of before stay without `comune`, the
active comune's (the single comune's, as for subscribers and tickets); a comune already served
beside it on its own number (load_preset --comune before this migration) gets a copy of them,
as it screened with them until now, and its citizens' flags and actions point at its copies."""

from django.core.management.color import no_style
from django.db import migrations


def _copy_lists_to(apps, comune) -> None:
    PolicyCategory = apps.get_model("moderation", "PolicyCategory")
    LexiconEntry = apps.get_model("moderation", "LexiconEntry")
    AllowedDomain = apps.get_model("moderation", "AllowedDomain")
    ModerationSettings = apps.get_model("moderation", "ModerationSettings")
    ScreeningFlag = apps.get_model("moderation", "ScreeningFlag")
    ModerationAction = apps.get_model("moderation", "ModerationAction")
    copies = {}
    for category in PolicyCategory.objects.filter(comune__isnull=True):
        copy, _created = PolicyCategory.objects.get_or_create(
            comune=comune,
            code=category.code,
            defaults={
                "label": category.label,
                "policy_text": category.policy_text,
                "may_be_reported": category.may_be_reported,
                "position": category.position,
            },
        )
        copies[category.pk] = copy.pk
    for entry in LexiconEntry.objects.filter(comune__isnull=True):
        LexiconEntry.objects.get_or_create(
            comune=comune,
            word=entry.word,
            kind=entry.kind,
            defaults={"is_active": entry.is_active, "note": entry.note},
        )
    for domain in AllowedDomain.objects.filter(comune__isnull=True):
        AllowedDomain.objects.get_or_create(
            comune=comune,
            domain=domain.domain,
            defaults={"is_active": domain.is_active, "note": domain.note},
        )
    shared = ModerationSettings.objects.filter(comune__isnull=True).order_by("pk").first()
    ModerationSettings.objects.get_or_create(
        comune=comune, defaults={"warning_text": shared.warning_text if shared else ""}
    )
    for model, owner in (
        (ScreeningFlag, "screeningflag__case__subscriber__comune"),
        (ModerationAction, "moderationaction__case__subscriber__comune"),
    ):
        through = model.categories.through
        for old, new in copies.items():
            through.objects.filter(**{owner: comune, "policycategory_id": old}).update(
                policycategory_id=new
            )


def forward(apps, schema_editor):
    # Migration 0004 made the settings row with an explicit pk=1, which moves no PostgreSQL
    # sequence: the comuni's own rows, made from now on, would start at 1 too.
    ModerationSettings = apps.get_model("moderation", "ModerationSettings")
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [ModerationSettings]):
            cursor.execute(statement)
    Municipality = apps.get_model("municipality", "Municipality")
    served_beside = (
        Municipality.objects.filter(is_active=False, whatsapp_numbers__isnull=False)
        .distinct()
        .order_by("pk")
    )
    for comune in served_beside:
        _copy_lists_to(apps, comune)


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0005_comune_owned_lists"),
        ("subscribers", "0008_assign_comune"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
