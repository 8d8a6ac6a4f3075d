"""What a phase's figures say, beside issue #17's goals."""

from __future__ import annotations

import itertools
from typing import Any


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def number_share(result: dict[str, Any]) -> dict[str, float]:
    """The number's rate is shared: Meta counts its throughput "inclusive of inbound and
    outbound messages" (developers.facebook.com, whatsapp/throughput), so the citizens' messages
    and our replies to them take slots first (the limiter's lanes and its inbound count), and the
    broadcast's span cannot be shorter than every message of the number between its first and
    last send over the limiter's rate (rate x ratelimit.HEADROOM), whatever the workers do."""
    from urp_portal.gateway.ratelimit import HEADROOM

    times, rate, count = result["send_times"], result["rate"], result["count"]
    first, last = times[0], times[-1]
    replies = sum(1 for at in result["all_send_times"] if first <= at <= last) - len(times)
    inbound = sum(1 for at in result["inbound_times"] if first <= at <= last)
    capacity = rate * HEADROOM
    messages = len(times) + replies + inbound
    span = max(last - first, 1e-9)
    # The most messages of the number, both ways, in any one second (a sliding window).
    every = sorted(result["all_send_times"] + result["inbound_times"])
    window, end = 0, 0
    for start, at in enumerate(every):
        end = max(end, start)
        while end < len(every) and every[end] < at + 1.0:
            end += 1
        window = max(window, end - start)
    return {
        "replies": replies,
        "inbound": inbound,
        "capacity": capacity,
        "used": messages / span,
        "floor": (messages - 1) / capacity / (count / rate),
        # The span against what the rate allows once the citizens had theirs: the broadcast's
        # own pacing, which the goal of 1.03 is about.
        "ratio_left": span / ((messages - 1) / rate),
        "window": window,
    }


def pace(times: list[float], rate: int) -> dict[str, float]:
    """Where a broadcast's time goes beyond N / rate: the pauses between two sends longer than
    two of the limiter's intervals (a chain of slots broken: nobody asked for the next one when
    it was due), what they add up to, the longest, and the sends per whole second."""
    interval = 1.0 / rate
    gaps = [b - a for a, b in itertools.pairwise(times)]
    pauses = [gap for gap in gaps if gap > 2 * interval]
    per_second: dict[int, int] = {}
    for at in times:
        per_second[int(at - times[0])] = per_second.get(int(at - times[0]), 0) + 1
    full = [per_second.get(second, 0) for second in range(int(times[-1] - times[0]))] or [0]
    return {
        "pauses": len(pauses),
        "paused": sum(gap - interval for gap in pauses),
        "longest": max(gaps, default=0.0),
        "second_p5": percentile(full, 0.05),
        "second_p50": percentile(full, 0.50),
        "second_max": max(full),
    }


def report(result: dict[str, Any]) -> list[str]:
    rate, count = result["rate"], result["count"]
    ratio = result["span"] / result["ideal"] if result["sent"] > 1 else float("nan")
    replies = result["replies"]
    per_status = 1000 * result["cpu_used"]["worker-statuses"] / max(result["status_webhooks"], 1)
    per_send = 1000 * result["cpu_used"]["worker-broadcasts"] / max(result["sent"], 1)
    lag = result["status_lag"]
    lines = [
        f"## {count} subscribers at {rate}/s, "
        + (
            f"a new citizen writing every {1 / result['citizens_per_second']:.1f} s"
            if result["citizens_per_second"]
            else "the broadcast alone (no citizen writing)"
        ),
        f"sent {result['sent']} of {count}; ideal {result['ideal']:.1f} s; "
        f"first to last send {result['span']:.1f} s; ratio {ratio:.3f} (goal <= 1.03)",
        f"status webhooks {result['status_webhooks']} ({result['status_errors']} not 200); "
        f"status lag, last status answered -> API counts complete: "
        + (f"{lag:.1f} s (goal <= 5 s)" if lag is not None else "NOT complete in time"),
        (
            f"citizens' replies: {len(replies)} of {result['citizens']} answered; "
            f"p50 {percentile(replies, 0.5):.2f} s, p95 {percentile(replies, 0.95):.2f} s "
            "(goal p95 <= 2 s)"
            if result["citizens"]
            else "citizens' replies: none (nobody wrote)"
        ),
        f"webhook latency p50 {1000 * result['webhook_p50']:.1f} ms, "
        f"p99 {1000 * result['webhook_p99']:.1f} ms (goal < 100 ms)",
        f"worker CPU: {per_status:.2f} ms per status event (statuses worker; before ~40 ms), "
        f"{per_send:.2f} ms per send (broadcasts worker)",
        "CPU seconds per second while sending (2.0 = both CPUs): "
        + ", ".join(f"{k} {v:.2f}" for k, v in sorted(result["cpu_per_second"].items())),
    ]
    if len(result["send_times"]) > 1:
        gaps = pace(result["send_times"], rate)
        lines.append(
            f"pace: sends per whole second p5 {gaps['second_p5']:.0f}, "
            f"p50 {gaps['second_p50']:.0f}, max {gaps['second_max']:.0f}; "
            f"{gaps['pauses']} pauses longer than two intervals, "
            f"{gaps['paused']:.1f} s in all, longest {1000 * gaps['longest']:.0f} ms"
        )
        share = number_share(result)
        lines.append(
            "the number's messages in that span (Meta counts both ways): "
            f"{len(result['send_times'])} + {share['replies']} replies to citizens + "
            f"{share['inbound']} citizens' messages, "
            f"{share['used']:.1f}/s of the limiter's {share['capacity']:.1f}/s "
            f"({100 * share['used'] / share['capacity']:.1f}%); lowest ratio these allow "
            f"{share['floor']:.3f}; span against the rate the citizens left: "
            f"{share['ratio_left']:.3f} (goal <= 1.03); most messages in a sliding second "
            f"{share['window']} (cap {rate})"
        )
    return lines
