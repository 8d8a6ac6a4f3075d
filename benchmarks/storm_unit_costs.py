"""CPU per unit of a broadcast's work: per send, per status webhook, per status event applied.

    .venv/bin/python benchmarks/storm_unit_costs.py                 # 2,000 messages, fast paths
    .venv/bin/python benchmarks/storm_unit_costs.py --plain         # the same, fast paths off

The storm benchmark (broadcast_storm.py) says whether 80/s fits on the machine; this one says
where the CPU of each message goes, and its figures hold while other work runs, because it
counts CPU time, not wall time: this process's own (time.process_time) and that of the
PostgreSQL backend serving its connection (from /proc, triggers included). The product's own
code runs in this one process, service by service, as the workers and gunicorn run it:
- sends: `campaign_send_next_batch` (the batch's claim, the re-check, the reach count) and the
  batch task's `outbound_messages_send_batch` against a fake Graph API in another process (the
  rate limiter at 10^6/s: its Redis round trips counted, never a wait);
- status webhooks: each message's three (sent, delivered, read), signed, through the WSGI
  application as gunicorn calls it (everything but gunicorn's own HTTP parsing), all "sent"
  first, then "delivered", then "read" (no group folds two statuses of one message, as in a
  real storm where they come seconds apart);
- status events: `webhook_statuses_drain` after every --group webhooks (a storm's drains take
  groups of a few dozen).
Not counted: PostgreSQL's background writers (WAL writer, checkpointer, autovacuum), Redis,
gunicorn's HTTP parsing, Celery's task overhead.

Database `urp_unit_costs` (created anew), Redis index 5 (flushed) unless BENCH_DATABASE_URL /
BENCH_REDIS_URL say otherwise. Writes benchmarks/results/storm_unit_costs[_plain].txt.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import hmac
import io
import multiprocessing
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/urp_unit_costs")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")

import broadcast_storm as storm  # noqa: E402  (its environment, fake Meta and bodies)

TICK = os.sysconf("SC_CLK_TCK")


class Meter:
    """CPU seconds of this process and of its PostgreSQL backend, and statements run."""

    def __init__(self, profile: bool = False) -> None:
        self.profile = cProfile.Profile() if profile else None
        self.python = self.postgres = 0.0
        self.statements = 0
        self.units = 0

    def __enter__(self) -> Meter:
        from django.db import connection

        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self._pid = cursor.fetchone()[0]
        self._wrapper = connection.execute_wrapper(self._count)
        self._wrapper.__enter__()
        self._started = (time.process_time(), self._backend())
        if self.profile:
            self.profile.enable()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.profile:
            self.profile.disable()
        python, postgres = time.process_time(), self._backend()
        self._wrapper.__exit__(*exc)
        self.python += python - self._started[0]
        self.postgres += postgres - self._started[1]

    def _count(self, execute, sql, params, many, context):
        self.statements += 1
        return execute(sql, params, many, context)

    def _backend(self) -> float:
        raw = Path(f"/proc/{self._pid}/stat").read_text()
        fields = raw[raw.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def line(self, name: str) -> str:
        n = max(self.units, 1)
        return (
            f"{name:<22} {self.units:>7}  python {1000 * self.python / n:6.2f} ms  "
            f"postgresql {1000 * self.postgres / n:6.2f} ms  statements {self.statements / n:5.2f}"
        )


def post_webhook(application: Any, body: bytes) -> int:
    signature = "sha256=" + hmac.new(storm.SECRET.encode(), body, hashlib.sha256).hexdigest()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/webhooks/whatsapp/meta/",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_X_HUB_SIGNATURE_256": signature,
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    answer: list[str] = []
    for _chunk in application(environ, lambda status, headers, *a: answer.append(status)):
        pass
    return int(answer[0].split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--group", type=int, default=60, help="webhooks per status drain")
    parser.add_argument("--plain", action="store_true", help="URP_DATABASE_FAST_PATHS off")
    parser.add_argument(
        "--profile", action="store_true", help="print cProfile's top functions of each part"
    )
    arguments = parser.parse_args()

    name = storm.DATABASE_URL.rsplit("/", 1)[1]
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)
    import redis

    redis.Redis.from_url(storm.REDIS_URL).flushdb()
    graph_port = storm.free_port()
    environment = storm.environment(1_000_000)
    environment["WHATSAPP_GRAPH_URL"] = f"http://127.0.0.1:{graph_port}/v25.0"
    environment["URP_DATABASE_FAST_PATHS"] = "false" if arguments.plain else "true"
    # Each batch's sends one after another, in this thread: the meter reads the CPU of this
    # process's one backend, and sender threads would each have their own (the CPU of the
    # threaded batches: broadcast_storm.py's broadcasts worker, by process).
    environment["BROADCAST_SEND_THREADS"] = "1"
    # One backend for the whole run, whose CPU is read from /proc (a request closes a
    # connection older than this).
    environment["DATABASE_CONN_MAX_AGE"] = "86400"
    os.environ.update(environment)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=environment, check=True
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.urls import get_resolver

    from broadcasts import services
    from broadcasts.models import Campaign
    from broadcasts.selectors import campaign_counts
    from broadcasts.services import fanout
    from urp_portal.gateway.models import OutboundMessage
    from urp_portal.gateway.services import outbox_batch
    from urp_portal.gateway.services.status_events import webhook_statuses_drain
    from urp_portal.municipality.models import Municipality
    from urp_portal.wsgi import application

    # The URLconf and the views it imports, as a web process has them after its first request.
    get_resolver().url_patterns  # noqa: B018
    call_command("load_preset", "cagliari", verbosity=0)
    Municipality.objects.update(quiet_hours_start="00:00", quiet_hours_end="00:00")

    handoff: Any = multiprocessing.Queue()
    control, child = multiprocessing.Pipe()
    fake = multiprocessing.Process(target=storm.fake_meta, args=(graph_port, child, handoff))
    fake.start()
    assert control.recv() == "ready"
    try:
        count = arguments.subscribers
        campaign_id = storm.prepare(count, "36", 1_000_000)
        handed: list[list[int]] = []
        # The batch's hand-off and the next batch's task, run here rather than published.
        fanout.hand_to_gateway = lambda ids: handed.append(list(ids))
        fanout.enqueue_send_batch = lambda *args, **kwargs: None
        services.campaign_start(campaign_id=campaign_id)

        sends = Meter(arguments.profile)
        for _round in range(10 * count):
            with sends:
                outcome = fanout.campaign_send_next_batch(campaign_id=campaign_id)
                while handed:
                    outbox_batch.outbound_messages_send_batch(message_ids=handed.pop())
            if outcome.finished:
                break
        sent = list(
            OutboundMessage.objects.filter(purpose="broadcast")
            .exclude(provider_id="")
            .order_by("pk")
            .values_list("provider_id", "to")
        )
        sends.units = len(sent)

        webhooks, events = Meter(arguments.profile), Meter(arguments.profile)
        answers: dict[int, int] = {}
        bodies = [
            storm.status_body(wamid, status, to.lstrip("+"))
            for status in ("sent", "delivered", "read")
            for wamid, to in sent
        ]
        for start in range(0, len(bodies), arguments.group):
            with webhooks:
                for body in bodies[start : start + arguments.group]:
                    code = post_webhook(application, body)
                    answers[code] = answers.get(code, 0) + 1
            with events:
                webhook_statuses_drain(gather_seconds=0)
        webhooks.units = events.units = len(bodies)
        read = OutboundMessage.objects.filter(purpose="broadcast", state="read").count()
        counts = campaign_counts(campaign=Campaign.objects.get(pk=campaign_id))
    finally:
        control.send("stop")
        fake.join(timeout=10)
        fake.kill()
        # The sends' hand-offs nobody reads: do not wait to flush them at exit.
        handoff.cancel_join_thread()

    per_message = {
        "python": (sends.python + webhooks.python + events.python) / max(sends.units, 1),
        "postgresql": (sends.postgres + webhooks.postgres + events.postgres) / max(sends.units, 1),
    }
    lines = [
        "# CPU per unit of a broadcast (benchmarks/storm_unit_costs.py)",
        f"run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {count} subscribers; "
        f"fast paths {'off' if arguments.plain else 'on'}; status drain every "
        f"{arguments.group} webhooks; CPU time, so other load on the machine barely matters",
        f"sent {sends.units} of {count}; webhook answers {answers}; read {read}; counts {counts}",
        "",
        sends.line("per send"),
        webhooks.line("per status webhook"),
        events.line("per status event"),
        f"{'per message (1 send + 3 webhooks + 3 events)':<46} python "
        f"{1000 * per_message['python']:.2f} ms, postgresql "
        f"{1000 * per_message['postgresql']:.2f} ms, together "
        f"{1000 * sum(per_message.values()):.2f} ms",
        "",
    ]
    print("\n".join(lines))
    for name, meter in (("sends", sends), ("webhooks", webhooks), ("events", events)):
        if meter.profile:
            print(f"### {name}")
            pstats.Stats(meter.profile).sort_stats("tottime").print_stats(30)
            pstats.Stats(meter.profile).sort_stats("cumulative").print_stats(45)
    suffix = "_plain" if arguments.plain else ""
    results = ROOT / "benchmarks" / "results" / f"storm_unit_costs{suffix}.txt"
    results.write_text("\n".join(lines))
    print(f"written to {results}")


if __name__ == "__main__":
    main()
