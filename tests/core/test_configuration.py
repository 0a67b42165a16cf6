"""The environment the desk reads: every variable documented, bad values refused by name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sladesk
from sladesk import config

SOURCE = Path(sladesk.__file__).parent
README = SOURCE.parent.parent / "README.md"


def test_the_readme_documents_every_variable_the_code_reads() -> None:
    read = {
        name
        for path in SOURCE.rglob("*.py")
        for name in re.findall(r"\"(SLADESK_[A-Z0-9_]+)\"", path.read_text())
    }
    documented = set(re.findall(r"`(SLADESK_[A-Z0-9_]+)`", README.read_text()))
    assert "SLADESK_DATABASE_URL" in read
    assert sorted(read - documented) == []


def test_a_value_outside_the_choices_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLADESK_MAIL_UNKNOWN_SENDERS", "crate")
    with pytest.raises(config.ConfigurationError, match="SLADESK_MAIL_UNKNOWN_SENDERS"):
        config.env_choice("SLADESK_MAIL_UNKNOWN_SENDERS", "quarantine", ("quarantine", "create"))
    monkeypatch.setenv("SLADESK_MAIL_UNKNOWN_SENDERS", " Create ")
    assert config.env_choice("SLADESK_MAIL_UNKNOWN_SENDERS", "x", ("create",)) == "create"


@pytest.mark.parametrize(("value", "accepted"), [("HD", True), ("prb", False), ("S-D", False)])
def test_a_ticket_prefix_never_looks_like_a_problem_number(
    monkeypatch: pytest.MonkeyPatch, value: str, accepted: bool
) -> None:
    monkeypatch.setenv("SLADESK_TICKET_PREFIX", value)
    if accepted:
        assert config.ticket_prefix("SLADESK_TICKET_PREFIX", "SD", taken=("PRB",)) == value
    else:
        with pytest.raises(config.ConfigurationError, match="SLADESK_TICKET_PREFIX"):
            config.ticket_prefix("SLADESK_TICKET_PREFIX", "SD", taken=("PRB",))
