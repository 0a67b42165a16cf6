"""Registration with the files the reporter attached, as one unit."""

from __future__ import annotations

from django.db import transaction

from sladesk.accounts.models import User
from sladesk.tickets.models import Ticket
from sladesk.tickets.services.conversation import Upload, ticket_attach
from sladesk.tickets.services.registration import TicketRegistration, ticket_register


def ticket_register_with_files(
    *, actor: User, data: TicketRegistration, uploads: list[Upload]
) -> Ticket:
    """Register and attach the files in one transaction: a refused file (too large, say)
    leaves no ticket behind (invariant 6, never a half-written ticket)."""
    with transaction.atomic():
        ticket = ticket_register(actor=actor, data=data)
        if uploads:
            ticket_attach(actor=actor, ticket_id=ticket.pk, uploads=uploads)
    return ticket
