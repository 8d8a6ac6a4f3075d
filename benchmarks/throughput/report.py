"""The report of one layout's rounds (benchmarks/webhook_throughput.py), beside the goals."""

from __future__ import annotations

import statistics
from typing import Any

from throughput.load import FIXED_RATE, FIXED_SECONDS


def cpu_text(cpu: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in cpu.items()) + f" (total {sum(cpu.values()):.2f})"


def layout_report(result: dict[str, Any]) -> list[str]:
    rounds = result["rounds"]
    cpus = f"web on CPUs {sorted(result['web_cpus'])}, the rest on {sorted(result['other_cpus'])}"

    def median(key: str, field: str) -> float:
        return statistics.median(r[key][field] for r in rounds)

    ratios = [r["hook"]["rps"] / r["bare"]["rps"] for r in rounds]
    ratio = statistics.median(ratios)
    hook_p99 = median("hook_fixed", "p99")
    lines_out = [
        cpus,
        f'bare "return 200" view   : {median("bare", "rps"):8.1f} req/s   '
        f"p50 {median('bare', 'p50'):6.2f} ms   p99 {median('bare', 'p99'):6.2f} ms",
        f"signed Meta webhook      : {median('hook', 'rps'):8.1f} req/s   "
        f"p50 {median('hook', 'p50'):6.2f} ms   p99 {median('hook', 'p99'):6.2f} ms",
        f"webhook / bare           : {ratio:.2f}   (goal >= 0.50: "
        f"{'met' if ratio >= 0.5 else 'NOT met'}); rounds: " + " ".join(f"{r:.2f}" for r in ratios),
        "",
        f"fixed {FIXED_RATE} req/s for {FIXED_SECONDS} s, open loop (latency from when each "
        "request was due), unique signed bodies:",
        f"  bare    p50 {median('bare_fixed', 'p50'):6.2f} ms   "
        f"p99 {median('bare_fixed', 'p99'):6.2f} ms   max {median('bare_fixed', 'max'):7.2f} ms",
        f"  webhook p50 {median('hook_fixed', 'p50'):6.2f} ms   p99 {hook_p99:6.2f} ms   "
        f"max {median('hook_fixed', 'max'):7.2f} ms",
        f"  goal webhook p99 < 50 ms: {'met' if hook_p99 < 50 else 'NOT met'}",
        "",
        "CPU per request under wrk (median of the rounds; the web server's CPUs are the limit):",
        "  bare    "
        + cpu_text(
            {
                k: statistics.median(r["bare"]["cpu_ms"][k] for r in rounds)
                for k in rounds[0]["bare"]["cpu_ms"]
            }
        ),
        "  webhook "
        + cpu_text(
            {
                k: statistics.median(r["hook"]["cpu_ms"][k] for r in rounds)
                for k in rounds[0]["hook"]["cpu_ms"]
            }
        ),
        "",
        "rounds (load average 1/5/15 min before -> after):",
    ]
    for n, r in enumerate(rounds, start=1):
        lines_out += [
            f"  {n}. load {r['load']}",
            f"     wrk   bare {r['bare']['rps']:7.1f} req/s p99 {r['bare']['p99']:6.2f} ms | "
            f"webhook {r['hook']['rps']:7.1f} req/s p99 {r['hook']['p99']:6.2f} ms "
            f"non-2xx {int(r['hook']['non2xx'])} | ratio {ratios[n - 1]:.2f}",
            f"     CPU ms per request: bare {cpu_text(r['bare']['cpu_ms'])} | "
            f"webhook {cpu_text(r['hook']['cpu_ms'])}",
            f"     webhooks per commit {r['hook']['rows_per_commit']:.2f}; wrk's connections "
            "per gunicorn process, slice by slice:",
            f"       bare    {' '.join(map(str, r['bare']['spreads']))}",
            f"       webhook {' '.join(map(str, r['hook']['spreads']))}",
            f"     fixed bare p50 {r['bare_fixed']['p50']:5.2f} p99 {r['bare_fixed']['p99']:6.2f} "
            f"| webhook p50 {r['hook_fixed']['p50']:5.2f} p99 {r['hook_fixed']['p99']:6.2f} "
            f"max {r['hook_fixed']['max']:7.2f} errors {r['hook_fixed']['errors']} "
            f"connections {r['hook_fixed']['connections']}",
        ]
    return lines_out
