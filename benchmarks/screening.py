"""Screening benchmark: precision and recall on the labelled set, and time per message.

Run on demand from the repository root: python benchmarks/screening.py [--passes N]
The report is printed and written to benchmarks/results/screening.txt.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))
screening = importlib.import_module("moderation.screening")

LABELLED_SET = ROOT / "benchmarks" / "data" / "screening_labelled_it.jsonl"
REPORT = ROOT / "benchmarks" / "results" / "screening.txt"
# The set is written as messages to the URP of Cagliari.
BENCHMARK_CONFIG = screening.ScreeningConfig(allowed_domains=frozenset({"comune.cagliari.it"}))


@dataclass(frozen=True)
class Example:
    text: str
    categories: frozenset[str]


@dataclass(frozen=True)
class Score:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 1.0

    def row(self, name: str) -> str:
        return (
            f"{name:<20} {self.precision:>9.3f} {self.recall:>7.3f} "
            f"{self.true_positives:>5} {self.false_positives:>5} {self.false_negatives:>5}"
        )


def load_examples(path: Path = LABELLED_SET) -> list[Example]:
    with path.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    return [Example(row["text"], frozenset(row["categories"])) for row in rows]


def score_messages(examples: list[Example], predictions: list[frozenset[str]]) -> Score:
    """Message level: a message is predicted violating when it has any flag."""
    counts = Counter(
        (bool(example.categories), bool(predicted))
        for example, predicted in zip(examples, predictions, strict=True)
    )
    return Score(counts[True, True], counts[False, True], counts[True, False])


def score_category(
    examples: list[Example], predictions: list[frozenset[str]], category: str
) -> Score:
    counts = Counter(
        (category in example.categories, category in predicted)
        for example, predicted in zip(examples, predictions, strict=True)
    )
    return Score(counts[True, True], counts[False, True], counts[True, False])


def evaluate(examples: list[Example], config: screening.ScreeningConfig = BENCHMARK_CONFIG):
    screen = screening.build_screener(config)
    flags = [screen(example.text) for example in examples]
    categories = [frozenset(flag.category for flag in message_flags) for message_flags in flags]
    return flags, categories


def time_per_message(examples: list[Example], passes: int) -> list[float]:
    screen = screening.build_screener(BENCHMARK_CONFIG)
    timings = []
    for _ in range(passes):
        for example in examples:
            started = time.perf_counter_ns()
            screen(example.text)
            timings.append((time.perf_counter_ns() - started) / 1000)
    return timings


def database_screener():
    """The product's path: moderation.selectors.screener_for, which reads the lists' version from
    the database for every message and screens with the lists seeded by the migrations. Runs on
    a throwaway SQLite file unless BENCHMARK_DATABASE_URL names another database."""
    import os
    import tempfile

    folder = tempfile.mkdtemp(prefix="urp-screening-benchmark-")
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCHMARK_DATABASE_URL", f"sqlite:///{folder}/benchmark.sqlite3"
    )
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "urp_portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from moderation.selectors import screener_for
    from urp_portal.municipality.services import municipality_load_preset

    cagliari = municipality_load_preset(slug="cagliari")

    def screen(text: str):
        return screener_for(municipality=cagliari)(text)

    return screen


def time_with(screen, examples: list[Example], passes: int) -> list[float]:
    timings = []
    for _ in range(passes):
        for example in examples:
            started = time.perf_counter_ns()
            screen(example.text)
            timings.append((time.perf_counter_ns() - started) / 1000)
    return timings


def cpu_per_message(screen, examples: list[Example], passes: int) -> float:
    """CPU time of this process per message, in µs: what a busy machine (other processes on
    the same cores) does not inflate, unlike the wall times above. The database's own CPU (the
    version query, once per VERSION_CHECK_SECONDS) is another process's and not counted."""
    started = time.process_time_ns()
    for _ in range(passes):
        for example in examples:
            screen(example.text)
    return (time.process_time_ns() - started) / 1000 / (passes * len(examples))


def timing_line(label: str, timings: list[float], passes: int) -> str:
    p99 = statistics.quantiles(timings, n=100)[98]
    mean = statistics.fmean(timings)
    return (
        f"{label} over {passes} passes: mean {mean:.1f} µs,"
        f" median {statistics.median(timings):.1f} µs, p99 {p99:.1f} µs, max {max(timings):.1f} µs"
    )


def comune_beside_screener():
    """The same path for a comune served beside the active one (issue #24): Cagliari's preset
    loaded as its own comune on its own number, screened in its scope with its own lists."""
    from moderation.selectors import screener_for
    from urp_portal.municipality.scope import comune_scope
    from urp_portal.municipality.services import municipality_load_preset_for_number

    comune = municipality_load_preset_for_number(
        preset="cagliari", comune_slug="cagliari-bis", phone_number_id="100000000000099"
    )

    def screen(text: str):
        with comune_scope(comune):
            return screener_for(municipality=comune)(text)

    return screen


def database_lines(examples: list[Example], passes: int) -> list[str]:
    from django.db import connection

    screen = database_screener()
    predictions = [frozenset(flag.category for flag in screen(e.text)) for e in examples]
    timings = time_with(screen, examples, passes)
    lines = [
        "",
        f"the product's path (screener_for, lists from the database, {connection.vendor}):",
        score_messages(examples, predictions).row("overall (message)"),
        timing_line("time per message incl. the version query", timings, passes),
        f"CPU per message (this process) over {passes} passes: "
        f"{cpu_per_message(screen, examples, passes):.1f} µs",
    ]
    beside = comune_beside_screener()
    predictions = [frozenset(flag.category for flag in beside(e.text)) for e in examples]
    return [
        *lines,
        "",
        "a comune served beside the active one (its scope, its own lists and cached screener):",
        score_messages(examples, predictions).row("overall (message)"),
        f"CPU per message (this process) over {passes} passes: "
        f"{cpu_per_message(beside, examples, passes):.1f} µs",
    ]


def report(examples: list[Example], passes: int, database: bool = True) -> str:
    flags, predictions = evaluate(examples)
    clean = sum(1 for example in examples if not example.categories)
    lines = [
        (
            f"Screening benchmark: {len(examples)} messages, {clean} clean, "
            f"{len(examples) - clean} violating"
        ),
        "",
        f"{'':<20} {'precision':>9} {'recall':>7} {'tp':>5} {'fp':>5} {'fn':>5}",
        score_messages(examples, predictions).row("overall (message)"),
    ]
    lines += [
        score_category(examples, predictions, category).row(category)
        for category in screening.CATEGORY_CODES
    ]
    rule_counts = Counter(flag.rule for message_flags in flags for flag in message_flags)
    lines += [
        "",
        "flags per rule: "
        + ", ".join(f"{rule} {count}" for rule, count in sorted(rule_counts.items())),
    ]
    timings = time_per_message(examples, passes)
    lines += ["", timing_line("time per message", timings, passes)]
    if database:
        lines += database_lines(examples, passes)
    lines += ["", "errors (expected -> predicted):"]
    for example, predicted in zip(examples, predictions, strict=True):
        if bool(example.categories) != bool(predicted):
            expected = ",".join(sorted(example.categories)) or "clean"
            lines.append(
                f"  [{expected} -> {','.join(sorted(predicted)) or 'clean'}] {example.text}"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=20)
    parser.add_argument(
        "--no-database",
        action="store_true",
        help="skip the product's path (Django, lists read from a database)",
    )
    arguments = parser.parse_args()
    text = report(load_examples(), arguments.passes, database=not arguments.no_database)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text, encoding="utf-8")
    print(text, end="")


if __name__ == "__main__":
    main()
