"""The webhooks' hand-off to the workers through a Redis list (gateway/event_queue.py): one
drain per burst, none missed, the same failure as a Celery publish when Redis is away."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
import redis

from tests.fixtures.webhooks import meta_text_body, post_signed_webhook
from urp_portal.gateway import event_queue, services, tasks
from urp_portal.gateway.models import WebhookEvent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def queue_redis(settings):
    """The tests' Redis (REDIS_URL), or a throw-away redis-server when the suite runs without
    one: the hand-off exists only with Redis."""
    server = None
    if not settings.REDIS_URL:
        binary = shutil.which("redis-server")
        assert binary, "these tests need Redis: set REDIS_URL or install redis-server"
        port = _free_port()
        server = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
        for _ in range(100):
            try:
                redis.Redis.from_url(settings.REDIS_URL).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
    event_queue._client_of_process.cache_clear()
    event_queue.reset()
    yield settings.REDIS_URL
    event_queue.reset()
    event_queue._client_of_process.cache_clear()
    if server is not None:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def published(monkeypatch):
    """What would have gone to the broker: drains asked for, events handed to processing."""
    record: dict[str, list] = {"drains": [], "events": []}
    monkeypatch.setattr(
        tasks.webhook_events_drain, "apply_async", lambda **kwargs: record["drains"].append(True)
    )
    monkeypatch.setattr(
        tasks.webhook_event_process,
        "apply_async",
        lambda args, **kwargs: record["events"].append(args[0]),
    )
    return record


def test_a_burst_of_webhooks_publishes_one_drain_which_enqueues_each_event_in_order(
    db, client, settings, queue_redis, published, django_capture_on_commit_callbacks
):
    settings.WHATSAPP_GATEWAY = "meta"
    settings.WHATSAPP_APP_SECRET = "secret"
    bodies = [
        meta_text_body(wamid=f"wamid.burst{n}", sender="+393331112223", text=f"n{n}", timestamp=1)
        for n in range(3)
    ]

    with django_capture_on_commit_callbacks(execute=True):
        answers = [post_signed_webhook(client, body).status_code for body in bodies]
    moved = services.webhook_events_drain()

    assert answers == [200, 200, 200]
    assert len(published["drains"]) == 1
    assert moved == 3
    assert published["events"] == list(
        WebhookEvent.objects.order_by("pk").values_list("pk", flat=True)
    )


def test_a_push_after_the_drain_emptied_the_list_publishes_a_new_drain(queue_redis):
    first, second = event_queue.push(1), event_queue.push(2)
    drained = event_queue.pop_batch()
    empty = event_queue.pop_batch()
    after = event_queue.push(3)

    assert (first, second) == (True, False)
    assert drained == [1, 2]
    assert empty == []
    assert after is True
    assert event_queue.pop_batch() == [3]


def test_a_lost_drain_is_published_again_once_its_flag_expires(queue_redis, monkeypatch):
    monkeypatch.setattr(event_queue, "DRAIN_FLAG_TTL_MS", 50)
    assert event_queue.push(1) is True
    # The drain task published for it is lost: nobody pops, nobody clears the flag.
    time.sleep(0.2)

    again = event_queue.push(2)

    assert again is True
    assert event_queue.pop_batch() == [1, 2]


@pytest.mark.parametrize("first_id", [1, 10_000_000])
def test_the_drain_flag_lives_its_own_time_whatever_the_ids(queue_redis, monkeypatch, first_id):
    monkeypatch.setattr(event_queue, "DRAIN_FLAG_TTL_MS", 300)
    assert event_queue.push(first_id) is True

    time.sleep(0.05)
    while_due = event_queue.push(first_id + 1)
    time.sleep(0.4)
    after_it_expired = event_queue.push(first_id + 2)

    assert (while_due, after_it_expired) == (False, True)


def test_the_drain_moves_more_ids_than_one_pop_takes(queue_redis, published, monkeypatch):
    monkeypatch.setattr(event_queue, "POP_BATCH", 4)
    for event_id in range(1, 11):
        event_queue.push(event_id)

    moved = services.webhook_events_drain()

    assert moved == 10
    assert published["events"] == list(range(1, 11))


def test_an_unreachable_redis_leaves_the_event_to_the_sweep_like_an_unreachable_broker(
    settings, queue_redis, caplog
):
    settings.REDIS_URL = f"redis://127.0.0.1:{_free_port()}/0"
    event_queue._client_of_process.cache_clear()
    try:
        services.webhooks._enqueue_events([1, 2])

        assert "webhook events 1, 2 stored but not enqueued" in caplog.text
    finally:
        settings.REDIS_URL = queue_redis
        event_queue._client_of_process.cache_clear()


def test_a_redis_that_lost_its_scripts_is_sent_them_again(queue_redis):
    event_queue.push(1)
    # A restarted Redis (or SCRIPT FLUSH) no longer knows the scripts by their SHA-1.
    redis.Redis.from_url(queue_redis).script_flush()

    pushed = event_queue.push(2)
    redis.Redis.from_url(queue_redis).script_flush()
    popped = event_queue.pop_batch()

    assert pushed is False
    assert popped == [1, 2]


def test_a_forked_process_gets_a_connection_of_its_own(queue_redis, monkeypatch):
    parent = event_queue._client()
    monkeypatch.setattr(event_queue.os, "getpid", lambda: -1)

    child = event_queue._client()

    assert child is not parent
    assert child.connection is not parent.connection
