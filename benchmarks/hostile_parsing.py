"""How long the mail parser takes on hostile text and headers (formerly timed assertions
in the tests, which a busy machine could fail): the quoted-reply cutter on 200,000-unit
runs, and whole messages whose From/To/Subject/Content-Type hold 20,000-unit runs.

Run with ``PYTHONPATH=src python benchmarks/hostile_parsing.py``. Median of 5 runs of each
input; writes ``## Hostile mail parsing`` in benchmarks/RESULTS.md. The tests keep the same
inputs and check the results; what the tests used to demand, on any machine, was under 5 s
for all the texts together and under 10 s for all the headers."""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from pathlib import Path

from _common import machine, publish

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests hold the inputs

from sladesk.channels.email.parsing import parse
from sladesk.channels.email.parsing.quotes import visible_text
from tests.channels.test_email_parsing import (
    HOSTILE_HEADER_VALUES,
    HOSTILE_TEXTS,
)

RUNS = 5


def median_seconds(work: object) -> float:
    times = []
    for _run in range(RUNS):
        started = time.perf_counter()
        work()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def message(value: str) -> bytes:
    headers = f"From: {value}\nTo: {value}\nSubject: {value}\n"
    return f"{headers}Content-Type: text/plain; name={value}\n\nx".encode()


def main() -> None:
    lines = [
        "## Hostile mail parsing",
        "",
        f"{machine()}, {dt.datetime.now(dt.UTC).date().isoformat()}, median of {RUNS} runs.",
        "",
        "| input | seconds |",
        "| --- | ---: |",
    ]
    for text in HOSTILE_TEXTS:
        label = f"visible_text of {text[:12]!r}… ({len(text):,} chars)"
        lines.append(f"| {label} | {median_seconds(lambda t=text: visible_text(t)):.3f} |")
    for value in HOSTILE_HEADER_VALUES:
        raw = message(value)
        label = f"parse, headers of {value[:12]!r}… ({len(raw):,} bytes)"
        lines.append(f"| {label} | {median_seconds(lambda r=raw: parse(r)):.3f} |")
    publish("## Hostile mail parsing", lines)


if __name__ == "__main__":
    main()
