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


def test_a_worker_keeps_what_it_loaded_out_of_the_collectors_sight() -> None:
    script = (
        "import gc; before = gc.get_freeze_count(); import sladesk.wsgi;"
        " print(before, gc.get_freeze_count(), len(gc.get_objects(2)))"
    )
    loaded = subprocess.run(  # noqa: S603  # our own interpreter and code
        [sys.executable, "-c", script], check=True, capture_output=True, text=True, timeout=60
    )
    before, frozen, oldest = map(int, loaded.stdout.split())
    assert before == 0
    # Django, the routes and the schemas: about a hundred thousand objects, none left to walk.
    assert frozen > 50_000
    assert oldest < 1_000
