"""Moved to tests/fixtures/conversation.py (the chat DSL every app's tests use); these names stay
importable from here for tests written before the move."""

from tests.fixtures.conversation import (
    JPEG_BYTES,
    Citizen,
    WhatsApp,
    outbox,
    receive,
    received_text,
    texts,
)

__all__ = ["JPEG_BYTES", "Citizen", "WhatsApp", "outbox", "receive", "received_text", "texts"]
