"""The `sladesk` command as other tools drive it, and the health probes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.test import Client

from sladesk.accounts.models import ApiToken
from sladesk.accounts.services import token_digest
from sladesk.cli import main
from sladesk.core import periodic
from sladesk.core.models import PeriodicRun
from tests.conftest import World


def test_health_and_readiness_answer_json(db: None) -> None:
    client = Client()
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/readyz").json() == {
        "status": "ok",
        "database": "ok",
        "details": {"notifications": {"failed": 0, "retrying": 0}},
    }


def test_token_create_prints_the_token_alone_on_stdout(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "create", world.agent1.email, "--scope", "write"]) == 0
    captured = capsys.readouterr()
    raw = captured.out.strip()
    assert "\n" not in raw
    token = ApiToken.objects.get(digest=token_digest(raw))
    assert (token.user, token.scope) == (world.agent1, "write")
    assert "created" in captured.err
    response = Client(headers={"authorization": f"Bearer {raw}"}).get("/api/v1/me")
    assert response.json()["email"] == world.agent1.email


def test_token_create_for_an_unknown_user_fails_with_a_message(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "create", "nobody@example.org"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "No user" in captured.err


def test_a_periodic_job_runs_once_per_period_across_workers(db: None) -> None:
    started = periodic.run_due(worker="a")
    assert started == [job.name for job in periodic.jobs()]
    assert {"contracts_sweep", "sla_sweep"} <= set(started)
    assert periodic.run_due(worker="b") == []
    assert set(PeriodicRun.objects.values_list("claimed_by", flat=True)) == {"a"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fresh_environment(data_dir: Path | None = None) -> dict[str, str]:
    """This process's environment without the desk's settings (a new user's shell), with
    `data_dir` as SLADESK_DATA_DIR when given."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLADESK_", "DJANGO_"))
    }
    if data_dir is not None:
        environment["SLADESK_DATA_DIR"] = str(data_dir)
    return environment


def test_quickstart_on_a_fresh_directory_answers_healthz_and_serves_the_login(
    tmp_path: Path,
) -> None:
    port = free_port()
    environment = fresh_environment()
    command = [
        sys.executable,
        "-m",
        "sladesk.cli",
        "quickstart",
        "--port",
        str(port),
        "--demo-password",
        "demo-pass-123",
    ]
    process = subprocess.Popen(  # noqa: S603  # our own argv
        command,
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # our own argv
    try:
        status = None
        # Wait for readiness however long a busy machine takes; the bound (10 minutes of
        # polling) only keeps a broken start from hanging the suite.
        for _attempt in range(2400):
            if process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=5
                ) as response:
                    status = response.status
                    break
            except OSError:
                time.sleep(0.25)  # polling a real server we started; no clock to control here
        assert status == 200, "quickstart stopped before it answered /healthz"
        login_url = f"http://127.0.0.1:{port}/login/"
        with urllib.request.urlopen(login_url, timeout=5) as response:
            assert response.status == 200
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in output
    assert "admin@vendor.example / demo-pass-123" in output
    assert process.returncode == 0
    assert (tmp_path / "var" / "sladesk.sqlite3").exists()
