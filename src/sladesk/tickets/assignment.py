"""Who gets an escalated ticket when nobody is chosen (pure; no Django import).

A line's rule picks among its active members: the least loaded (fewest open tickets, the
lowest id on a tie) or round robin (the member after the one the line gave a ticket to
last, in id order)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

LEAST_LOADED = "least_loaded"
ROUND_ROBIN = "round_robin"


def least_loaded(members: Sequence[int], open_tickets: Mapping[int, int]) -> int | None:
    """The member with the fewest open tickets (`open_tickets`: member id -> count)."""
    if not members:
        return None
    return min(sorted(members), key=lambda member: open_tickets.get(member, 0))


def round_robin(members: Sequence[int], last: int | None) -> int | None:
    """The first member (by id) after `last`, wrapping round; the first if `last` is gone."""
    ordered = sorted(members)
    if not ordered:
        return None
    later = [member for member in ordered if last is not None and member > last]
    return later[0] if later else ordered[0]
