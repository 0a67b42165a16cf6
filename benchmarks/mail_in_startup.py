"""How long `sladesk mail-in` takes for one message, the MTA's pipe: handed to a running
`sladesk lmtp` (`SLADESK_LMTP` and `--recipient`: no Django start-up) against storing it
itself (Django set up in the process, the message stored and processed).

Run: `python benchmarks/mail_in_startup.py [--runs 30]`. Uses a fresh SQLite database in a
temporary folder (migrated by `sladesk migrate`), starts `sladesk lmtp` on a free port, then
times whole `sladesk mail-in` processes, interleaved. Writes benchmarks/RESULTS.md under
"## mail-in start-up"."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine, publish

HEADING = "## mail-in start-up"
SLADESK = [sys.executable, "-m", "sladesk.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def message(number: int) -> bytes:
    mail = EmailMessage()
    mail["From"] = "user@alpha.example"
    mail["To"] = "support@vendor.example"
    mail["Subject"] = f"Printer {number}"
    mail["Message-ID"] = f"<bench-{number}-{time.time_ns()}@alpha.example>"
    mail.set_content("The printer on the second floor prints blank pages.\n" * 20)
    return mail.as_bytes()


def timed(environment: dict[str, str], arguments: list[str], raw: bytes) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [*SLADESK, "mail-in", *arguments], input=raw, env=environment, capture_output=True
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"mail-in failed: {result.stderr.decode()}")
    return elapsed * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sladesk-mail-in-"))
    environment = {
        **os.environ,
        "SLADESK_DATA_DIR": str(folder),
        "SLADESK_DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "SLADESK_LOG_LEVEL": "WARNING",
    }
    subprocess.run([*SLADESK, "migrate", "--verbosity", "0"], env=environment, check=True)
    port = free_port()
    listener = subprocess.Popen(
        [*SLADESK, "lmtp", "--port", str(port)], env=environment, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(600):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)  # waiting for the listener to come up, not timing anything
        through = {**environment, "SLADESK_LMTP": f"127.0.0.1:{port}"}
        lmtp, direct = [], []
        for number in range(options.runs):
            lmtp.append(timed(through, ["--recipient", "support@vendor.example"], message(number)))
            if number % 3 == 0:  # the direct path is slow: a third as many runs
                direct.append(timed(environment, [], message(10_000 + number)))
    finally:
        listener.terminate()
        listener.wait(timeout=30)
    load = os.getloadavg()[0]
    publish(
        HEADING,
        [
            HEADING,
            "",
            f"- Machine: {machine()}; SQLite; load average {load:.1f} at the end",
            f"- Date: {dt.datetime.now(dt.UTC).date().isoformat()}; "
            f"`python benchmarks/mail_in_startup.py --runs {options.runs}`; whole "
            "`sladesk mail-in` processes timed from start to exit, interleaved; a 1.2 KB "
            "message each",
            "",
            "| path | runs | median | p90 |",
            "| --- | ---: | ---: | ---: |",
            f"| to the running `sladesk lmtp` (`SLADESK_LMTP`, `--recipient`) | {len(lmtp)} | "
            f"{statistics.median(lmtp):.0f} ms | {statistics.quantiles(lmtp, n=10)[-1]:.0f} ms |",
            f"| stored by the process itself (Django set up, stored and processed) | "
            f"{len(direct)} | {statistics.median(direct):.0f} ms | "
            f"{statistics.quantiles(direct, n=10)[-1]:.0f} ms |",
            "",
            "- The LMTP path answers once the listener has committed the message; the worker "
            "processes it (here nobody does: the figure is the pipe's cost to the MTA).",
            "- Most of that path is Python's start-up (about 20 ms) and importing `sladesk.cli` "
            "(37-50 ms by `python -X importtime` on a busy machine: argparse 12 ms, secrets 8 ms, "
            "subprocess 5 ms, which other commands need and could be imported lazily).",
        ],
    )


if __name__ == "__main__":
    main()
