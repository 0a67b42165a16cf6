"""The problem lifecycle as a pure state machine (no Django import).

    registered -> analysing -> known_error -> fixed -> closed
    any open status -> known_error (again: a better workaround) or -> fixed
    any but closed -> closed (with a reason);  fixed / closed -> analysing (it came back)

A known error is a problem whose root cause and workaround are written down (ITIL); fixed
means the permanent fix is delivered, closed that it was verified (or given up, said why).
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    REGISTERED = "registered"
    ANALYSING = "analysing"
    KNOWN_ERROR = "known_error"
    FIXED = "fixed"
    CLOSED = "closed"


class Action(StrEnum):
    ANALYSE = "analyse"
    KNOWN_ERROR = "known-error"  # the root cause and a workaround are known
    FIX = "fix"  # the permanent fix is delivered
    CLOSE = "close"
    REOPEN = "reopen"


OPEN_STATUSES = frozenset({Status.REGISTERED, Status.ANALYSING, Status.KNOWN_ERROR})

TRANSITIONS: dict[Action, tuple[frozenset[Status], Status]] = {
    Action.ANALYSE: (frozenset({Status.REGISTERED}), Status.ANALYSING),
    # Again from a known error: a better workaround, told to the incidents again.
    Action.KNOWN_ERROR: (OPEN_STATUSES, Status.KNOWN_ERROR),
    Action.FIX: (OPEN_STATUSES, Status.FIXED),
    Action.CLOSE: (OPEN_STATUSES | {Status.FIXED}, Status.CLOSED),
    Action.REOPEN: (frozenset({Status.FIXED, Status.CLOSED}), Status.ANALYSING),
}
# What an action needs written down: its text goes into this field of the problem.
TEXT_OF = {
    Action.KNOWN_ERROR: "workaround",
    Action.FIX: "fix",
    Action.CLOSE: "closing_note",
    Action.REOPEN: "",
    Action.ANALYSE: "",
}


class IllegalTransition(ValueError):
    """The action is not allowed from the status."""


def next_status(status: str, action: str) -> Status:
    allowed, target = TRANSITIONS[Action(action)]
    if Status(status) not in allowed:
        raise IllegalTransition(f"cannot {action} a problem that is {status}")
    return target


def allowed_actions(status: str) -> list[Action]:
    """The actions a problem in `status` may take, in the order of the lifecycle."""
    return [action for action, (allowed, _target) in TRANSITIONS.items() if status in allowed]
