"""The door the tickets' flow tests come in by.

`receive` stores a citizen's message as the gateway would and runs the real inbound pipeline on
it. When the gateway's signed webhook and worker land, only its inside changes."""

import datetime as dt
import itertools

import pytest
import time_machine
from django.utils import timezone

from urp_portal.gateway.models import InboundMessage, OutboundMessage
from urp_portal.gateway.pipeline import inbound_message_run_pipeline
from urp_portal.gateway.states import MessageKind

from .factories import operator

_ids = itertools.count(1)


@pytest.fixture
def urp(client, municipality):
    """A client signed in as a URP operator (the user at `client.user`)."""
    user = operator(first_name="Giulia", last_name="Serra")
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def shared_cache(monkeypatch):
    """The stamp and the access as they run with Redis: the test's one process shares its
    local cache."""
    from django.core.cache import cache

    from tickets import access, live, selectors
    from tickets.admin import live_rows

    monkeypatch.setattr(live, "console_stamp_shared", lambda: True)
    monkeypatch.setattr(live_rows, "console_stamp_shared", lambda: True)
    monkeypatch.setattr(access, "access_cache_shared", lambda: True)
    monkeypatch.setattr(selectors.access, "access_cache_shared", lambda: True)
    cache.clear()


@pytest.fixture
def receive(db):
    def receive(
        sender: str,
        text: str = "",
        *,
        kind: str = MessageKind.TEXT,
        at: dt.datetime | None = None,
        profile_name: str = "Maria",
        media_mime_type: str = "",
    ) -> InboundMessage:
        at = at or timezone.now()
        with time_machine.travel(at, tick=False):
            message = InboundMessage.objects.create(
                provider_id=f"wamid.test.{next(_ids)}",
                sender=sender,
                profile_name=profile_name,
                sent_at=at,
                kind=kind,
                text=text,
                media_id="media-1" if kind in MessageKind.media_kinds() else "",
                media_mime_type=media_mime_type,
            )
            inbound_message_run_pipeline(message_id=message.pk)
        message.refresh_from_db()
        return message

    return receive


@pytest.fixture
def outbox():
    """The texts sent to a number, oldest first."""

    def outbox(to: str, purpose: str | None = None) -> list[OutboundMessage]:
        messages = OutboundMessage.objects.filter(to=to).order_by("created_at", "pk")
        if purpose:
            messages = messages.filter(purpose=purpose)
        return list(messages)

    return outbox


@pytest.fixture
def rome():
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Rome")

    def rome(*args: int) -> dt.datetime:
        return dt.datetime(*args, tzinfo=tz)

    return rome
