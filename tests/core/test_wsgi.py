"""The WSGI entry point a server worker loads."""

from __future__ import annotations

import subprocess
import sys


def test_a_worker_loads_every_route_before_its_first_request() -> None:
    script = "import sys, sladesk.wsgi; print('sladesk.api.routes' in sys.modules)"
    loaded = subprocess.run(  # noqa: S603  # our own interpreter and code
        [sys.executable, "-c", script], check=True, capture_output=True, text=True, timeout=60
    )
    assert loaded.stdout.strip() == "True"
