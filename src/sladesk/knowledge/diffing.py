"""A readable difference between two versions of a text (pure: no Django)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

Change = Literal["same", "added", "removed"]


@dataclass(frozen=True)
class Line:
    change: Change
    text: str


def line_diff(before: str, after: str, *, context: int = 2) -> list[Line | None]:
    """The lines that changed, with `context` unchanged lines around each change; None
    stands for the unchanged lines left out between two changes."""
    old, new = before.splitlines(), after.splitlines()
    lines: list[Line | None] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for number, group in enumerate(matcher.get_grouped_opcodes(context)):
        if number:
            lines.append(None)
        for tag, old_start, old_end, new_start, new_end in group:
            if tag == "equal":
                lines.extend(Line("same", text) for text in old[old_start:old_end])
                continue
            lines.extend(Line("removed", text) for text in old[old_start:old_end])
            lines.extend(Line("added", text) for text in new[new_start:new_end])
    return lines
