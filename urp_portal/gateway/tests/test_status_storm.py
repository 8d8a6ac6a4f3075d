"""The status storm: WhatsApp's statuses applied many at a time end exactly where the same
statuses applied one by one end, whatever their order, duplicates and early arrivals; and
through the real door (signed webhooks, a real worker) they go by their own lane and queue."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.fixtures.celery_worker import wait_until
from tests.fixtures.webhooks import post_signed_webhook
from urp_portal.gateway.adapters.base import ParsedStatus, StatusPricing
from urp_portal.gateway.models import OutboundMessage, PendingStatus, WebhookEvent
from urp_portal.gateway.services import webhook_event_process
from urp_portal.gateway.services.statuses import (
    outbound_message_apply_pending,
    outbound_message_apply_status,
    outbound_statuses_apply,
    outbound_statuses_apply_pending,
)

COMPARED = [
    "state",
    "sent_at",
    "delivered_at",
    "read_at",
    "error_code",
    "pricing_category",
    "pricing_type",
    "billable",
    "conversation_id",
]
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
PRICING = StatusPricing(
    category="utility",
    type="regular",
    model="PMP",
    billable=True,
    conversation_id="conv-1",
    conversation_origin="utility",
    conversation_expires_at=T0 + dt.timedelta(days=1),
)


def _storm(rng: random.Random, count: int) -> list[tuple[int, ParsedStatus]]:
    """For message i: a random mix of sent, delivered, read and failed, some twice, with
    WhatsApp's timestamps, in a shuffled order (the provider id is filled in per twin)."""
    storm = []
    for i in range(count):
        kinds = rng.sample(["sent", "delivered", "read", "failed"], k=rng.randint(1, 4))
        kinds += rng.sample(kinds, k=rng.randint(0, len(kinds)))  # duplicates
        for kind in kinds:
            at = T0 + dt.timedelta(
                seconds={"sent": 1, "delivered": 3, "read": 9, "failed": 5}[kind]
            )
            storm.append(
                (
                    i,
                    ParsedStatus(
                        provider_id="",
                        status=kind,
                        at=at + dt.timedelta(seconds=rng.randint(0, 2)),
                        error_code="131026" if kind == "failed" else "",
                        error_message="Receiver is incapable" if kind == "failed" else "",
                        pricing=PRICING if kind == "sent" else None,
                    ),
                )
            )
    rng.shuffle(storm)
    return storm


def _twin(storm, prefix: str) -> list[ParsedStatus]:
    return [
        ParsedStatus(**{**status.__dict__, "provider_id": f"{prefix}{i}"}) for i, status in storm
    ]


def _messages(prefix: str, count: int, *, known: range) -> None:
    OutboundMessage.objects.bulk_create(
        [
            OutboundMessage(
                to=f"+39340000{i:04d}",
                purpose="broadcast",
                template_name="avviso",
                priority=3,
                state="sent",
                provider_id=f"{prefix}{i}",
                sent_at=T0,
            )
            for i in range(count)
            if i in known
        ]
    )


def _record_late_sends(prefix: str, count: int, known: range) -> None:
    """The sends whose provider ids are stored only now, after their statuses came: what the
    send does after recording them."""
    _messages(prefix, count, known=range(known.stop, count))
    for i in range(known.stop, count):
        outbound_message_apply_pending(provider_id=f"{prefix}{i}")


def _states(prefix: str) -> dict[str, tuple]:
    return {
        m["provider_id"].removeprefix(prefix): tuple(m[f] for f in COMPARED)
        for m in OutboundMessage.objects.filter(provider_id__startswith=prefix).values(
            "provider_id", *COMPARED
        )
    }


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_statuses_in_groups_end_in_the_same_states_as_one_by_one(seed):
    rng = random.Random(seed)
    count, known = 80, range(70)  # the last 10 are early: their statuses come first
    storm = _storm(rng, count)
    _messages("one.", count, known=known)
    _messages("group.", count, known=known)

    for status in _twin(storm, "one."):
        if not outbound_message_apply_status(status=status):
            outbound_message_apply_pending(provider_id=status.provider_id)
    grouped = _twin(storm, "group.")
    while grouped:
        size = rng.randint(1, 60)
        applied = outbound_statuses_apply(statuses=grouped[:size])
        outbound_statuses_apply_pending(provider_ids=applied.unmatched)
        grouped = grouped[size:]
    _record_late_sends("one.", count, known)
    _record_late_sends("group.", count, known)

    one_by_one, in_groups = _states("one."), _states("group.")
    assert in_groups == one_by_one
    assert not PendingStatus.objects.exists()
    # And the states are the right ones, not merely the same: the furthest status wins, a
    # delivery beats a failure, a failure beats "sent".
    for i, status in storm:
        kinds = {s.status for j, s in storm if j == i}
        state = in_groups[str(i)][0]
        if "read" in kinds:
            assert state == "read"
        elif "delivered" in kinds:
            assert state == "delivered"
        elif "failed" in kinds:
            assert state == "failed"
            assert in_groups[str(i)][COMPARED.index("error_code")] == "131026"
        else:
            assert state == "sent"
        if "sent" in kinds:
            assert in_groups[str(i)][COMPARED.index("pricing_category")] == "utility"


@pytest.mark.django_db
def test_read_before_delivered_dates_delivery_by_the_earliest_proof():
    _messages("order.", 1, known=range(1))
    read = ParsedStatus(provider_id="order.0", status="read", at=T0 + dt.timedelta(seconds=9))
    delivered = ParsedStatus(
        provider_id="order.0", status="delivered", at=T0 + dt.timedelta(seconds=4)
    )

    outbound_statuses_apply(statuses=[read])
    outbound_statuses_apply(statuses=[delivered])

    message = OutboundMessage.objects.get(provider_id="order.0")
    assert message.state == "read"
    assert message.delivered_at == T0 + dt.timedelta(seconds=4)
    assert message.read_at == T0 + dt.timedelta(seconds=9)


@pytest.mark.django_db
def test_a_group_of_statuses_costs_as_many_queries_whatever_its_size():
    def apply(prefix: str, count: int) -> int:
        _messages(prefix, count, known=range(count))
        statuses = [
            ParsedStatus(provider_id=f"{prefix}{i}", status=kind, at=T0, pricing=PRICING)
            for i in range(count)
            for kind in ("delivered", "read")
        ]
        with CaptureQueriesContext(connection) as queries:
            applied = outbound_statuses_apply(statuses=statuses)
        assert applied.changed == count
        return len(queries)

    small, large = apply("small.", 10), apply("large.", 300)

    # Savepoint, one locking read, one UPDATE, release; SQLite's limit on a statement's
    # parameters splits the UPDATE of 300 rows
    assert small <= 4
    # (at most 999 parameters: about 45 rows of 11 fields a statement).
    assert large == small if connection.vendor == "postgresql" else large <= small + 300 // 40
    assert OutboundMessage.objects.filter(state="read").count() == 310


# --- through the real door -------------------------------------------------------------------


def _status_webhook(statuses: list[ParsedStatus]) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "390700000000", "phone_number_id": "1122334455667"},
        "statuses": [
            {
                "id": s.provider_id,
                "status": s.status,
                "timestamp": str(int(s.at.timestamp())),
                "recipient_id": "393400000000",
                **(
                    {"errors": [{"code": int(s.error_code), "title": s.error_message}]}
                    if s.error_code
                    else {}
                ),
                **(
                    {
                        "pricing": {
                            "billable": True,
                            "pricing_model": "PMP",
                            "category": "utility",
                            "type": "regular",
                        },
                        "conversation": {
                            "id": "conv-1",
                            "expiration_timestamp": str(
                                int(PRICING.conversation_expires_at.timestamp())
                            ),  # type: ignore[union-attr]
                            "origin": {"type": "utility"},
                        },
                    }
                    if s.pricing
                    else {}
                ),
            }
            for s in statuses
        ],
    }
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
        }
    ).encode()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_storm_of_signed_status_webhooks_ends_as_one_by_one_through_a_real_worker(
    fake_graph, celery_worker_process, client
):
    rng = random.Random(7)
    count, known = 120, range(100)
    storm = _storm(rng, count)
    _messages("hook.", count, known=known)
    _messages("one.", count, known=known)
    worker = celery_worker_process.start(graph=fake_graph, concurrency=3)
    # The same statuses one by one, in this process, as the reference.
    for status in _twin(storm, "one."):
        if not outbound_message_apply_status(status=status):
            outbound_message_apply_pending(provider_id=status.provider_id)

    hooks = _twin(storm, "hook.")
    answers = []
    while hooks:
        # Meta puts one status in a webhook, sometimes a few.
        size = rng.choice([1, 1, 1, 2, 3])
        answers.append(post_signed_webhook(client, _status_webhook(hooks[:size])).status_code)
        hooks = hooks[size:]
    events = WebhookEvent.objects.count()
    wait_until(
        lambda: not WebhookEvent.objects.filter(state="received").exists(),
        timeout=60,
        message=lambda: (
            f"{WebhookEvent.objects.filter(state='received').count()} events "
            f"of {events} not processed\n{worker.log()}"
        ),
    )
    _record_late_sends("hook.", count, known)
    _record_late_sends("one.", count, known)

    assert set(answers) == {200}
    assert _states("hook.") == _states("one.")
    assert not PendingStatus.objects.exists()
    assert not WebhookEvent.objects.exclude(state="processed").exists()
    log = worker.log()
    if settings.REDIS_URL:
        # With Redis the status events went by their own lane: drains, no task per event.
        assert "webhook_statuses_drain" in log
    else:
        assert "webhook_status_events_process" in log
    assert "webhook_event_process[" not in log


@pytest.mark.django_db
def test_a_status_webhook_stores_what_the_message_costs(client):
    _messages("price.", 1, known=range(1))
    status = ParsedStatus(provider_id="price.0", status="sent", at=T0, pricing=PRICING)

    post_signed_webhook(client, _status_webhook([status]))
    # No worker here: the stored event is processed by the one-event path, in this process.
    webhook_event_process(event_id=WebhookEvent.objects.get().pk)

    message = OutboundMessage.objects.get(provider_id="price.0")
    assert message.pricing_category == "utility"
    assert message.pricing_type == "regular"
    assert message.pricing_model == "PMP"
    assert message.billable is True
    assert message.conversation_id == "conv-1"
    assert message.conversation_origin == "utility"
    assert message.conversation_expires_at == PRICING.conversation_expires_at


def test_the_webhook_sorts_status_only_bodies_onto_the_status_lane():
    from tests.fixtures.webhooks import meta_text_body
    from urp_portal.gateway import event_queue

    statuses = _status_webhook([ParsedStatus(provider_id="w.1", status="read", at=T0)])
    compact = json.dumps(json.loads(statuses), separators=(",", ":")).encode()
    citizen = meta_text_body(
        wamid="w.2", sender="+393471234567", text='dice "statuses": [] e basta', timestamp=1
    )

    assert event_queue.lane_of("meta", statuses) == event_queue.STATUS_LANE
    assert event_queue.lane_of("meta", compact) == event_queue.STATUS_LANE
    assert event_queue.lane_of("meta", citizen) == event_queue.EVENT_LANE
    assert event_queue.lane_of("twilio", statuses) == event_queue.EVENT_LANE
