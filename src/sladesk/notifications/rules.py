"""Who hears of what: the one table of a ticket's participants per notification kind, and the
precedence that makes one action one notification per person. Pure: no Django import."""

from __future__ import annotations

import enum


class Party(enum.StrEnum):
    """A role a person plays in one ticket."""

    REQUESTER = "requester"  # the customer who asked (or the address of a sender)
    CUSTOMER_WATCHERS = "customer_watchers"
    SPECIALISTS = "specialists"  # of the organisation, when its contract says "every ticket"
    ASSIGNEE = "assignee"
    LINE = "line"  # the members (and the chat targets) of the ticket's line while unassigned
    VENDOR_WATCHERS = "vendor_watchers"
    LEAD = "lead"  # the lead of the ticket's line


CUSTOMER_PARTIES = frozenset({Party.REQUESTER, Party.CUSTOMER_WATCHERS, Party.SPECIALISTS})
_CUSTOMERS = CUSTOMER_PARTIES
_TEAM = frozenset({Party.ASSIGNEE, Party.VENDOR_WATCHERS})

# Kind -> the parties told. A kind missing here reaches only the people its service names
# (contract warnings, password resets, digests, webhooks).
RULES: dict[str, frozenset[Party]] = {
    "acknowledgement": _CUSTOMERS | {Party.ASSIGNEE, Party.LINE},
    "reply": _CUSTOMERS | _TEAM | {Party.LINE},
    "note": _TEAM | {Party.LINE},
    "info_requested": _CUSTOMERS | {Party.VENDOR_WATCHERS, Party.LINE},
    "info_provided": _TEAM | {Party.LINE},
    "classified": _CUSTOMERS | _TEAM,
    "proposal": _CUSTOMERS | {Party.VENDOR_WATCHERS},
    "proposal_decided": _CUSTOMERS | _TEAM | {Party.LEAD},
    "escalated": _CUSTOMERS | _TEAM | {Party.LINE},
    "attention": frozenset({Party.LEAD}),
    "external_case": _TEAM | {Party.LEAD},
    "reproduced": _CUSTOMERS | _TEAM,
    "assigned": frozenset({Party.ASSIGNEE}),
    "status": _CUSTOMERS | _TEAM,
    "resolved": _CUSTOMERS | _TEAM | {Party.LINE},
    "reopened": _CUSTOMERS | _TEAM | {Party.LINE},
    "release": _CUSTOMERS | _TEAM,
    "closes_tomorrow": _CUSTOMERS,
    "auto_closed": _CUSTOMERS | _TEAM,
    "sla_warning": _TEAM | {Party.LINE},
    "sla_breach": _TEAM | {Party.LINE, Party.LEAD},
}

# Kinds about the vendor's own work: never written for a customer, whoever the service names.
VENDOR_ONLY_KINDS = frozenset(
    {
        "note",
        "attention",
        "external_case",
        "assigned",
        "sla_warning",
        "sla_breach",
        "info_provided",
    }
)
assert all(not (RULES[kind] & CUSTOMER_PARTIES) for kind in VENDOR_ONLY_KINDS)  # noqa: S101  # the table's own consistency, checked on import

# One action writes several events (a resolution is a transition and a reply; an escalation
# a line change and an assignment). Each person gets one notification per action, of the
# kind that says most: the earliest in this list.
PRECEDENCE = (
    "acknowledgement",
    "auto_closed",
    "proposal",
    # Shipping is a release event, the desk's public note and perhaps a resolution: the
    # version is the news (its message says the ticket is resolved too, if it is).
    "release",
    "resolved",
    "info_requested",
    "info_provided",
    "reopened",
    "escalated",
    "proposal_decided",
    "classified",
    "reproduced",
    "external_case",
    "attention",
    "reply",
    "assigned",
    "note",
    "status",
    "closes_tomorrow",
    "sla_breach",
    "sla_warning",
)
_RANK = {kind: rank for rank, kind in enumerate(PRECEDENCE)}


def outranks(kind: str, other: str) -> bool:
    """Whether `kind` says more than `other` about the same action."""
    return _RANK.get(kind, len(_RANK)) < _RANK.get(other, len(_RANK))


def parties_for(kind: str, *, customer_side: bool = True) -> frozenset[Party]:
    """The parties `kind` reaches (without the customer's, for vendor-only news)."""
    parties = RULES.get(kind, frozenset())
    if not customer_side or kind in VENDOR_ONLY_KINDS:
        return parties - CUSTOMER_PARTIES
    return parties
