"""Every interface string ships in Russian: extraction from the current sources finds no
message without a translation, and the shipped compiled catalogue matches its source."""

from __future__ import annotations

import ast
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


def eager_translations_at_import(path: Path) -> list[int]:
    """Lines where `gettext` (not `gettext_lazy`) runs when the module is imported: such a
    string is fixed in the language of whoever imported it first."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    eager = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
        for alias in node.names
        if alias.name in {"gettext", "ngettext", "pgettext"}
    }
    found: list[int] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue  # runs per call, in the caller's language
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Name)
                and child.func.id in eager
            ):
                found.append(child.lineno)
            visit(child)

    visit(tree)
    return found


def test_no_string_is_translated_once_at_import() -> None:
    offenders = [
        f"{path.relative_to(SOURCE)}:{line}"
        for path in sorted(SOURCE.rglob("*.py"))
        if "migrations" not in path.parts
        for line in eager_translations_at_import(path)
    ]
    assert offenders == [], "use gettext_lazy for module- and class-level strings"
