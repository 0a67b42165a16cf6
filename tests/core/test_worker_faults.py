"""The embedded worker survives a held SQLite lock and the web server stays up: the real
`sladesk serve` on a fresh SQLite database, while another connection holds an exclusive
lock longer than SQLite's busy timeout."""

from __future__ import annotations

import queue
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.core.test_commands import free_port, fresh_environment


@dataclass
class Served:
    url: str
    database: Path
    process: subprocess.Popen[str]
    lines: queue.Queue[str]

    def wait_for_line(self, words: str) -> str:
        """The next line of the server's output that holds `words` (readiness, not time:
        the bound only keeps a broken run from hanging the suite)."""
        for _attempt in range(1200):
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                assert self.process.poll() is None, "sladesk serve stopped"
                continue
            if words in line:
                return line
        raise AssertionError(f"no line with {words!r}")

    def status(self, path: str) -> int:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=60) as response:  # noqa: S310  # loopback
            return int(response.status)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    environment = fresh_environment(tmp_path / "var")
    subprocess.run(  # our own argv
        [sys.executable, "-m", "sladesk.cli", "migrate"],
        cwd=tmp_path,
        env=environment,
        check=True,
        capture_output=True,
    )
    port = free_port()
    process = subprocess.Popen(  # noqa: S603  # our own argv
        [sys.executable, "-m", "sladesk.cli", "serve", "--port", str(port), "--workers", "1"],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        yield Served(
            f"http://127.0.0.1:{port}", tmp_path / "var" / "sladesk.sqlite3", process, lines
        )
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_the_worker_survives_a_held_sqlite_lock_and_the_web_stays_up(served: Served) -> None:
    served.wait_for_line("Starting worker")
    holder = sqlite3.connect(served.database, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        served.wait_for_line("database unavailable")  # after SQLite's busy timeout
        assert served.status("/healthz") == 200  # the web server is still serving
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    served.wait_for_line("Starting worker")  # the worker took up work again
    assert served.process.poll() is None
    assert served.status("/readyz") == 200


def test_a_worker_that_dies_is_started_again_and_the_server_stays(tmp_path: Path) -> None:
    """`supervise` with a stand-in web server (it waits) and a stand-in worker that dies at
    once: the worker is started again, the web server is never stopped."""
    marks = tmp_path / "starts"
    dying = f"open({str(marks)!r}, 'a').write('x'); raise SystemExit(3)"
    program = (
        "import sys; from sladesk.cli import supervise; "
        "sys.exit(supervise([[sys.executable, '-c', 'import time; time.sleep(600)']], "
        f"restarted=[[sys.executable, '-c', {dying!r}]]))"
    )
    process = subprocess.Popen(  # noqa: S603  # our own argv
        [sys.executable, "-c", program], stderr=subprocess.PIPE, text=True
    )
    try:
        for _attempt in range(1200):  # readiness: the third start is written
            if marks.exists() and len(marks.read_text()) >= 3:
                break
            assert process.poll() is None, "supervise stopped when its worker died"
            time.sleep(0.25)  # polling files a child writes; no clock to control here
        assert len(marks.read_text()) >= 3
        assert process.poll() is None
    finally:
        process.terminate()
        process.wait(timeout=60)
