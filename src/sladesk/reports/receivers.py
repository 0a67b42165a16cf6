"""Keeping report figures current: a changed ticket is marked in the change's transaction."""

from __future__ import annotations

from typing import Any

from sladesk.core import clock
from sladesk.reports.models import StaleTicket
from sladesk.tickets.models import Ticket


def ticket_changed_mark(sender: type[Ticket], *, ticket: Ticket, **kwargs: Any) -> None:
    tickets_mark(ticket_ids=[ticket.pk])


def tickets_changed_mark(sender: type[Ticket], *, ticket_ids: list[int], **kwargs: Any) -> None:
    tickets_mark(ticket_ids=ticket_ids)


def tickets_mark(*, ticket_ids: list[int]) -> None:
    """Upsert, not insert-or-ignore: on PostgreSQL it waits for a worker that holds the
    mark while it recounts the ticket, so a change made meanwhile is marked again."""
    now = clock.now()
    StaleTicket.objects.bulk_create(
        [StaleTicket(ticket_id=ticket_id, marked_at=now) for ticket_id in ticket_ids],
        update_conflicts=True,
        unique_fields=["ticket"],
        update_fields=["marked_at"],
    )
