"""Human ticket numbers, `PREFIX-YEAR-NNNNNN`, unique under concurrent registration.

PostgreSQL: one sequence per prefix and year; `nextval` never waits for other
transactions, so concurrent registrations do not queue behind each other (a rolled-back
registration leaves a gap, as every such system does). SQLite (one writer at a time
anyway): a counter row updated inside the registering transaction."""

from __future__ import annotations

import re

from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.db.models import F, Max

from sladesk.tickets.models import Ticket, TicketNumberSequence


def _sequence_name(prefix: str, year: int) -> str:
    return f"ticket_number_{re.sub(r'[^a-z0-9]', '_', prefix.lower())}_{year}"


def _counter_value(prefix: str, year: int) -> int:
    TicketNumberSequence.objects.bulk_create(
        [TicketNumberSequence(prefix=prefix, year=year)], ignore_conflicts=True
    )
    counter = TicketNumberSequence.objects.filter(prefix=prefix, year=year)
    counter.update(last_value=F("last_value") + 1)
    return int(counter.values_list("last_value", flat=True).get())


def _highest_issued(prefix: str, year: int) -> int:
    """The largest number already used, so a new sequence continues after it."""
    counter = TicketNumberSequence.objects.filter(prefix=prefix, year=year).first()
    highest = Ticket.objects.filter(number__startswith=f"{prefix}-{year}-").aggregate(
        top=Max("number")
    )["top"]
    from_tickets = int(highest.rsplit("-", 1)[1]) if highest else 0
    return max(counter.last_value if counter else 0, from_tickets)


def _sequence_value(prefix: str, year: int) -> int:
    name = _sequence_name(prefix, year)
    with connection.cursor() as cursor:
        for _attempt in range(3):
            # One round trip and no savepoint: nextval runs only when the sequence exists,
            # so a missing one gives no row instead of aborting the registering transaction.
            cursor.execute(
                "SELECT nextval(%s::text) WHERE to_regclass(%s) IS NOT NULL", [name, name]
            )
            row = cursor.fetchone()
            if row is not None:
                return int(row[0])
            start = _highest_issued(prefix, year) + 1  # the year's sequence does not exist yet
            try:
                with transaction.atomic():
                    cursor.execute(f'CREATE SEQUENCE IF NOT EXISTS "{name}" START {start}')
            except (IntegrityError, ProgrammingError):
                pass  # another registration created it at the same moment
    raise RuntimeError(f"could not use the ticket number sequence {name}")


def next_number_value(prefix: str, year: int) -> int:
    """The next number for this prefix and year. Call inside the registering transaction."""
    if connection.vendor == "postgresql":
        return _sequence_value(prefix, year)
    return _counter_value(prefix, year)
