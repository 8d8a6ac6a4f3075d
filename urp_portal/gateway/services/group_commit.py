"""Group commit: the request threads of a web process hand their rows to one writer thread,
which stores the rows waiting at that moment with one statement and one commit, and then lets
each request go on with its own result.

Why: a webhook's INSERT and its commit cost the web process more CPU than the rest of the
request (psycopg's round trip, PostgreSQL's parse and commit, the Redis push of the event id),
and a 2-CPU server runs out of CPU long before it runs out of threads. Written together, a few
webhooks share one round trip, one commit (one WAL flush) and one Redis push: +40% webhooks per
second on the benchmark (benchmarks/results/webhook_throughput.txt).

DESIGN.md's contract holds: a request still answers only after its row is committed (it waits
for its batch), and the processing is handed on after that commit. What a request waits for
is at most LINGER plus the batch's INSERT. Nothing is held in memory that the database does not
hold: a process killed before its batch commits loses only requests that were never answered
(Meta delivers them again); one killed after the commit leaves committed events that the
gateway sweep enqueues.
"""

from __future__ import annotations

import contextvars
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

logger = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

# How long the writer waits after the first row of a batch for others to join it: about one
# commit's time on a server disk, so a busy server batches and a quiet one barely waits.
LINGER_SECONDS = 0.001
MAX_BATCH = 64
# A request gives up on a writer that is stuck (a database that hangs) rather than hold a web
# thread for ever; the error answers 500 and Meta delivers the webhook again.
WAIT_SECONDS = 30.0


class GroupCommitTimeout(RuntimeError):
    pass


_STOP = object()


@dataclass(eq=False)
class _Waiting(Generic[Item, Result]):
    item: Item
    done: threading.Lock = field(default_factory=threading.Lock)
    # The caller's context (its request id, its client): what the batch logs and enqueues
    # carries the first caller's, as a task published by that request would.
    context: contextvars.Context = field(default_factory=contextvars.copy_context)
    result: Result | None = None
    error: BaseException | None = None


class GroupCommit(Generic[Item, Result]):
    """`write_batch(items)` stores the items in one transaction and returns one result per item,
    in order; it runs in the writer thread, which owns its own database connection. `submit`
    blocks the calling thread until its item's batch is written, then returns its result or
    raises the batch's error."""

    def __init__(
        self,
        write_batch: Callable[[Sequence[Item]], Sequence[Result]],
        *,
        name: str,
        on_stop: Callable[[], None] = lambda: None,
        linger: float = LINGER_SECONDS,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._write_batch = write_batch
        self._on_stop = on_stop
        self._name = name
        self._linger = linger
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._thread: threading.Thread | None = None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def submit(self, item: Item) -> Result:
        waiting: _Waiting[Item, Result] = _Waiting(item)
        waiting.done.acquire()
        self._queue_of_this_process().put(waiting)
        if not waiting.done.acquire(timeout=WAIT_SECONDS):
            raise GroupCommitTimeout(f"{self._name}: no answer from the writer in {WAIT_SECONDS} s")
        if waiting.error is not None:
            raise waiting.error
        return waiting.result  # type: ignore[return-value]

    def stop(self) -> None:
        """Let the writer of this process finish the rows handed to it, run `on_stop` in its
        thread (closing its database connection) and end; the next `submit` starts a new one.
        The tests stop it before their database is dropped."""
        with self._lock:
            if self._pid != os.getpid() or self._thread is None:
                return
            self._pid = None
            self._queue.put(_STOP)
            thread, self._thread = self._thread, None
        thread.join(timeout=WAIT_SECONDS)

    def _queue_of_this_process(self) -> queue.SimpleQueue[Any]:
        # A forked process (a gunicorn worker of a preloaded app) has the parent's objects but
        # not its threads: each process starts its own writer on first use.
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._queue = queue.SimpleQueue()
                    self._thread = threading.Thread(
                        target=self._run, args=(self._queue,), name=self._name, daemon=True
                    )
                    self._thread.start()
                    self._pid = os.getpid()
        return self._queue

    def _run(self, waiting_rows: queue.SimpleQueue[Any]) -> None:
        stopping = False
        while not stopping:
            first = waiting_rows.get()
            if first is _STOP:
                break
            batch = [first]
            if self._linger:
                time.sleep(self._linger)
            while len(batch) < self._max_batch:
                try:
                    waiting = waiting_rows.get_nowait()
                except queue.Empty:
                    break
                if waiting is _STOP:
                    stopping = True
                    break
                batch.append(waiting)
            self._write(batch)
        self._on_stop()

    def _write(self, batch: list[_Waiting[Item, Result]]) -> None:
        try:
            items = [waiting.item for waiting in batch]
            results = batch[0].context.run(self._write_batch, items)
            if len(results) != len(batch):
                raise RuntimeError(f"{self._name}: {len(results)} results for {len(batch)} rows")
            for waiting, result in zip(batch, results, strict=True):
                waiting.result = result
        # Whatever stopped the batch is each waiting request's error, raised in its own thread
        # (a 500 that Meta retries); the writer itself must live on for the next batch.
        except Exception as error:
            logger.warning("%s: a batch of %d failed: %s", self._name, len(batch), error)
            for waiting in batch:
                waiting.error = error
        finally:
            for waiting in batch:
                waiting.done.release()
