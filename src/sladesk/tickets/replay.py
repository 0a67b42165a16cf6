"""Rebuild a ticket's tracked state from its events alone (pure; no Django import).

The `registered` event carries the full initial snapshot; every later change of a tracked
field carries `field` and `after`. Folding them in order must give the ticket's columns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def replay(events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for event in events:
        if event["kind"] == "registered":
            state = dict(event["after"])
        elif event["field"] in state:
            state[event["field"]] = event["after"]
    return state
