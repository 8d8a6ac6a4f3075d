"""A Celery worker's run: its name, its heartbeat and its recovery loop (services/recovery.py).

At `worker_init` (before the pool forks, so every pool process inherits it) the run gets a name
of its own, `<hostname>/<random>`: a worker restarted on the same host is another run, and the
claims of the dead one are told apart from its own. Once the worker is ready a thread of the
main process writes the heartbeat every URP_WORKER_HEARTBEAT_SECONDS and runs the recovery
at once (work held by the run this one replaces is looked for at the start) and then every
URP_RECOVERY_INTERVAL_SECONDS, so recovery needs no beat and takes seconds.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

from celery.signals import worker_init, worker_ready, worker_shutdown
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.dispatch import Signal
from django.utils import timezone

logger = logging.getLogger(__name__)

# Sent after each recovery round with `dead_runs` (names) and `starting` (bool): the apps that
# keep their own chains of tasks (broadcasts' batches) resume them.
worker_runs_recovered = Signal()

_run = {"name": "", "hostname": ""}
_stop = threading.Event()


def current_run() -> str:
    """This process's worker run ("" outside a worker: tests, the web, commands)."""
    return _run["name"]


@worker_init.connect
def _name_the_run(sender=None, **kwargs) -> None:
    hostname = getattr(sender, "hostname", "") or "worker"
    _run["hostname"] = hostname[:60]
    _run["name"] = f"{hostname[:60]}/{uuid.uuid4().hex[:12]}"


@worker_ready.connect
def _start_heartbeat(sender=None, **kwargs) -> None:
    if not _run["name"] or not settings.URP_WORKER_HEARTBEAT_SECONDS:
        return
    _stop.clear()
    threading.Thread(target=_heartbeat_loop, name="urp-heartbeat", daemon=True).start()


@worker_shutdown.connect
def _stop_heartbeat(sender=None, **kwargs) -> None:
    # A clean stop: its rows are finished by the warm shutdown; the heartbeat just ends.
    _stop.set()


def _recover(*, starting) -> None:
    from .services.recovery import outbox_recover

    result = outbox_recover(starting=starting)
    worker_runs_recovered.send(
        sender=None, dead_runs=result.dead_runs, starting=starting is not None
    )


def _heartbeat_loop() -> None:
    from .models import WorkerLife

    now = timezone.now()
    started = False
    last_recovery = 0.0
    last_beat = time.monotonic()
    hold_until = 0.0
    while not _stop.is_set():
        try:
            close_old_connections()
            now = timezone.now()
            life, _created = WorkerLife.objects.update_or_create(
                name=_run["name"],
                defaults={"hostname": _run["hostname"], "seen_at": now},
                create_defaults={
                    "hostname": _run["hostname"],
                    "seen_at": now,
                    "started_at": now,
                },
            )
            silent_for, last_beat = time.monotonic() - last_beat, time.monotonic()
            if started and silent_for > settings.URP_WORKER_DEAD_AFTER_SECONDS / 2:
                # This run could not beat either (the database was away): the others' beats
                # are as old as ours, which says nothing about them. Give them two beats.
                hold_until = time.monotonic() + 2 * settings.URP_WORKER_HEARTBEAT_SECONDS
            if time.monotonic() < hold_until:
                _stop.wait(settings.URP_WORKER_HEARTBEAT_SECONDS)
                continue
            if not started or time.monotonic() - last_recovery >= (
                settings.URP_RECOVERY_INTERVAL_SECONDS
            ):
                _recover(starting=None if started else life)
                started = True
                last_recovery = time.monotonic()
        except DatabaseError:
            # The database is away (a restart): try again at the next beat.
            logger.warning("worker heartbeat: database unreachable", exc_info=True)
            connection.close()
        _stop.wait(settings.URP_WORKER_HEARTBEAT_SECONDS)
