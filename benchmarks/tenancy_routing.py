"""What routing a webhook to its comune costs (issue #24: "the webhook routing adds under 1 ms").

    .venv/bin/python benchmarks/tenancy_routing.py

A fresh PostgreSQL database `urp_tenancy_bench` (DATABASE_URL to change it) with BENCH_COMUNI
comuni (100) each bound to its own number, then, BENCH_CALLS times (2,000) each: recognising the
deployment's own number (no query), recognising a bound number (the webhook's parse, one query),
routing a message to its comune (the worker, one query), and the Meta adapter's whole parse of a
one-message webhook for a bound number. Reports the process CPU time per call (what the web and
worker processes spend) and the wall time per call (which includes PostgreSQL's answer, and
means little while other programs load the machine). Writes
benchmarks/results/tenancy_routing.txt.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "tenancy_routing.txt"
DATABASE_URL = os.environ.get(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/urp_tenancy_bench"
)
COMUNI = int(os.environ.get("BENCH_COMUNI", "100"))
CALLS = int(os.environ.get("BENCH_CALLS", "2000"))
OWN_NUMBER = "1122334455667"
os.environ.update(
    DJANGO_SETTINGS_MODULE="urp_portal.settings",
    DATABASE_URL=DATABASE_URL,
    DEBUG="false",
    SECRET_KEY="benchmark-only-" + "k" * 50,
    URP_PSEUDONYM_KEY="benchmark-only-" + "p" * 50,
    URP_SECRETS_KEY="benchmark-only-" + "s" * 50,
    EMAIL_URL="smtp://127.0.0.1:25",
    WHATSAPP_GATEWAY="meta",
    WHATSAPP_PHONE_NUMBER_ID=OWN_NUMBER,
    LOG_LEVEL="WARNING",
)

if __name__ == "__main__":
    from benchmarks.outbox_send import recreate_database

    recreate_database(DATABASE_URL)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from urp_portal.gateway.adapters import get_adapter  # noqa: E402
from urp_portal.municipality.presets import PRESETS  # noqa: E402
from urp_portal.municipality.selectors import (  # noqa: E402
    municipality_route_phone_number_id,
    phone_number_id_is_ours,
)
from urp_portal.municipality.services import municipality_load_preset_for_number  # noqa: E402


def number_of(index: int) -> str:
    return f"3{index:014d}"


def webhook_body(phone_number_id: str) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "390700000000", "phone_number_id": phone_number_id},
        "contacts": [{"profile": {"name": "Cittadino"}, "wa_id": "393471112233"}],
        "messages": [
            {
                "from": "393471112233",
                "id": "wamid.bench",
                "timestamp": str(int(time.time())),
                "type": "text",
                "text": {"body": "Buongiorno, orari anagrafe?"},
            }
        ],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(body).encode()


def measure(label: str, call) -> str:
    call()  # warm: the connection, the query's plan
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(CALLS):
        call()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return f"{label:<58} {cpu / CALLS * 1000:8.3f} ms {wall / CALLS * 1000:8.3f} ms"


def main() -> None:
    call_command("migrate", verbosity=0)
    presets = sorted(PRESETS)
    for index in range(COMUNI):
        municipality_load_preset_for_number(
            preset=presets[index % len(presets)],
            comune_slug=f"comune-{index:03d}",
            phone_number_id=number_of(index),
        )
    bound = number_of(COMUNI // 2)
    adapter = get_adapter("meta")
    body = webhook_body(bound)
    lines = [
        f"Tenancy routing, {COMUNI} comuni bound to their numbers, {CALLS} calls each "
        f"(PostgreSQL, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        f"{'':<58} {'CPU/call':>11} {'wall/call':>11}",
        measure(
            "deployment's own number is ours (no query)",
            lambda: phone_number_id_is_ours(OWN_NUMBER),
        ),
        measure("a bound number is ours (one statement)", lambda: phone_number_id_is_ours(bound)),
        measure(
            "route a message to its comune (one statement)",
            lambda: municipality_route_phone_number_id(bound),
        ),
        measure(
            "Meta adapter: parse a one-message webhook, bound number",
            lambda: adapter.parse_webhook(body=body),
        ),
    ]
    report = "\n".join(lines) + "\n"
    RESULTS.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
