"""What every ticket service shares: permission checks and locked, scoped loading."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from sladesk.accounts.models import User
from sladesk.core import clock
from sladesk.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from sladesk.sla import services as sla_services
from sladesk.tickets import lifecycle
from sladesk.tickets.choices import EventKind
from sladesk.tickets.models import Ticket
from sladesk.tickets.selectors import ticket_visible_queryset
from sladesk.tickets.services import history


def require_text(text: str, field: str, message: str) -> str:
    """`text` stripped; DomainError on `field` with `message` when nothing is left."""
    text = text.strip()
    if not text:
        raise DomainError(message, field=field)
    return text


def require_vendor(actor: User) -> None:
    if not actor.is_vendor_staff:
        raise PermissionDenied(_("Only the support team may do this."))


def lock_visible(*, actor: User, ticket_id: int) -> Ticket:
    """Load a ticket `actor` may see, locked for update until the transaction ends.

    Call inside `transaction.atomic()`; a ticket `actor` may not see is NotFound (404)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_visible needs a transaction")
    ticket = (
        ticket_visible_queryset(user=actor).select_for_update(of=("self",)).filter(pk=ticket_id)
    ).first()
    if ticket is None:
        raise NotFound(_("No such ticket."))
    return ticket


def transition(ticket: Ticket, actor: User | None, action: lifecycle.Action) -> None:
    """Move the ticket through the lifecycle, recording the change; the caller saves."""
    try:
        target = lifecycle.next_status(ticket.status, action)
    except lifecycle.IllegalTransition as error:
        raise Conflict(
            _("This action (%(action)s) is not possible while the ticket is %(status)s.")
            % {"action": action.value, "status": ticket.get_status_display()}
        ) from error
    history.change(
        ticket,
        actor,
        "status",
        target.value,
        kind=EventKind.STATUS_CHANGED,
        data={"action": action.value},
    )


def reopen(ticket: Ticket, actor: User | None) -> None:
    """Back to work from resolved, the resolution undone; the caller saves."""
    transition(ticket, actor, lifecycle.Action.REOPEN)
    history.change(ticket, actor, "resolved_at", None)


def finish(ticket: Ticket, actor: User | None) -> None:
    """Save a changed ticket and bring its cached SLA columns up to date (same transaction)."""
    ticket.updated_at = clock.now()
    ticket.save()
    sla_services.ticket_sla_refresh(ticket, actor=actor)
    history.action_end(ticket)


def require_open(ticket: Ticket) -> None:
    if ticket.status not in lifecycle.OPEN_STATUSES:
        raise Conflict(_("The ticket is no longer open."))
