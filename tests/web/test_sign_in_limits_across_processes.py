"""The sign-in limits hold across the processes of a real server: four gunicorn workers,
no Redis, forty wrong passwords sent at once; at most ten are checked, and the right one is
refused after them (the counts live in the database)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from sladesk.accounts import signin
from tests.core.test_commands import free_port, fresh_environment

PASSWORD = "right-horse-battery-staple"
EMAIL = "admin@vendor.example"


def run(command: list[str], environment: dict[str, str], cwd: Path) -> None:
    subprocess.run(  # noqa: S603  # our own argv
        [sys.executable, "-m", "sladesk.cli", *command],
        cwd=cwd,
        env=environment,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`sladesk serve --workers 4` on a fresh SQLite database, without Redis."""
    environment = fresh_environment(tmp_path / "var")
    run(["migrate"], environment, tmp_path)
    run(["createadmin", EMAIL, "--password", PASSWORD], environment, tmp_path)
    port = free_port()
    process = subprocess.Popen(  # noqa: S603  # our own argv
        [
            sys.executable,
            "-m",
            "sladesk.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            "4",
            "--no-worker",
        ],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        # Wait for readiness (the server answers), however long a busy machine takes; the
        # bound only keeps a broken start from hanging the suite.
        for _attempt in range(1200):
            assert process.poll() is None, "the server stopped while starting"
            try:
                if requests.get(f"{url}/readyz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or not answering yet
                time.sleep(0.25)  # polling a real server we started; no clock to control
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)


def attempt(url: str, password: str) -> str:
    """One sign-in from a fresh browser session: the page's answer."""
    session = requests.Session()
    page = session.get(f"{url}/login/", timeout=60).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    answer = session.post(
        f"{url}/login/",
        data={"username": EMAIL, "password": password, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{url}/login/"},
        allow_redirects=False,
        timeout=60,
    )
    if answer.status_code == 302:
        return "signed in"
    assert answer.status_code == 200, answer.status_code
    return "refused" if "Too many attempts" in answer.text else "checked"


def test_forty_wrong_passwords_over_four_workers_check_at_most_ten(server: str) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _n: attempt(server, "wrong"), range(40)))
    most = signin.SIGN_IN_OF_ACCOUNT_FROM_ADDRESS.most
    assert answers.count("checked") == most
    assert answers.count("refused") == 40 - most
    assert attempt(server, PASSWORD) == "refused"
