"""Migration 0006: a comune served beside the active one before the lists were per comune gets
a copy of the lists it screened with, and its citizens' flags point at its own rules; the
active comune keeps the rows without comune."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("moderation", "0005_comune_owned_lists")
AFTER = ("moderation", "0006_lists_per_comune")


def _migrate(moderation_at):
    """Moderation at `moderation_at`, every other app at its latest (its state with them)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([moderation_at])
    executor.loader.build_graph()
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "moderation"]
    return executor.loader.project_state([moderation_at, *others]).apps


@pytest.mark.django_db(transaction=True)
def test_a_comune_served_beside_the_active_one_gets_a_copy_of_the_lists_it_screened_with():
    apps = _migrate(BEFORE)
    Municipality = apps.get_model("municipality", "Municipality")
    WhatsAppNumber = apps.get_model("municipality", "WhatsAppNumber")
    Subscriber = apps.get_model("subscribers", "Subscriber")
    PolicyCategory = apps.get_model("moderation", "PolicyCategory")
    ModerationCase = apps.get_model("moderation", "ModerationCase")
    ScreeningFlag = apps.get_model("moderation", "ScreeningFlag")
    InboundMessage = apps.get_model("gateway", "InboundMessage")
    active = Municipality.objects.create(slug="cagliari", name="Cagliari", is_active=True)
    beside = Municipality.objects.create(slug="assemini", name="Assemini", is_active=False)
    WhatsAppNumber.objects.create(comune=beside, phone_number_id="100000000000002")
    # Made by migration 0002, unless an earlier transactional test flushed the database.
    offensive, _made = PolicyCategory.objects.get_or_create(
        code="offensive", comune=None, defaults={"label": "Linguaggio offensivo"}
    )
    flags = {}
    for comune in (active, beside):
        citizen = Subscriber.objects.create(number="+393331112233", comune=comune)
        case = ModerationCase.objects.create(subscriber=citizen, opened_at="2026-03-03T10:00Z")
        inbound = InboundMessage.objects.create(
            provider_id=f"wamid.{comune.slug}",
            sender=citizen.number,
            sent_at="2026-03-03T10:00Z",
            comune=comune,
        )
        flags[comune.slug] = ScreeningFlag.objects.create(
            case=case, inbound=inbound, flagged_at="2026-03-03T10:00Z"
        )
        flags[comune.slug].categories.add(offensive)

    apps = _migrate(AFTER)

    PolicyCategory = apps.get_model("moderation", "PolicyCategory")
    LexiconEntry = apps.get_model("moderation", "LexiconEntry")
    ModerationSettings = apps.get_model("moderation", "ModerationSettings")
    ScreeningFlag = apps.get_model("moderation", "ScreeningFlag")
    unowned = PolicyCategory.objects.filter(comune__isnull=True).count()
    assert PolicyCategory.objects.filter(comune_id=beside.pk).count() == unowned
    assert not PolicyCategory.objects.filter(comune_id=active.pk).exists()
    assert (
        LexiconEntry.objects.filter(comune_id=beside.pk).count()
        == LexiconEntry.objects.filter(comune__isnull=True).count()
    )
    assert ModerationSettings.objects.filter(comune_id=beside.pk).count() == 1
    rules = {
        slug: list(
            ScreeningFlag.objects.get(pk=flag.pk).categories.values_list("comune_id", "code")
        )
        for slug, flag in flags.items()
    }
    assert rules == {"cagliari": [(None, "offensive")], "assemini": [(beside.pk, "offensive")]}
    # The comuni's own settings rows are numbered after the one migration 0004 made (pk=1).
    assert ModerationSettings.objects.create(comune_id=active.pk).pk > 1
