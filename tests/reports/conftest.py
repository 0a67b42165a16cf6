from __future__ import annotations

import subprocess
from pathlib import Path

from tests.channels.conftest import smtp_server

__all__ = ["pdf_text", "smtp_server"]


def pdf_text(body: bytes, folder: Path) -> str:
    """The PDF's text as poppler's pdftotext reads it (what a reader can copy)."""
    path = folder / "report.pdf"
    path.write_bytes(body)
    result = subprocess.run(  # noqa: S603  # fixed argv, our own file
        ["/usr/bin/pdftotext", "-layout", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout
