"""Every interface string ships in Russian: extraction from the current sources finds no
message without a translation, and the shipped compiled catalogue matches its source."""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

import sladesk

SOURCE = Path(sladesk.__file__).parent
CATALOGUE = SOURCE / "locale" / "ru" / "LC_MESSAGES"


def compile_catalogue(po_file: Path, mo_file: Path) -> str:
    """msgfmt's statistics line, e.g. "265 translated messages." (GNU gettext)."""
    result = subprocess.run(  # noqa: S603  # fixed argv
        ["msgfmt", "--check", "--statistics", "-o", str(mo_file), str(po_file)],  # noqa: S607  # gettext on PATH
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stderr.strip().splitlines()[-1]


def test_every_source_string_has_a_russian_translation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: object
) -> None:
    if not shutil.which("xgettext"):
        if os.environ.get("CI"):
            pytest.fail("GNU gettext is needed in CI (.ci/run installs it)")
        pytest.skip("GNU gettext is not installed here (apt-get install gettext)")
    tree = tmp_path / "sladesk"
    shutil.copytree(
        SOURCE, tree, ignore=shutil.ignore_patterns("__pycache__", "migrations", "static")
    )
    settings.LOCALE_PATHS = [tree / "locale"]  # type: ignore[attr-defined]
    monkeypatch.chdir(tree)
    call_command(
        "makemessages",
        locale=["ru"],
        no_obsolete=True,
        ignore_patterns=["migrations/*"],
        verbosity=0,
    )
    statistics = compile_catalogue(
        tree / "locale" / "ru" / "LC_MESSAGES" / "django.po", tmp_path / "x.mo"
    )
    assert "untranslated" not in statistics, statistics
    assert "fuzzy" not in statistics, statistics


def test_the_shipped_compiled_catalogue_matches_its_source(tmp_path: Path) -> None:
    if not shutil.which("msgfmt") and not os.environ.get("CI"):
        pytest.skip("GNU gettext is not installed here (apt-get install gettext)")
    compile_catalogue(CATALOGUE / "django.po", tmp_path / "django.mo")
    with (
        (tmp_path / "django.mo").open("rb") as fresh,
        (CATALOGUE / "django.mo").open("rb") as shipped,
    ):
        fresh_catalogue = gettext.GNUTranslations(fresh)._catalog  # type: ignore[attr-defined]
        shipped_catalogue = gettext.GNUTranslations(shipped)._catalog  # type: ignore[attr-defined]
    assert shipped_catalogue == fresh_catalogue, "run: msgfmt -o django.mo django.po"
    assert len(shipped_catalogue) > 200
