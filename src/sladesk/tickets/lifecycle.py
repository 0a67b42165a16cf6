"""The ticket lifecycle as a pure state machine (no Django import).

    new -> in_progress -> waiting_for_customer <-> in_progress -> resolved -> closed
    resolved -> in_progress (reopen);  new / in_progress / waiting -> cancelled

Escalation to another line is an action on the ticket, not a state. Statuses and actions
are plain strings so that the models' TextChoices and this module agree without an import.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_CUSTOMER = "waiting_for_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Action(StrEnum):
    START = "start"  # an agent takes the ticket up (assignment, first reply)
    REQUEST_INFO = "request_info"  # the vendor asks the customer; the SLA clock pauses
    CUSTOMER_REPLY = "customer_reply"  # the customer answers a request for information
    RESOLVE = "resolve"
    CLOSE = "close"  # the customer confirms, or the vendor/auto-close closes a resolved ticket
    REOPEN = "reopen"
    CANCEL = "cancel"


OPEN_STATUSES = frozenset({Status.NEW, Status.IN_PROGRESS, Status.WAITING_FOR_CUSTOMER})
TERMINAL_STATUSES = frozenset({Status.CLOSED, Status.CANCELLED})

TRANSITIONS: dict[Action, tuple[frozenset[Status], Status]] = {
    Action.START: (frozenset({Status.NEW}), Status.IN_PROGRESS),
    Action.REQUEST_INFO: (frozenset({Status.NEW, Status.IN_PROGRESS}), Status.WAITING_FOR_CUSTOMER),
    Action.CUSTOMER_REPLY: (frozenset({Status.WAITING_FOR_CUSTOMER}), Status.IN_PROGRESS),
    Action.RESOLVE: (OPEN_STATUSES, Status.RESOLVED),
    Action.CLOSE: (frozenset({Status.RESOLVED}), Status.CLOSED),
    Action.REOPEN: (frozenset({Status.RESOLVED}), Status.IN_PROGRESS),
    Action.CANCEL: (OPEN_STATUSES, Status.CANCELLED),
}


@dataclass(frozen=True)
class IllegalTransition(Exception):  # a domain name, not a programming error
    """`action` is not allowed from `status`."""

    status: Status
    action: Action

    def __str__(self) -> str:
        return f"cannot {self.action.value} a ticket that is {self.status.value}"


def next_status(status: str, action: str) -> Status:
    """The status after `action`, or IllegalTransition."""
    current, wanted = Status(status), Action(action)
    sources, target = TRANSITIONS[wanted]
    if current not in sources:
        raise IllegalTransition(current, wanted)
    return target


def allowed_actions(status: str) -> list[Action]:
    current = Status(status)
    return [action for action, (sources, _target) in TRANSITIONS.items() if current in sources]
