"""The rules table is the one place: its invariants, and the page that shows it."""

from __future__ import annotations

from pathlib import Path

from sladesk.notifications import rules
from sladesk.notifications.choices import NotificationKind
from sladesk.notifications.rules import Party

DOC = Path(__file__).resolve().parents[2] / "docs" / "notifications.md"
COLUMNS = [
    Party.REQUESTER,
    Party.CUSTOMER_WATCHERS,
    Party.SPECIALISTS,
    Party.ASSIGNEE,
    Party.LINE,
    Party.VENDOR_WATCHERS,
    Party.LEAD,
]


def test_every_kind_of_the_table_is_a_notification_kind_with_a_precedence() -> None:
    assert set(rules.RULES) <= set(NotificationKind.values)
    assert set(rules.RULES) <= set(rules.PRECEDENCE)
    assert set(rules.RULES) >= rules.VENDOR_ONLY_KINDS


def test_vendor_only_kinds_name_no_customer_party() -> None:
    for kind in rules.VENDOR_ONLY_KINDS:
        assert not rules.parties_for(kind) & rules.CUSTOMER_PARTIES
    assert not rules.parties_for("reply", customer_side=False) & rules.CUSTOMER_PARTIES


def test_the_documentation_shows_the_table_as_it_is() -> None:
    shown: dict[str, frozenset[Party]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            marks = cells[1:]
            shown[cells[0].strip("`")] = frozenset(
                party for party, mark in zip(COLUMNS, marks, strict=True) if mark == "x"
            )
    assert shown == rules.RULES
