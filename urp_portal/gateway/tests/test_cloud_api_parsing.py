"""The Cloud API parser's rules that the flow tests do not reach: bodies batching several
messages, shapes from older API versions, values a database would refuse."""

import json

import pytest

from urp_portal.gateway.adapters.base import WebhookFormatError, is_business_scoped_user_id
from urp_portal.gateway.cloud_api import parse_cloud_api_body


def envelope(*values: dict, field: str = "messages") -> bytes:
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {"id": str(i), "changes": [{"field": field, "value": value}]}
                for i, value in enumerate(values)
            ],
        }
    ).encode()


def text(wamid: str, number: str = "393000000101") -> dict:
    return {
        "from": number,
        "id": wamid,
        "timestamp": "1796400000",
        "type": "text",
        "text": {"body": wamid},
    }


def test_every_entry_change_and_message_of_a_batched_body_is_read():
    body = envelope(
        {"metadata": {"phone_number_id": "1"}, "messages": [text("a"), text("b")]},
        {"metadata": {"phone_number_id": "1"}, "messages": [text("c")]},
    )

    parsed = parse_cloud_api_body(body, our_phone_number_ids={"1"})

    assert [m.provider_id for m in parsed.messages] == ["a", "b", "c"]


def test_a_batch_mixing_our_number_and_another_keeps_ours_and_reports_the_other():
    body = envelope(
        {"metadata": {"phone_number_id": "1"}, "messages": [text("ours")]},
        {"metadata": {"phone_number_id": "2"}, "messages": [text("theirs")]},
    )

    parsed = parse_cloud_api_body(body, our_phone_number_ids={"1"})

    assert [m.provider_id for m in parsed.messages] == ["ours"]
    assert parsed.foreign_phone_number_ids == ["2"]


def test_an_older_system_notice_naming_the_old_number_customer_is_understood():
    notice = {
        "id": "s",
        "timestamp": "1796400000",
        "type": "system",
        "system": {
            "customer": "393000000101",
            "new_wa_id": "393000000303",
            "type": "customer_changed_number",
            "body": "changed",
        },
    }

    [message] = parse_cloud_api_body(
        envelope({"messages": [notice]}), our_phone_number_ids=()
    ).messages

    assert message.sender == "+393000000101"
    assert message.extra["system"]["new_number"] == "+393000000303"


def test_errors_beside_the_messages_are_kept_on_each():
    value = {
        "messages": [{**text("x"), "type": "unsupported"}],
        "errors": [{"code": 131051, "title": "Message type unknown"}],
    }

    [message] = parse_cloud_api_body(envelope(value), our_phone_number_ids=()).messages

    assert message.extra["errors"][0]["code"] == 131051


def test_nul_is_removed_from_every_string_keys_included():
    raw = {**text("n"), "text": {"body": "a\u0000b"}, "x\u0000": "y"}

    [message] = parse_cloud_api_body(
        envelope({"messages": [raw]}), our_phone_number_ids=()
    ).messages

    assert message.text == "ab"
    assert message.extra["nul_removed"] == 2


@pytest.mark.parametrize("timestamp", ["yesterday", "99999999999999999999", None])
def test_a_timestamp_that_is_not_one_is_a_format_error(timestamp):
    raw = {**text("t"), "timestamp": timestamp}

    with pytest.raises(WebhookFormatError):
        parse_cloud_api_body(envelope({"messages": [raw]}), our_phone_number_ids=())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("IT.1502576394655843", True),
        ("US.ENT.11815799212886844830", True),
        ("+393000000101", False),
        ("393000000101", False),
        ("", False),
        ("it.123", False),
    ],
)
def test_business_scoped_user_ids_are_told_from_numbers(value, expected):
    assert is_business_scoped_user_id(value) is expected
