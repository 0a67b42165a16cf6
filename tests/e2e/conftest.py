"""Playwright against a live server, in Debian's Chromium (no browser download)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine

playwright_api = pytest.importorskip("playwright.sync_api")
playwright_api.expect.set_options(timeout=15_000)  # a loaded CI machine, not a slow page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# A Wednesday, 11:00 in Moscow: inside working hours on the Moscow calendar.
STORY_MOMENT = dt.datetime(2026, 3, 4, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One Chromium per test module. While it lives, Playwright's sync API keeps an event
    loop in this thread; the tests' own ORM calls (fixtures, checks, the database flush)
    are still synchronous, so Django's async-safety check is told so until it closes."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


@pytest.fixture
def story_clock() -> Iterator[None]:
    """The server's clock, fixed to a working morning and then running (the browser keeps
    its own; cookies are relative, so the skew does not matter)."""
    with time_machine.travel(STORY_MOMENT, tick=True):
        yield


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    folder = ARTIFACTS / request.node.name.replace("[", "-").replace("]", "")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
