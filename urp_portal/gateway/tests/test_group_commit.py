"""The web process's group commit (gateway/services/group_commit.py): rows handed in together
are written together, each caller gets its own answer or its batch's error, and the webhook
through it still stores every body once and hands every new event on once."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from tests.fixtures.webhooks import meta_text_body, post_signed_webhook
from urp_portal.gateway.models import WebhookEvent
from urp_portal.gateway.services import group_commit, webhooks
from urp_portal.gateway.services.group_commit import GroupCommit


def _at_once(count: int, call) -> list:
    barrier = threading.Barrier(count)
    answers: list = [None] * count

    def run(n: int) -> None:
        barrier.wait()
        try:
            answers[n] = call(n)
        except Exception as error:  # the answer under test may be an error
            answers[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


def test_rows_handed_in_at_once_are_written_together_and_each_caller_gets_its_own_result():
    batches: list[list[int]] = []

    def write(items):
        batches.append(list(items))
        return [item * 10 for item in items]

    writer = GroupCommit(write, name="test-writer", linger=0.05)

    answers = _at_once(8, writer.submit)

    assert answers == [n * 10 for n in range(8)]
    assert sorted(item for batch in batches for item in batch) == list(range(8))
    assert len(batches) < 8  # some shared a write


def test_a_lone_row_is_written_at_once_on_its_caller_s_thread():
    written_on: list[threading.Thread] = []
    writer = GroupCommit(
        lambda items: written_on.append(threading.current_thread()) or list(items), name="t"
    )

    answer = writer.submit("row")

    assert answer == "row"
    assert written_on == [threading.current_thread()]


def test_rows_queued_during_a_write_are_written_next_by_one_of_their_callers():
    first_write_started, first_write_may_end = threading.Event(), threading.Event()
    batches: list[tuple[list[str], threading.Thread]] = []

    def write(items):
        batches.append((list(items), threading.current_thread()))
        if items == ["leader"]:
            first_write_started.set()
            first_write_may_end.wait(5)
        return [item.upper() for item in items]

    writer = GroupCommit(write, name="test-writer")
    leader = threading.Thread(target=writer.submit, args=("leader",))
    leader.start()
    first_write_started.wait(5)
    queued = [
        threading.Thread(target=writer.submit, args=(f"queued{n}",), name=f"queued{n}")
        for n in range(3)
    ]
    for thread in queued:
        thread.start()
    while len(writer._queued) < 3:  # all three wait behind the write in progress
        time.sleep(0.01)

    first_write_may_end.set()
    for thread in [leader, *queued]:
        thread.join(5)

    assert [items for items, _ in batches] == [["leader"], ["queued0", "queued1", "queued2"]]
    assert batches[1][1] in queued  # written by the first queued caller, not by a thread of ours
    assert writer.submit("later") == "LATER"  # nobody is left leading: the next caller writes


def test_a_failed_batch_is_the_error_of_each_of_its_callers_and_the_next_batch_goes_on():
    def write(items):
        if "broken" in items:
            raise ValueError("the database said no")
        return [item.upper() for item in items]

    writer = GroupCommit(write, name="test-writer")

    with pytest.raises(ValueError, match="the database said no"):
        writer.submit("broken")
    after = writer.submit("fine")

    assert after == "FINE"


def test_a_batch_is_written_in_its_leader_s_context():
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
    writer = GroupCommit(lambda items: [request_id.get() for _ in items], name="t")
    request_id.set("webhook-req-7")

    seen = writer.submit("row")

    assert seen == "webhook-req-7"


def test_a_writer_that_answers_for_fewer_rows_fails_the_batch_instead_of_mixing_answers():
    writer = GroupCommit(lambda items: [], name="test-writer")

    with pytest.raises(RuntimeError, match="0 results for 1 rows"):
        writer.submit("row")


def test_a_caller_gives_up_on_a_stuck_write_and_the_queue_goes_on_after_it(monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(group_commit, "WAIT_SECONDS", 0.2)
    writer = GroupCommit(
        lambda items: (items == ["stuck"] and not release.wait(5)) or list(items), name="t"
    )
    stuck = threading.Thread(target=writer.submit, args=("stuck",))
    stuck.start()
    while not writer._writing:
        time.sleep(0.01)

    with pytest.raises(group_commit.GroupCommitTimeout):
        writer.submit("row")
    release.set()
    stuck.join(5)

    assert writer.submit("after") == "after"


def test_a_forked_process_does_not_wait_for_a_write_of_its_parent(monkeypatch):
    parent_writing, parent_may_end = threading.Event(), threading.Event()

    def write(items):
        if items == ["parent"]:
            parent_writing.set()
            parent_may_end.wait(5)
        return list(items)

    monkeypatch.setattr(group_commit, "WAIT_SECONDS", 2.0)
    writer = GroupCommit(write, name="test-writer")
    parent = threading.Thread(target=writer.submit, args=("parent",))
    parent.start()
    parent_writing.wait(5)
    monkeypatch.setattr(group_commit.os, "getpid", lambda: -1)  # as if forked mid-write

    try:
        child = writer.submit("child")  # would time out waiting for the parent's leader
    finally:
        parent_may_end.set()
        parent.join(5)

    assert child == "child"


def test_webhooks_posted_at_once_are_stored_once_each_and_handed_on_once_each(
    transactional_db, monkeypatch
):
    handed_on: list[int] = []
    batches: list[int] = []
    write_events = webhooks._write_events
    monkeypatch.setattr(webhooks, "_enqueue_events", lambda ids, **lane: handed_on.extend(ids))
    monkeypatch.setattr(
        webhooks._event_writer,
        "_write_batch",
        lambda events: batches.append(len(events)) or write_events(events),
    )
    monkeypatch.setattr(webhooks._event_writer, "_linger", 0.05)
    bodies = [
        meta_text_body(wamid=f"wamid.group{n}", sender="+393330000009", text=f"n {n}", timestamp=1)
        for n in range(6)
    ]

    def post(n: int) -> int:
        try:
            # Each body twice: Meta delivering the same webhook again while the first is stored.
            return post_signed_webhook(Client(), bodies[n % 6]).status_code
        finally:
            connection.close()

    answers = _at_once(12, post)

    events = list(WebhookEvent.objects.values_list("pk", flat=True))
    assert answers == [200] * 12
    assert len(events) == 6
    assert sorted(handed_on) == sorted(events)
    if connection.vendor == "postgresql":
        assert sum(batches) == 12
        assert max(batches) > 1
