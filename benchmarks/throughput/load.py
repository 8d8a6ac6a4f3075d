"""What benchmarks/webhook_throughput.py posts: signed Meta webhook bodies, through wrk (closed
loop, for throughput) and through an open-loop client at a fixed rate (for latency)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import re
import statistics
import subprocess
import time
import uuid
from pathlib import Path

SECRET = "bench-app-secret"
# Each round gives each view SLICES runs of SLICE_SECONDS, alternated (bare, webhook, webhook,
# bare, ...): this shared machine's speed drifts by a fifth within minutes, and two 10 s runs
# back to back measured that drift as much as the views.
SLICES = int(os.environ.get("BENCH_SLICES", "5"))
SLICE_SECONDS = int(os.environ.get("BENCH_SLICE_SECONDS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
FIXED_RATE = 200
FIXED_SECONDS = 10
# Below gunicorn's keep-alive (gunicorn.conf.py: 5 s; its default: 2 s).
IDLE_REUSE_SECONDS = 1.0

# Each wrk thread posts its own slice of the bodies file (slice = round x threads + thread),
# so no body is posted twice within or across the webhook's runs: a duplicate would take the
# cheaper "already stored" path.
WRK_SCRIPT = """
local lines = {}
local base = 0
local path = "/"
local counter = 0
local next_tid = 0
setup = function(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end
init = function(args)
  for line in io.lines(args[1]) do lines[#lines + 1] = line end
  local span = math.floor(#lines / tonumber(args[4]))
  base = (tonumber(args[2]) * WRK_THREADS + tid) * span
  path = args[3]
end
request = function()
  counter = counter + 1
  local line = lines[((base + counter) % #lines) + 1]
  local tab = line:find("\\t")
  local sig = line:sub(1, tab - 1)
  local body = line:sub(tab + 1)
  return wrk.format("POST", path,
    {["Content-Type"] = "application/json", ["X-Hub-Signature-256"] = sig}, body)
end
""".replace("WRK_THREADS", "2")


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


def parse_wrk(output: str) -> dict[str, float]:
    def ms(text: str) -> float:
        found = re.match(r"([\d.]+)(us|ms|s|m)$", text)
        if not found:
            raise RuntimeError(f"cannot read wrk's latency {text!r} in:\n{output}")
        value, unit = found.groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]

    done = re.search(r"(\d+) requests in ([\d.]+\w+),", output)
    return {
        "requests": float(done.group(1)),
        "seconds": ms(done.group(2)) / 1000,
        "p50": ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1)),
        "p99": ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1)),
        "non2xx": float(m.group(1)) if (m := re.search(r"Non-2xx.*?(\d+)", output)) else 0.0,
    }


def wrk(url: str, script: Path, args: list[str], cpus: set[int]) -> dict[str, float]:
    command = ["taskset", "-c", ",".join(map(str, sorted(cpus)))]
    command += ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SLICE_SECONDS}s", "--latency"]
    command += ["-s", str(script), url, "--", *args]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return parse_wrk(output)


async def _constant_rate(
    port: int, requests_bytes: list[bytes], rate: int, seconds: int
) -> dict[str, float]:
    """Open loop: request i is due at start + i/rate whatever the answers, and its latency counts
    from when it was due, so a server that falls behind cannot hide its queue (no coordinated
    omission, as wrk2 does it). Keep-alive connections are reused; a new one is opened only
    when every open one is busy, or when the idle one is older than the server's keep-alive
    allows (a request written into a connection the server is closing fails for the client's
    reason, not the server's). asyncio on raw sockets costs far less CPU than the server
    (~0.1 ms per request), which matters on a machine whose CPUs the server shares."""
    total = rate * seconds
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
    latencies: list[float] = []
    errors = 0
    opened = 0

    async def one(i: int, due: float) -> None:
        nonlocal errors, opened
        try:
            while idle and idle[-1][2] < time.perf_counter() - IDLE_REUSE_SECONDS:
                idle.pop()[1].close()
            if idle:
                reader, writer, _since = idle.pop()
            else:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                opened += 1
            writer.write(requests_bytes[i % len(requests_bytes)])
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = re.search(rb"(?i)content-length:\s*(\d+)", head)
            if length:
                await reader.readexactly(int(length.group(1)))
            latencies.append((time.perf_counter() - due) * 1000)
            errors += status != 200
            if re.search(rb"(?i)connection:\s*close", head):
                writer.close()
            else:
                idle.append((reader, writer, time.perf_counter()))
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1

    loop_start = time.perf_counter() + 0.2
    tasks = []
    for i in range(total):
        due = loop_start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    for _reader, writer, _since in idle:
        writer.close()
    latencies.sort()
    return {
        "requests": total,
        "p50": statistics.median(latencies),
        "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)],
        "max": latencies[-1],
        "errors": errors,
        "connections": opened,
    }


def raw_request(path: str, port: int, signature: str, data: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nX-Hub-Signature-256: {signature}\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


def fixed_rate(path: str, port: int, first: int) -> dict[str, float]:
    bodies = [body(first + n) for n in range(FIXED_RATE * FIXED_SECONDS)]
    prepared = [raw_request(path, port, sign(data), data) for data in bodies]
    return asyncio.run(_constant_rate(port, prepared, FIXED_RATE, FIXED_SECONDS))
