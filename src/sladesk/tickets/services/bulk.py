"""Working many tickets at once from a queue: each ticket goes through the same service as
one at a time, in its own transaction, so one refusal does not undo the others."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from sladesk.accounts.models import User
from sladesk.core.errors import DomainError
from sladesk.tickets.services.actions import (
    ticket_assign,
    ticket_cancel,
    ticket_close,
    ticket_resolve,
)
from sladesk.tickets.services.common import require_vendor

BULK_STATUS_ACTIONS = ("resolve", "close", "cancel")
BULK_LIMIT = 200


@dataclass
class BulkResult:
    """How many tickets changed, and why each refused one was refused (by ticket id)."""

    done: int = 0
    refused: dict[int, str] = field(default_factory=dict)


def _checked(actor: User, ticket_ids: list[int]) -> list[int]:
    require_vendor(actor)
    ids = list(dict.fromkeys(ticket_ids))
    if not ids:
        raise DomainError(_("Select at least one ticket."), field="tickets")
    if len(ids) > BULK_LIMIT:
        raise DomainError(
            _("Select at most %(limit)d tickets at once.") % {"limit": BULK_LIMIT}, field="tickets"
        )
    return ids


def ticket_bulk_assign(
    *, actor: User, ticket_ids: list[int], assignee_id: int | None
) -> BulkResult:
    """Assign (or unassign) each ticket; the single-ticket rules apply to each."""
    result = BulkResult()
    for ticket_id in _checked(actor, ticket_ids):
        try:
            ticket_assign(actor=actor, ticket_id=ticket_id, assignee_id=assignee_id)
        except DomainError as error:
            result.refused[ticket_id] = error.message
        else:
            result.done += 1
    return result


def ticket_bulk_status(*, actor: User, ticket_ids: list[int], action: str, text: str) -> BulkResult:
    """Resolve (with the text as the resolution), close, or cancel (text as the reason)."""
    if action not in BULK_STATUS_ACTIONS:
        raise DomainError(_("Unknown action."), field="action")
    result = BulkResult()
    for ticket_id in _checked(actor, ticket_ids):
        try:
            if action == "resolve":
                ticket_resolve(actor=actor, ticket_id=ticket_id, resolution=text)
            elif action == "close":
                ticket_close(actor=actor, ticket_id=ticket_id, comment=text)
            else:
                ticket_cancel(actor=actor, ticket_id=ticket_id, reason=text)
        except DomainError as error:
            result.refused[ticket_id] = error.message
        else:
            result.done += 1
    return result
