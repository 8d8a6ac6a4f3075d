"""Approved campaigns go into the comune's next free slot or at a chosen time; quiet hours hold
a normal campaign, never an emergency alert; empty slots are warned about once."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from broadcasts import services, tasks
from broadcasts.models import Campaign, SlotWarning
from broadcasts.states import CampaignState, TemplateApproval
from urp_portal.municipality.calendar import ROME

from .factories import CampaignFactory, MessageTemplateFactory, subscribers_bulk

pytestmark = pytest.mark.django_db

MONDAY_NOON = dt.datetime(2025, 4, 7, 12, 0, tzinfo=ROME)
MONDAY_NIGHT = dt.datetime(2025, 4, 7, 23, 30, tzinfo=ROME)
TUESDAY_10 = dt.datetime(2025, 4, 8, 10, 0, tzinfo=ROME)
FRIDAY_10 = dt.datetime(2025, 4, 11, 10, 0, tzinfo=ROME)


def approved(**kwargs):
    return CampaignFactory(state=CampaignState.APPROVED, **kwargs)


@time_machine.travel(MONDAY_NOON, tick=False)
def test_an_approved_campaign_goes_into_the_next_free_slot(san_giuliano, communications):
    first, second = approved(), approved()

    services.campaign_schedule(campaign_id=first.pk, actor=communications)
    services.campaign_schedule(campaign_id=second.pk, actor=communications)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.scheduled_at) == (CampaignState.SCHEDULED, TUESDAY_10)
    assert first.slot is not None
    assert second.scheduled_at == FRIDAY_10


@time_machine.travel(MONDAY_NOON, tick=False)
def test_a_campaign_is_scheduled_at_a_chosen_time(san_giuliano, communications):
    campaign = approved()
    at = dt.datetime(2025, 4, 9, 17, 30, tzinfo=ROME)

    services.campaign_schedule(campaign_id=campaign.pk, actor=communications, at=at)

    campaign.refresh_from_db()
    assert campaign.scheduled_at == at
    assert campaign.events.last().to_state == CampaignState.SCHEDULED


@time_machine.travel(MONDAY_NOON, tick=False)
def test_a_chosen_time_in_the_quiet_hours_is_refused_with_a_clear_message(
    san_giuliano, communications
):
    campaign = approved()

    with pytest.raises(services.campaigns.UserError) as refused:
        services.campaign_schedule(
            campaign_id=campaign.pk,
            actor=communications,
            at=dt.datetime(2025, 4, 7, 22, 0, tzinfo=ROME),
        )

    assert "ore di silenzio (21:00-08:00)" in str(refused.value.message)
    assert Campaign.objects.get(pk=campaign.pk).state == CampaignState.APPROVED


@time_machine.travel(MONDAY_NOON, tick=False)
def test_a_time_in_the_past_is_refused(san_giuliano, communications):
    campaign = approved()

    with pytest.raises(services.campaigns.UserError, match="passato"):
        services.campaign_schedule(
            campaign_id=campaign.pk, actor=communications, at=MONDAY_NOON - dt.timedelta(hours=2)
        )


@time_machine.travel(MONDAY_NOON, tick=False)
def test_an_emergency_alert_may_be_scheduled_at_night(san_giuliano, communications):
    alert = approved(is_emergency=True)

    services.campaign_schedule(campaign_id=alert.pk, actor=communications, at=MONDAY_NIGHT)

    alert.refresh_from_db()
    assert alert.scheduled_at == MONDAY_NIGHT


@time_machine.travel(MONDAY_NIGHT, tick=False)
def test_send_now_in_the_quiet_hours_holds_a_normal_campaign_until_they_end(
    san_giuliano, communications, eager
):
    subscribers_bulk(3)
    campaign = approved()

    services.campaign_start(campaign_id=campaign.pk, actor=communications)

    campaign.refresh_from_db()
    assert campaign.state == CampaignState.SCHEDULED
    assert campaign.scheduled_at == dt.datetime(2025, 4, 8, 8, 0, tzinfo=ROME)
    assert not campaign.deliveries.exists()
    assert "ore di silenzio" in campaign.events.last().reason


@time_machine.travel(MONDAY_NIGHT, tick=False)
def test_an_emergency_alert_goes_out_in_the_quiet_hours(
    san_giuliano, communications, eager, django_capture_on_commit_callbacks
):
    subscribers_bulk(3)
    alert = approved(is_emergency=True)

    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_start(campaign_id=alert.pk, actor=communications)

    alert.refresh_from_db()
    assert alert.state == CampaignState.SENT
    assert alert.deliveries.count() == 3


def test_the_scheduler_starts_campaigns_whose_time_came(
    san_giuliano, communications, eager, django_capture_on_commit_callbacks
):
    subscribers_bulk(5)
    with time_machine.travel(MONDAY_NOON, tick=False):
        due, later = approved(), approved()
        services.campaign_schedule(campaign_id=due.pk, actor=communications)
        services.campaign_schedule(campaign_id=later.pk, actor=communications)

    with (
        time_machine.travel(TUESDAY_10 + dt.timedelta(seconds=20), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        tasks.campaigns_start_due_task.delay()

    due.refresh_from_db()
    later.refresh_from_db()
    assert due.state == CampaignState.SENT
    assert due.deliveries.count() == 5
    assert later.state == CampaignState.SCHEDULED


def test_a_scheduled_campaign_whose_template_lost_approval_returns_to_approved(
    san_giuliano, communications, eager
):
    template = MessageTemplateFactory()
    with time_machine.travel(MONDAY_NOON, tick=False):
        campaign = approved(template=template)
        services.campaign_schedule(campaign_id=campaign.pk, actor=communications)
    template.approval_status = TemplateApproval.REJECTED
    template.save()

    with time_machine.travel(TUESDAY_10 + dt.timedelta(seconds=5), tick=False):
        tasks.campaigns_start_due_task.delay()

    campaign.refresh_from_db()
    assert campaign.state == CampaignState.APPROVED
    assert "non è partita" in campaign.events.last().reason


def test_an_empty_slot_is_warned_about_once_a_day_before(san_giuliano, communications, colleague):
    with time_machine.travel(TUESDAY_10 - dt.timedelta(hours=23), tick=False):
        first = services.broadcast_slots_warn_empty()
        again = services.broadcast_slots_warn_empty()

    assert (first, again) == (1, 0)
    assert SlotWarning.objects.count() == 1


def test_the_warning_email_reaches_the_communications_staff(
    san_giuliano, communications, colleague, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(TUESDAY_10 - dt.timedelta(hours=20), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.broadcast_slots_warn_empty()

    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {communications.email, colleague.email}
    assert "vuoto" in mail.outbox[0].subject


def test_a_slot_with_a_campaign_scheduled_is_not_warned_about(san_giuliano, communications):
    with time_machine.travel(MONDAY_NOON, tick=False):
        campaign = approved()
        services.campaign_schedule(campaign_id=campaign.pk, actor=communications)

    with time_machine.travel(TUESDAY_10 - dt.timedelta(hours=20), tick=False):
        assert services.broadcast_slots_warn_empty() == 0
