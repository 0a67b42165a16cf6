"""Which ticket fields each side may set when creating or editing (pure; no Django import).

Everything else changes only through its own action (assign, escalate, classify, ...); an
interface that receives a field outside these sets refuses the request rather than
silently dropping or applying it (no mass assignment)."""

from __future__ import annotations

from collections.abc import Iterable

CUSTOMER_CREATE = frozenset(
    {
        "title",
        "description",
        "service_id",
        "ticket_class_id",
        "severity_id",
        "impact",
        "urgency",
        "contact",
        "channel",
    }
)
VENDOR_CREATE = CUSTOMER_CREATE | {"organisation_id", "requester_id", "tags"}

CUSTOMER_EDIT = frozenset({"title", "description", "contact"})
VENDOR_EDIT = CUSTOMER_EDIT | {"service_id", "external_reference"}


def forbidden(fields: Iterable[str], *, vendor: bool, creating: bool) -> list[str]:
    """The given fields this side may not set, sorted; empty when all are allowed."""
    if creating:
        allowed = VENDOR_CREATE if vendor else CUSTOMER_CREATE
    else:
        allowed = VENDOR_EDIT if vendor else CUSTOMER_EDIT
    return sorted(set(fields) - allowed)
