"""Web CPU per live-console request, in process: what one poll, one row fetch or one page redraw
costs the web server, apart from the machine's load (process CPU time, not wall clock).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/urp_h20_cpu \
    REDIS_URL=redis://127.0.0.1:6379/13 .venv/bin/python benchmarks/console_poll_cpu.py

The database named in DATABASE_URL is dropped and made again. Arranged: the Cagliari preset,
CITIZENS citizens with a ticket each (their messages through the real inbound pipeline), two
operators signed in with real sessions. Each request goes through Django's whole handler and
middleware (django.test.Client, production settings: DEBUG off, sessions in the database, the
cache and the live stamps in Redis); gunicorn's own parsing is not counted. Measured per kind,
ROUNDS times, the mean CPU milliseconds of the request alone (a citizen's message written between
two "something changed" requests is not counted):
- inbox / conversation poll when nothing changed;
- inbox / conversation poll after WRITES_PER_POLL citizens wrote (on other tickets: what 2 s
  bring at 5 messages/s);
- what a change then costs the page: the inbox's changed rows, or the whole inbox redrawn (before
  issue 20's second round), and the open conversation's live parts.
Writes benchmarks/results/console_poll_cpu.txt. BENCH_REUSE=1 BENCH_QUIET_ONLY=1 measures the
two "nothing changed" polls alone on the database of the run before (a minute, not five: the
fixed cost of a console's request, to compare two versions of the code) and writes nothing;
BENCH_QUIET_ONLY=changed the conversation's poll after WRITES_PER_POLL citizens wrote;
BENCH_QUIET_ONLY=doors the quiet conversation poll through the live poll's short door and the
whole way, interleaved in one process (compare_doors).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "console_poll_cpu.txt"
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/urp_h20_cpu")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "200"))
CITIZENS = int(os.environ.get("BENCH_CITIZENS", "400"))
# Between two polls of one console (2 s) at 5 messages/s: 10 citizens wrote.
WRITES_PER_POLL = int(os.environ.get("BENCH_WRITES_PER_POLL", "10"))
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["REDIS_URL"] = REDIS_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console_site")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production-0123456789")
os.environ.setdefault("URP_PSEUDONYM_KEY", "bench-pseudonym-key-not-for-production-0123456789")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("EMAIL_URL", "smtp://127.0.0.1:25")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
os.environ.setdefault("LOG_LEVEL", "ERROR")
# The tasks the citizens' messages enqueue (automatic replies) wait in the broker: no worker
# runs here, and none of them is what is measured.
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")
os.environ.setdefault("STATIC_ROOT", str(ROOT / "var" / "bench-static"))
sys.path.insert(0, str(ROOT / "benchmarks"))


def recreate_database() -> None:
    name = DATABASE_URL.rsplit("/", 1)[1]
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)


# BENCH_REUSE=1 keeps the database of the run before (its tickets and operators), for profiling.
REUSE = os.environ.get("BENCH_REUSE") == "1"
if not REUSE:
    recreate_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from tickets.models import Ticket  # noqa: E402
from urp_portal.accounts.roles import Role  # noqa: E402
from urp_portal.accounts.tests.factories import UserFactory  # noqa: E402
from urp_portal.gateway.models import InboundMessage  # noqa: E402
from urp_portal.gateway.pipeline import inbound_message_run_pipeline  # noqa: E402
from urp_portal.municipality.services import municipality_load_preset  # noqa: E402

PASSWORD = "una-password-lunga-per-il-benchmark"
BACKGROUND = {"X-URP-Background": "1"}
# Unique across runs on a reused database (BENCH_REUSE).
_sent = iter(range(time.time_ns(), 10**20))


def citizen_writes(n: int) -> None:
    """A citizen's message stored as the gateway stores it, through the real pipeline."""
    message = InboundMessage.objects.create(
        provider_id=f"wamid.cpu.{next(_sent)}",
        sender=f"+39340{n % CITIZENS:07d}",
        profile_name=f"Cittadino {n % CITIZENS}",
        sent_at=timezone.now(),
        kind="text",
        text=f"Buongiorno, una domanda sulla TARI numero {n}",
    )
    inbound_message_run_pipeline(message_id=message.pk)


def signed_in(username: str) -> Client:
    client = Client()
    page = client.get("/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token, "no sign-in form"
    client.post(
        "/admin/login/",
        {"csrfmiddlewaretoken": token.group(1), "username": username, "password": PASSWORD},
    )
    assert "sessionid" in client.cookies, f"{username} not signed in"
    return client


def cpu_ms(call, *, rounds: int = ROUNDS, between=None) -> float:
    """Mean process CPU milliseconds of `call`, `between` run (and not counted) before each."""
    used = 0.0
    for n in range(rounds):
        if between is not None:
            between(n)
        began = time.process_time()
        call()
        used += time.process_time() - began
    return used / rounds * 1000


def live_config(html: str) -> dict:
    import json

    found = re.search(r'id="live-config">(.*?)</script>', html, re.S)
    assert found, "no live configuration on the page"
    return json.loads(found.group(1))


def profile(kind: str) -> None:
    """BENCH_PROFILE=inbox|conversation[-changed]: where a poll's CPU goes (cProfile, top 40);
    "-changed": a citizen writes (not profiled) before each poll."""
    import cProfile
    import pstats

    from live_console_client import LiveClient

    ticket = Ticket.objects.order_by("pk").values_list("pk", flat=True)[CITIZENS // 2]
    url = f"/admin/tickets/ticket/{ticket}/conversation/" if kind.startswith("conv") else None
    live = LiveClient(
        signed_in("operatore_a"),
        page_url=url or "/admin/tickets/ticket/",
        ticket=ticket if url else None,
    )
    live.open()
    live.poll()
    # CPU time, not wall clock: waits for PostgreSQL and Redis are not the web process's work.
    profiler = cProfile.Profile(time.process_time)
    for n in range(ROUNDS):
        if kind.endswith("-changed"):
            for k in range(WRITES_PER_POLL):
                citizen_writes(CITIZENS + n * WRITES_PER_POLL + k)
        profiler.enable()
        live.poll()
        profiler.disable()
    pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(40)


def compare_doors(ticket: int, conversation_url: str) -> None:
    """The quiet conversation poll three ways, interleaved round by round in this one process
    (a busy machine's drift falls on each alike): the short door (tickets/live_door.py), the
    site's whole middleware and URL list with the JSON's CSP skipped, and the whole way with the
    CSP built as before. Each way is a test client whose handler is built under its settings."""
    from django.conf import settings
    from live_console_client import LiveClient

    site, door = list(settings.MIDDLEWARE), list(settings.URP_LIVE_MIDDLEWARE)
    ways = {}
    for name, middleware, live_middleware in (
        ("short door", site, door),
        ("whole way, no CSP on the JSON", site, []),
        (
            "whole way, CSP built (before)",
            [
                "csp.middleware.CSPMiddleware" if m.endswith("SkipJsonCspMiddleware") else m
                for m in site
            ],
            [],
        ),
    ):
        settings.MIDDLEWARE, settings.URP_LIVE_MIDDLEWARE = middleware, live_middleware
        live = LiveClient(signed_in("operatore_b"), page_url=conversation_url, ticket=ticket)
        live.open()
        live.poll()  # the handler is built at the first request, under these settings
        ways[name] = live
    settings.MIDDLEWARE, settings.URP_LIVE_MIDDLEWARE = site, door
    used = dict.fromkeys(ways, 0.0)
    for _n in range(ROUNDS):
        for name, live in ways.items():
            began = time.process_time()
            live.poll()
            used[name] += time.process_time() - began
    for name, seconds in used.items():
        print(f"conversation poll, nothing changed: {name:<32}  {seconds / ROUNDS * 1000:6.2f} ms")


def main() -> None:
    if not REUSE:
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        municipality_load_preset(slug="cagliari")
        for name in ("operatore_a", "operatore_b"):
            UserFactory(username=name, is_staff=True, roles=[Role.OPERATOR], password=PASSWORD)
        for n in range(CITIZENS):
            citizen_writes(n)
    if os.environ.get("BENCH_PROFILE"):
        profile(os.environ["BENCH_PROFILE"])
        return
    inbox, conversation = signed_in("operatore_a"), signed_in("operatore_b")
    ticket = Ticket.objects.order_by("pk").values_list("pk", flat=True)[CITIZENS // 2]
    inbox_url = "/admin/tickets/ticket/"
    conversation_url = f"/admin/tickets/ticket/{ticket}/conversation/"
    from live_console_client import LiveClient

    inbox_live = LiveClient(inbox, page_url=inbox_url)
    conversation_live = LiveClient(conversation, page_url=conversation_url, ticket=ticket)
    for live in (inbox_live, conversation_live):
        live.open()
        live.poll()
    writes = iter(range(CITIZENS, 10**9))

    def another_citizen_writes(_n: int) -> None:
        # What 2 s bring at 5 messages/s, on tickets other than the open conversation's.
        for _k in range(WRITES_PER_POLL):
            n = next(writes)
            if (n % CITIZENS) == CITIZENS // 2:
                n = next(writes)
            citizen_writes(n)

    if os.environ.get("BENCH_QUIET_ONLY") == "doors":
        compare_doors(ticket, conversation_url)
        return
    if os.environ.get("BENCH_QUIET_ONLY") == "changed":
        ms = cpu_ms(conversation_live.poll, between=another_citizen_writes)
        print(f"conversation poll, {WRITES_PER_POLL} citizens wrote elsewhere  {ms:7.2f} ms")
        return
    figures = {
        "inbox poll, nothing changed": cpu_ms(inbox_live.poll),
        "conversation poll, nothing changed": cpu_ms(conversation_live.poll),
    }
    if os.environ.get("BENCH_QUIET_ONLY") == "1":
        for name, ms in figures.items():
            print(f"{name:<40}  {ms:7.2f} ms")
        return
    figures |= {
        f"inbox poll, {WRITES_PER_POLL} citizens wrote": cpu_ms(
            inbox_live.poll, between=another_citizen_writes
        ),
        f"conversation poll, {WRITES_PER_POLL} citizens wrote elsewhere": cpu_ms(
            conversation_live.poll, between=another_citizen_writes
        ),
    }

    # The other consoles on the inbox: the rows of the same changes were drawn by the first.
    second = LiveClient(signed_in("operatore_a"), page_url=inbox_url)
    second.open()
    second.poll()

    def first_console_polls(n: int) -> None:
        another_citizen_writes(n)
        inbox_live.poll()

    figures[f"inbox poll, {WRITES_PER_POLL} citizens wrote, rows drawn by another console"] = (
        cpu_ms(second.poll, between=first_console_polls)
    )
    figures[f"inbox: {WRITES_PER_POLL} changes drawn (poll + what the page fetches)"] = cpu_ms(
        inbox_live.poll_and_draw, between=another_citizen_writes, rounds=ROUNDS // 4
    )
    figures["inbox: whole page redrawn"] = cpu_ms(
        lambda: inbox.get(inbox_url, headers=BACKGROUND), rounds=ROUNDS // 4
    )
    figures["conversation: live parts redrawn"] = cpu_ms(
        lambda: conversation.get(conversation_url + "?live=1", headers=BACKGROUND),
        rounds=ROUNDS // 4,
    )
    width = max(len(name) for name in figures)
    lines = [
        f"Web CPU per live-console request (benchmarks/console_poll_cpu.py, "
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC)",
        f"{CITIZENS} tickets, PostgreSQL + Redis, production settings, Django's handler in process;"
        f" mean of {ROUNDS} rounds ({ROUNDS // 4} for pages), process CPU time in ms",
        "",
        *(f"{name:<{width}}  {ms:7.2f} ms" for name, ms in figures.items()),
    ]
    report = "\n".join(lines) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
