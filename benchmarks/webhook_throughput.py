# ruff: noqa: E501  (the report is a fixed-width table)
"""Webhook throughput and latency under gunicorn on PostgreSQL, beside a bare Django view.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/urp_gateway_bench \
    REDIS_URL=redis://127.0.0.1:6379/1 .venv/bin/python benchmarks/webhook_throughput.py

Needs `wrk` (Debian package) on PATH. Writes benchmarks/results/webhook_throughput.txt.
Goals: webhook throughput >= half the bare view's; p99 < 50 ms at a fixed 200 requests/s.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "webhook_throughput.txt"
SECRET = "bench-app-secret"
DATABASE_URL = os.environ.get(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/urp_gateway_bench"
)
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1")
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))
DURATION = os.environ.get("BENCH_DURATION", "15s")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
FIXED_RATE = 200
FIXED_SECONDS = 15

WRK_SCRIPT = """
local lines = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do lines[#lines + 1] = line end
  i = tonumber(args[2]) or 0
end
local counter = 0
request = function()
  counter = counter + 1
  local line = lines[((counter * 7919 + i) % #lines) + 1]
  local tab = line:find("\\t")
  local sig = line:sub(1, tab - 1)
  local body = line:sub(tab + 1)
  return wrk.format("POST", "/webhooks/whatsapp/meta/",
    {["Content-Type"] = "application/json", ["X-Hub-Signature-256"] = sig}, body)
end
"""


def body(n: int) -> bytes:
    wamid = f"wamid.bench.{uuid.uuid4().hex}.{n}"
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "390700000000", "phone_number_id": "1"},
        "contacts": [{"profile": {"name": "Bench"}, "wa_id": f"39340{n % 10_000_000:07d}"}],
        "messages": [
            {
                "from": f"39340{n % 10_000_000:07d}",
                "id": wamid,
                "timestamp": str(int(time.time())),
                "type": "text",
                "text": {"body": f"Messaggio di prova {n}"},
            }
        ],
    }
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
        }
    ).encode()


def sign(data: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), data, hashlib.sha256).hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_site",
        "PYTHONPATH": f"{ROOT / 'benchmarks'}:{ROOT}",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "DEBUG": "false",
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
        "SECURE_SSL_REDIRECT": "false",
        "WHATSAPP_APP_SECRET": SECRET,
        "WHATSAPP_GATEWAY": "meta",
    }


def prepare_database() -> None:
    name = DATABASE_URL.rsplit("/", 1)[1]
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"],
        check=True,
    )
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}"], check=True
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=environment(), check=True
    )


def purge_queue() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).delete("celery")


def parse_wrk(output: str) -> dict[str, float]:
    def ms(text: str) -> float:
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": ms(re.search(r"50%\s+(\S+)", output).group(1)),
        "p99": ms(re.search(r"99%\s+(\S+)", output).group(1)),
        "non2xx": float(m.group(1)) if (m := re.search(r"Non-2xx.*?(\d+)", output)) else 0.0,
    }


def wrk(url: str, script: Path | None = None, args: list[str] | None = None) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency"]
    if script:
        command += ["-s", str(script)]
    command.append(url)
    if args:
        command += ["--", *args]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return parse_wrk(output)


def fixed_rate(url: str, bodies: list[tuple[str, bytes]]) -> dict[str, float]:
    """Open loop: a request is due every 1/rate s whatever the answers; latency counts from
    when it was due, so a slow server cannot hide its queue (no coordinated omission)."""
    total = FIXED_RATE * FIXED_SECONDS
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    start = time.perf_counter() + 0.5
    next_index = iter(range(total))

    def run() -> None:
        nonlocal errors
        session = requests.Session()
        for i in next_index:
            due = start + i / FIXED_RATE
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            signature, data = bodies[i]
            response = session.post(
                url,
                data=data,
                headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
            )
            elapsed = (time.perf_counter() - due) * 1000
            with lock:
                latencies.append(elapsed)
                errors += response.status_code != 200

    threads = [threading.Thread(target=run) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    return {
        "requests": total,
        "p50": statistics.median(latencies),
        "p99": latencies[int(len(latencies) * 0.99) - 1],
        "max": latencies[-1],
        "errors": errors,
    }


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    prepare_database()
    purge_queue()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "urp_portal.wsgi",
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=environment(),
        start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/bench/bare/", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.1)
        with tempfile.TemporaryDirectory() as tmp:
            lines = Path(tmp) / "bodies.tsv"
            with lines.open("w") as handle:
                for n in range(60_000):
                    data = body(n)
                    handle.write(f"{sign(data)}\t{data.decode()}\n")
            script = Path(tmp) / "webhook.lua"
            script.write_text(WRK_SCRIPT)
            wrk(f"{base}/bench/bare/")  # warm-up
            bare = wrk(f"{base}/bench/bare/")
            hook = wrk(base, script, [str(lines), "0"])
        fixed_bodies = []
        for n in range(FIXED_RATE * FIXED_SECONDS):
            data = body(1_000_000 + n)
            fixed_bodies.append((sign(data), data))
        fixed = fixed_rate(f"{base}/webhooks/whatsapp/meta/", fixed_bodies)
        import psycopg

        with psycopg.connect(DATABASE_URL.replace("postgres://", "postgresql://")) as conn:
            stored = conn.execute("SELECT count(*) FROM gateway_webhookevent").fetchone()[0]
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)
        purge_queue()

    ratio = hook["rps"] / bare["rps"]
    report = f"""Webhook throughput: gunicorn ({WORKERS} sync workers) on PostgreSQL, Redis broker
machine: {os.cpu_count()} CPUs, loopback; load: wrk -t2 -c{CONNECTIONS} -d{DURATION}
(wrk and gunicorn share the machine's CPUs)

bare "return 200" view   : {bare["rps"]:8.1f} req/s   p50 {bare["p50"]:6.2f} ms   p99 {bare["p99"]:6.2f} ms
signed Meta webhook      : {hook["rps"]:8.1f} req/s   p50 {hook["p50"]:6.2f} ms   p99 {hook["p99"]:6.2f} ms   non-2xx {int(hook["non2xx"])}
webhook / bare           : {ratio:.2f}   (goal >= 0.50: {"met" if ratio >= 0.5 else "NOT met"})

fixed {FIXED_RATE} req/s for {FIXED_SECONDS} s (open loop, {fixed["requests"]} unique signed bodies):
  p50 {fixed["p50"]:.2f} ms   p99 {fixed["p99"]:.2f} ms   max {fixed["max"]:.2f} ms   errors {fixed["errors"]}
  goal p99 < 50 ms: {"met" if fixed["p99"] < 50 else "NOT met"}
events stored in the benchmark database: {stored}
"""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
