"""What every benchmark shares: the machine's description and RESULTS.md sections."""

from __future__ import annotations

import os
import platform
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    models = [
        line.split(":", 1)[1].strip()
        for line in (cpuinfo.read_text().splitlines() if cpuinfo.exists() else [])
        if line.startswith("model name")
    ]
    cpu = models[0] if models else platform.processor() or "unknown CPU"
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def publish(heading: str, lines: list[str]) -> None:
    """Print a benchmark's section and put it in RESULTS.md."""
    section = "\n".join(lines)
    print(section)
    write_section(heading, section)


def write_section(heading: str, section: str) -> None:
    """Replace the section under `heading` in RESULTS.md, keeping every other section."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    head, found, tail = text.partition(heading)
    if found:
        following = tail.find("\n## ")
        rest = tail[following + 1 :] if following != -1 else ""
        text = head + section + ("\n" + rest if rest else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text)


def fresh_postgres_database() -> None:
    """Create the configured PostgreSQL database if missing, migrate it and empty it.

    Call after django.setup() with SLADESK_DATABASE_URL pointing at a benchmark database."""
    import subprocess

    from django.core.management import call_command
    from django.db import connection

    name = connection.settings_dict["NAME"]
    subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=False, capture_output=True
    )
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        tables = ", ".join(connection.introspection.django_table_names(only_existing=True))
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")  # our own tables
