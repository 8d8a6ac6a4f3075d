"""Group commit: the request threads of a web process that store a row at the same time store
them together, with one statement and one commit, written by one of them (the leader) while the
others wait for their own result.

Why: a webhook's INSERT and its commit cost the web process more CPU than the rest of the
request (psycopg's round trip, PostgreSQL's parse and commit, the Redis push of the event id),
and a 2-CPU server runs out of CPU long before it runs out of threads. Written together, a few
webhooks share one round trip, one commit (one WAL flush) and one Redis push
(benchmarks/results/webhook_throughput.txt).

How a batch forms: the first caller finds nobody writing and becomes the leader; callers that
arrive while it writes queue up. When its write is done, the leader hands each of its batch its
result and makes the first caller still queued the next leader, which writes everything queued
by then. So a quiet server writes each row at once, with no wait, and a busy one writes bigger
batches the longer each write takes: the batch size follows the load. There is no writer
thread: a leader writes on its own request's thread and database connection, and the batch runs
in its context (its request id reaches the log lines and the tasks of the whole batch).

DESIGN.md's contract holds: a request still answers only after its row is committed (it waits
for its batch), and the processing is handed on after that commit. Nothing is held in memory
that the database does not hold: a process killed before a batch commits loses only requests
that were never answered (Meta delivers them again); one killed after the commit leaves
committed events that the gateway sweep enqueues.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

MAX_BATCH = 64
# A caller gives up on a leader that is stuck (a database that hangs) rather than hold a web
# thread for ever; the error answers 500 and Meta delivers the webhook again.
WAIT_SECONDS = 30.0


class GroupCommitTimeout(RuntimeError):
    pass


@dataclass(eq=False)
class _Waiting(Generic[Item, Result]):
    item: Item
    # Held until the caller's batch is written, or until the caller is to lead the next one.
    done: threading.Lock = field(default_factory=threading.Lock)
    leads: bool = False
    result: Result | None = None
    error: BaseException | None = None

    def outcome(self) -> Result:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class GroupCommit(Generic[Item, Result]):
    """`write_batch(items)` stores the items in one transaction and returns one result per item,
    in order; it runs on the leader's thread. `submit` returns the item's result once its batch
    is written, or raises the batch's error. `linger` (tests) makes each leader wait that long
    for others before it writes."""

    def __init__(
        self,
        write_batch: Callable[[Sequence[Item]], Sequence[Result]],
        *,
        name: str,
        linger: float = 0.0,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._write_batch = write_batch
        self._name = name
        self._linger = linger
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queued: list[_Waiting[Item, Result]] = []
        self._writing = False
        self._pid = os.getpid()

    def submit(self, item: Item) -> Result:
        waiting: _Waiting[Item, Result] = _Waiting(item)
        waiting.done.acquire()
        with self._lock:
            if self._pid != os.getpid():
                # A forked process (a gunicorn worker) has the parent's queue but none of the
                # parent's threads: nobody there will ever write it.
                self._queued, self._writing, self._pid = [], False, os.getpid()
            self._queued.append(waiting)
            waiting.leads = not self._writing
            self._writing = True
        if not waiting.leads:
            self._wait_for_batch_or_lead(waiting)
        if waiting.leads:
            self._lead(waiting)
        return waiting.outcome()

    def _wait_for_batch_or_lead(self, waiting: _Waiting[Item, Result]) -> None:
        if waiting.done.acquire(timeout=WAIT_SECONDS):
            return
        with self._lock:
            if waiting.leads:
                return  # made leader just now: it must lead, or the queue would stall
            if waiting in self._queued:
                self._queued.remove(waiting)
        raise GroupCommitTimeout(f"{self._name}: no batch written in {WAIT_SECONDS} s")

    def _lead(self, leader: _Waiting[Item, Result]) -> None:
        if self._linger:
            time.sleep(self._linger)
        with self._lock:
            batch = self._queued[: self._max_batch]
            del self._queued[: self._max_batch]
        try:
            self._write(batch)
        finally:
            with self._lock:
                successor = self._queued[0] if self._queued else None
                if successor is not None:
                    successor.leads = True
                else:
                    self._writing = False
            for waiting in batch:
                if waiting is not leader:
                    waiting.done.release()
            if successor is not None:
                successor.done.release()

    def _write(self, batch: list[_Waiting[Item, Result]]) -> None:
        try:
            results = self._write_batch([waiting.item for waiting in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"{self._name}: {len(results)} results for {len(batch)} rows")
            for waiting, result in zip(batch, results, strict=True):
                waiting.result = result
        # Whatever stopped the batch is each caller's error, raised in its own thread (a 500
        # that Meta retries); the next leader goes on with the rows queued after it.
        except Exception as error:
            logger.warning("%s: a batch of %d failed: %s", self._name, len(batch), error)
            for waiting in batch:
                waiting.error = error
