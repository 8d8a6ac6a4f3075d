"""The simulator's part in a citizen's erasure (GDPR art. 17).

The simulator stands for Meta and the citizen's phone, and is never enabled in production; but in
the demo and the tests its log sits in the comune's database, so a citizen's erasure takes their
simulated chat with it. A message sent after the erasure (the confirmation of "Cancellami") then
starts a new log for the number, as it reaches a real phone after the comune forgot the number.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .models import SimulatedMedia, SimulatedMessage


def simulated_chat_erase(sender: Any, subscriber: Any, **kwargs: Any) -> None:
    if not subscriber.number:
        return
    chat = SimulatedMessage.objects.filter(number=subscriber.number)
    media_ids = set(chat.exclude(media=None).values_list("media_id", flat=True))
    chat.delete()
    orphans = SimulatedMedia.objects.filter(pk__in=media_ids, messages__isnull=True)
    files = [name for name in orphans.values_list("file", flat=True) if name]
    orphans.delete()
    if files:
        # After commit: a rolled-back erasure must not have lost the files.
        transaction.on_commit(lambda: _delete_files(files))


def _delete_files(names: list[str]) -> None:
    storage = SimulatedMedia._meta.get_field("file").storage
    for name in names:
        storage.delete(name)


def connect() -> None:
    # The simulator stands on subscribers here only: the signal is subscribers' hook for the
    # apps that hold a citizen's data (subscribers/signals.py).
    from subscribers.signals import erase_personal_data

    erase_personal_data.connect(simulated_chat_erase, dispatch_uid="simulator.erase_chat")
