"""When a comune's broadcasts go (issue #24, phase 2): each comune's quiet hours, broadcast
slots and empty-slot warnings, and the scheduler's turn per comune. The fixture and helpers are
tests/test_comuni_broadcasts.py's."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.core import mail

from broadcasts import services
from broadcasts.models import Campaign
from broadcasts.states import CampaignState
from broadcasts.tasks import broadcast_slots_warn_empty_task, campaigns_start_due_task
from tests import test_comuni_broadcasts as _broadcasts
from tests.test_comuni_broadcasts import (
    ASSEMINI_NUMBER,
    CAGLIARI_NUMBER,
    ROME,
    TUESDAY_MORNING,
    _sent_from,
    approved_campaign,
    subscribe,
)
from urp_portal.accounts.models import StaffMembership
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.scope import comune_scope

two_comuni = _broadcasts.two_comuni


def test_quiet_hours_are_each_comunes_own(two_comuni):
    cagliari, assemini = two_comuni
    # Cagliari is quiet 21:00-08:00; Assemini sends at any hour.
    Municipality.objects.filter(pk=cagliari.pk).update(
        quiet_hours_start="21:00", quiet_hours_end="08:00"
    )
    subscribe(cagliari, ["+393470000001"])
    subscribe(assemini, ["+393480000001"])
    in_cagliari = approved_campaign(cagliari)
    in_assemini = approved_campaign(assemini)
    night = dt.datetime(2026, 11, 24, 23, 0, tzinfo=ROME)

    with time_machine.travel(night, tick=False):
        for comune, campaign in ((cagliari, in_cagliari), (assemini, in_assemini)):
            with comune_scope(Municipality.objects.get(pk=comune.pk)):
                services.campaign_start(campaign_id=campaign.pk)

    in_cagliari = Campaign.all_comuni.get(pk=in_cagliari.pk)
    in_assemini = Campaign.all_comuni.get(pk=in_assemini.pk)
    assert in_cagliari.state == CampaignState.SCHEDULED
    assert in_cagliari.scheduled_at == dt.datetime(2026, 11, 25, 8, 0, tzinfo=ROME)
    assert in_assemini.state == CampaignState.SENDING


def test_the_scheduler_starts_each_comunes_due_campaigns_in_its_own_scope(
    two_comuni, eager_tasks, fake_graph, django_capture_on_commit_callbacks
):
    cagliari, assemini = two_comuni
    Municipality.objects.filter(pk=cagliari.pk).update(
        quiet_hours_start="21:00", quiet_hours_end="08:00"
    )
    subscribe(cagliari, ["+393470000001"])
    subscribe(assemini, ["+393480000001"])
    due = dt.datetime(2026, 11, 24, 22, 0, tzinfo=ROME)
    campaigns = {}
    for comune in (cagliari, assemini):
        campaign = approved_campaign(comune)
        Campaign.all_comuni.filter(pk=campaign.pk).update(
            state=CampaignState.SCHEDULED, scheduled_at=due
        )
        campaigns[comune.slug] = campaign.pk

    with (
        time_machine.travel(due + dt.timedelta(minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        # Outside any scope, as the beat runs it: one turn per comune, each in its scope; the
        # batches then run in their campaign's comune's scope.
        campaigns_start_due_task()

    states = dict(Campaign.all_comuni.values_list("pk", "state"))
    # Cagliari's waits for the end of its quiet hours; Assemini's has none and went.
    assert states[campaigns["cagliari"]] == CampaignState.SCHEDULED
    assert states[campaigns["assemini"]] in (CampaignState.SENDING, CampaignState.SENT)
    assert [r.to for r in _sent_from(fake_graph, ASSEMINI_NUMBER)] == ["+393480000001"]
    assert _sent_from(fake_graph, CAGLIARI_NUMBER) == []


def test_the_next_free_slot_is_the_comunes_own(two_comuni):
    cagliari, assemini = two_comuni
    cagliari.broadcast_slots.all().delete()
    assemini.broadcast_slots.all().delete()
    cagliari.broadcast_slots.create(weekday=2, at="10:00")  # Wednesday
    assemini.broadcast_slots.create(weekday=4, at="17:00")  # Friday
    communications = UserFactory(roles=[Role.COMMUNICATIONS])
    scheduled = {}
    with time_machine.travel(TUESDAY_MORNING, tick=False):
        for comune in (cagliari, assemini):
            campaign = approved_campaign(comune)
            with comune_scope(Municipality.objects.get(pk=comune.pk)):
                done = services.campaign_schedule(campaign_id=campaign.pk, actor=communications)
            scheduled[comune.slug] = done.scheduled_at.astimezone(ROME)

    assert scheduled["cagliari"] == dt.datetime(2026, 11, 25, 10, 0, tzinfo=ROME)
    assert scheduled["assemini"] == dt.datetime(2026, 11, 27, 17, 0, tzinfo=ROME)


def test_an_empty_slot_is_warned_to_its_own_comunes_communications_staff(
    two_comuni, django_capture_on_commit_callbacks
):
    cagliari, assemini = two_comuni
    for comune in (cagliari, assemini):
        comune.broadcast_slots.all().delete()
        comune.broadcast_slots.create(weekday=2, at="10:00")  # Wednesday
    staff = {}
    for comune in (cagliari, assemini):
        member = UserFactory(roles=[Role.COMMUNICATIONS], email=f"stampa@{comune.slug}.it")
        StaffMembership.objects.create(user=member, comune=comune)
        staff[comune.slug] = member.email

    with (
        time_machine.travel(TUESDAY_MORNING, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        # As the beat runs it: outside any scope, one turn per comune.
        broadcast_slots_warn_empty_task()

    warned = {tuple(message.to): message.subject for message in mail.outbox}
    assert set(warned) == {(staff["cagliari"],), (staff["assemini"],)}
    assert cagliari.name in warned[(staff["cagliari"],)]
    assert assemini.name in warned[(staff["assemini"],)]
