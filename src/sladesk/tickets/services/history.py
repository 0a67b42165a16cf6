"""Writing a ticket's append-only history (invariant 2). Used by every ticket service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from sladesk.accounts.models import User
from sladesk.core import clock
from sladesk.tickets.choices import EventKind
from sladesk.tickets.models import Ticket, TicketEvent
from sladesk.tickets.signals import ticket_changed

# The fields whose every change is an event; replaying them rebuilds the ticket's state.
TRACKED_FIELDS = (
    "status",
    "organisation_id",
    "service_id",
    "ticket_class_id",
    "severity_id",
    "impact",
    "urgency",
    "priority",
    "line_id",
    "assignee_id",
    "parent_id",
    "external_reference",
    "outside_contract",
    "first_response_at",
    "reproduced_at",
    "resolved_at",
    "closed_at",
    "attention_at",
    "release_id",
)


def as_json(value: Any) -> Any:
    """A value as it is stored in an event: ids for objects, ISO 8601 for instants."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def snapshot(ticket: Ticket) -> dict[str, Any]:
    return {field: as_json(getattr(ticket, field)) for field in TRACKED_FIELDS}


def action_state(ticket: Ticket) -> dict[str, Any]:
    """What the consumers of events (the notification planner) keep about the action under
    way on this loaded ticket: one service call, until `action_end`."""
    state: dict[str, Any] | None = getattr(ticket, "_sladesk_action", None)
    if state is None:
        state = {}
        ticket._sladesk_action = state  # type: ignore[attr-defined]  # per-action memo
    return state


def action_end(ticket: Ticket) -> None:
    """The action on `ticket` is complete: the next event starts another."""
    ticket.__dict__.pop("_sladesk_action", None)


def record(
    ticket: Ticket,
    actor: User | None,
    kind: str,
    *,
    field: str = "",
    before: Any = None,
    after: Any = None,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    state = action_state(ticket)
    if not state.get("changed_sent"):
        state["changed_sent"] = True
        ticket_changed.send(sender=Ticket, ticket=ticket)
    return TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        at=clock.now(),
        kind=kind,
        field=field,
        before=as_json(before),
        after=as_json(after),
        data=data or {},
    )


def change(
    ticket: Ticket,
    actor: User | None,
    field: str,
    value: Any,
    *,
    kind: str = EventKind.FIELD_CHANGED,
    data: dict[str, Any] | None = None,
) -> bool:
    """Set one tracked field and record the change; a no-op records nothing.

    `field` is the attribute name (`line_id`, not `line`); the caller saves the ticket."""
    if field not in TRACKED_FIELDS:
        raise ValueError(f"{field} is not a tracked ticket field")
    before = getattr(ticket, field)
    if before == value:
        return False
    setattr(ticket, field, value)
    record(ticket, actor, kind, field=field, before=before, after=value, data=data)
    return True
