"""The recovery's rules (services/recovery.py) without a worker: who is dead, what is sent again,
what goes to review, which queued rows lost their task. The real kill is in
tests/test_recovery_drill.py."""

import datetime as dt

import pytest
from django.utils import timezone

from urp_portal.gateway.models import OutboundMessage, WorkerLife
from urp_portal.gateway.services import recovery

pytestmark = pytest.mark.django_db


@pytest.fixture
def handed(monkeypatch):
    calls: list[tuple[list[int], bool]] = []
    monkeypatch.setattr(
        recovery, "_hand_again", lambda ids, *, broadcast: calls.append((list(ids), broadcast))
    )
    return calls


def run(name: str, *, seen_seconds_ago: float, hostname: str = "celery@a") -> WorkerLife:
    now = timezone.now()
    seen = now - dt.timedelta(seconds=seen_seconds_ago)
    return WorkerLife.objects.create(name=name, hostname=hostname, started_at=seen, seen_at=seen)


def message(**fields) -> OutboundMessage:
    return OutboundMessage.objects.create(to="+393401112223", text="x", **fields)


def test_a_silent_run_is_dead_and_a_beating_one_is_not():
    run("celery@a/1", seen_seconds_ago=60)
    run("celery@b/2", seen_seconds_ago=1, hostname="celery@b")

    assert recovery.worker_runs_dead(now=timezone.now()) == ["celery@a/1"]


def test_at_a_start_the_earlier_run_of_the_same_host_is_dead_at_once():
    run("celery@a/1", seen_seconds_ago=1)
    starting = run("celery@a/2", seen_seconds_ago=0)

    assert recovery.worker_runs_dead(now=timezone.now(), starting=starting) == ["celery@a/1"]


def test_a_dead_runs_broadcast_goes_again_and_its_reply_to_review(handed):
    run("celery@a/1", seen_seconds_ago=60)
    now = timezone.now()
    broadcast = message(
        purpose="broadcast", state="sending", held_by="celery@a/1", sending_started_at=now
    )
    reply = message(purpose="reply", state="sending", held_by="celery@a/1", sending_started_at=now)
    alive = message(purpose="broadcast", state="sending", held_by="celery@b/2")

    result = recovery.outbox_recover()

    broadcast.refresh_from_db()
    reply.refresh_from_db()
    alive.refresh_from_db()
    assert (broadcast.state, broadcast.held_by) == ("queued", "")
    assert (reply.state, reply.needs_review) == ("sending", True)
    assert alive.state == "sending" and not alive.needs_review
    assert handed == [([broadcast.pk], True)]
    assert (result.resent_in_flight, result.to_review) == (1, 1)
    assert WorkerLife.objects.get(name="celery@a/1").recovered_at is not None


def test_queued_rows_are_handed_again_after_their_kinds_grace(handed):
    now = timezone.now()
    ago = lambda seconds: now - dt.timedelta(seconds=seconds)  # noqa: E731
    alert = message(purpose="broadcast", priority=9, not_before=ago(12))
    campaign_late = message(purpose="broadcast", priority=3, not_before=ago(30))
    campaign_lost = message(purpose="broadcast", priority=3, not_before=ago(61))
    held = message(purpose="broadcast", priority=3, not_before=now + dt.timedelta(days=3650))
    reply = message(purpose="reply")
    OutboundMessage.objects.filter(pk=reply.pk).update(created_at=ago(16))

    recovery.outbox_recover(now=now)

    # Not the campaign message only 30 s late (a backlog), nor one held until its hand-off.
    assert {campaign_late.pk, held.pk}.isdisjoint(pk for ids, _ in handed for pk in ids)
    assert sorted(handed) == sorted([([alert.pk, campaign_lost.pk], True), ([reply.pk], False)])
    # Not again at the next look: the grace starts over.
    handed.clear()
    recovery.outbox_recover(now=now + dt.timedelta(seconds=1))
    assert handed == []
