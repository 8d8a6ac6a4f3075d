"""The storm benchmark's settings: where it runs, the product's environment, free ports."""

from __future__ import annotations

import itertools
import os
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "broadcast_storm.txt"
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/urp_storm_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
SECRET = "bench-app-secret"
PHONE_NUMBER_ID = "1122334455667"
TOKEN = "bench-access-token"
POSTERS = 16
# (concurrency) of each group's worker, as docker-compose.yml runs them.
WORKERS = {"citizens": 2, "statuses": 2, "broadcasts": 4, "housekeeping": 1}
BEFORE = "before issue #17 (its text): 2,000 at 80/s took 4.3x the ideal; a citizen's welcome "
BEFORE += "52-60 s; counts caught up 18 s after the last status; ~40 ms of worker CPU per status"


def environment(rate: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "urp_portal.settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "DEBUG": "false",
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
        # A real backend's URL, as DEBUG off requires; the benchmark sends no email.
        "EMAIL_URL": "smtp://127.0.0.1:25",
        "URP_PSEUDONYM_KEY": "bench-pseudonym-key-not-for-production-0123456789",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "WHATSAPP_GATEWAY": "meta",
        "WHATSAPP_APP_SECRET": SECRET,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_ACCESS_TOKEN": TOKEN,
        "WHATSAPP_RATE_PER_SECOND": str(rate),
        "API_THROTTLE_READ_RATE": "100000/min",
    }


# BENCH_PORT_BASE=8170: the servers listen on 8170, 8171, ... (a machine shared with others
# gives each its own range); unset, on any free port.
_next_port = itertools.count(int(os.environ.get("BENCH_PORT_BASE", "0") or 0))


def free_port() -> int:
    if os.environ.get("BENCH_PORT_BASE"):
        return next(_next_port)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
