"""Working a ticket: assignment, escalation, reproduction, information requests, resolution,
closure, reopening, cancellation, parent links."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from sladesk.accounts.choices import Role
from sladesk.accounts.models import User
from sladesk.core import clock
from sladesk.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from sladesk.tickets import lifecycle
from sladesk.tickets.choices import CommentKind, EventKind, Responsibility
from sladesk.tickets.models import Comment, Ticket
from sladesk.tickets.notes import Note
from sladesk.tickets.selectors import ticket_visible_queryset
from sladesk.tickets.services import history
from sladesk.tickets.services.common import (
    finish,
    lock_visible,
    reopen,
    require_open,
    require_text,
    require_vendor,
    transition,
)
from sladesk.tickets.services.conversation import Upload, add_comment


def ticket_assign(*, actor: User, ticket_id: int, assignee_id: int | None) -> Ticket:
    """Give the ticket to an agent of its line (or unassign). Assigning starts a new ticket."""
    require_vendor(actor)
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        require_open(ticket)
        if assignee_id is not None:
            assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
            if assignee is None or not assignee.is_vendor_staff:
                raise DomainError(
                    _("Only an active member of the support team can be assigned."),
                    field="assignee",
                )
            if (
                ticket.line_id is not None
                and not assignee.support_lines.filter(pk=ticket.line_id).exists()
            ):
                raise DomainError(
                    _("The assignee is not a member of the ticket's line."), field="assignee"
                )
        history.change(ticket, actor, "assignee_id", assignee_id, kind=EventKind.ASSIGNED)
        if assignee_id is not None and ticket.status == lifecycle.Status.NEW:
            transition(ticket, actor, lifecycle.Action.START)
        finish(ticket, actor)
    return ticket


def ticket_mark_reproduced(*, actor: User, ticket_id: int, note: str) -> Ticket:
    """Mark the moment the problem was reproduced (where some contracts start the
    resolution clock, seed 004); the moment is stated in a comment the customer sees."""
    require_vendor(actor)
    note = require_text(note, "note", _("Describe where and how it was reproduced."))
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        require_open(ticket)
        if ticket.reproduced_at is not None:
            raise Conflict(_("The ticket is marked reproduced already."))
        history.change(ticket, actor, "reproduced_at", clock.now(), kind=EventKind.REPRODUCED)
        add_comment(ticket, actor, CommentKind.SYSTEM, note=Note("reproduced", {"note": note}))
        finish(ticket, actor)
    return ticket


def ticket_request_info(
    *, actor: User, ticket_id: int, question: str, uploads: list[Upload] | None = None
) -> Comment:
    """Ask the customer for information; the ticket waits for them (the clock pauses)."""
    require_vendor(actor)
    question = require_text(question, "body", _("Write what you need from the customer."))
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        comment = add_comment(ticket, actor, CommentKind.PUBLIC, question, uploads)
        if ticket.first_response_at is None:
            history.change(ticket, actor, "first_response_at", clock.now())
        transition(ticket, actor, lifecycle.Action.REQUEST_INFO)
        finish(ticket, actor)
    return comment


def ticket_resolve(*, actor: User, ticket_id: int, resolution: str) -> Ticket:
    """Resolve with a public explanation. A severity that demands reclassification
    (C4: not a product defect) must be reclassified first."""
    require_vendor(actor)
    resolution = require_text(resolution, "body", _("Explain the resolution to the customer."))
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        if ticket.severity is not None and ticket.severity.reclassify_to.exists():
            raise Conflict(
                _("At this severity the ticket must be reclassified before it is resolved.")
            )
        transition(ticket, actor, lifecycle.Action.RESOLVE)
        add_comment(ticket, actor, CommentKind.PUBLIC, resolution)
        if (
            ticket.ticket_class is not None
            and ticket.ticket_class.responsibility == Responsibility.CUSTOMER
        ):
            # Seed 004: in categories A and D the vendor only advises; the customer is told.
            add_comment(
                ticket,
                actor,
                CommentKind.SYSTEM,
                note=Note("customer_area", {"class": str(ticket.ticket_class)}),
            )
        if ticket.first_response_at is None:
            history.change(ticket, actor, "first_response_at", clock.now())
        history.change(ticket, actor, "resolved_at", clock.now())
        finish(ticket, actor)
    return ticket


def ticket_close(
    *, actor: User | None, ticket_id: int, comment: str = "", system_actor: bool = False
) -> Ticket:
    """Close a resolved ticket: the customer confirms, or the vendor closes it.

    `actor=None` with `system_actor=True` is the desk itself (e.g. auto-close); it sees all."""
    with transaction.atomic():
        if actor is None:
            if not system_actor:
                raise PermissionDenied(_("Closing needs an actor."))
            ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
            if ticket is None:
                raise NotFound(_("No such ticket."))
        else:
            ticket = lock_visible(actor=actor, ticket_id=ticket_id)
            _require_customer_party(actor, ticket)
        transition(ticket, actor, lifecycle.Action.CLOSE)
        history.change(ticket, actor, "closed_at", clock.now())
        if comment.strip():
            add_comment(
                ticket, actor, CommentKind.PUBLIC if actor else CommentKind.SYSTEM, comment.strip()
            )
        finish(ticket, actor)
    return ticket


def _require_customer_party(actor: User, ticket: Ticket) -> None:
    """Vendor staff, the requester, or a specialist of the ticket's organisation."""
    if actor.is_vendor_staff or actor.role == Role.SPECIALIST or ticket.requester_id == actor.pk:
        return
    raise PermissionDenied(_("Only the requester or a specialist can do this."))


def ticket_reopen(*, actor: User, ticket_id: int, reason: str) -> Ticket:
    """The resolution did not hold: back to work, with the reason in the conversation."""
    reason = require_text(reason, "reason", _("Say why the ticket is reopened."))
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        _require_customer_party(actor, ticket)
        reopen(ticket, actor)
        add_comment(ticket, actor, CommentKind.PUBLIC, reason)
        finish(ticket, actor)
    return ticket


def ticket_cancel(*, actor: User, ticket_id: int, reason: str) -> Ticket:
    """Withdraw an open ticket (registered by mistake, a duplicate, no longer needed)."""
    reason = require_text(reason, "reason", _("Say why the ticket is cancelled."))
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        _require_customer_party(actor, ticket)
        transition(ticket, actor, lifecycle.Action.CANCEL)
        history.change(ticket, actor, "closed_at", clock.now())
        add_comment(ticket, actor, CommentKind.SYSTEM, reason)
        finish(ticket, actor)
    return ticket


def ticket_set_parent(*, actor: User, ticket_id: int, parent_id: int | None) -> Ticket:
    """Link a ticket under another of the same organisation (no cycles)."""
    require_vendor(actor)
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        if parent_id is not None:
            parent = ticket_visible_queryset(user=actor).filter(pk=parent_id).first()
            if parent is None or parent.organisation_id != ticket.organisation_id:
                raise DomainError(
                    _("The parent must be a ticket of the same organisation."), field="parent"
                )
            ancestor: Ticket | None = parent
            while ancestor is not None:
                if ancestor.pk == ticket.pk:
                    raise DomainError(_("A ticket cannot be its own ancestor."), field="parent")
                ancestor = ancestor.parent
        history.change(ticket, actor, "parent_id", parent_id)
        finish(ticket, actor)
    return ticket


def ticket_auto_close(*, ticket_id: int, working_days: int) -> Ticket:
    """The desk closes a ticket whose customer did not answer a request for information in
    time (seed 004): it counts as solved, and the notice says so. Called by the SLA sweep,
    which holds the ticket's lock; not an action any person can take."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
    if ticket.status != lifecycle.Status.WAITING_FOR_CUSTOMER:
        raise Conflict(_("Only a ticket waiting for the customer closes automatically."))
    transition(ticket, None, lifecycle.Action.RESOLVE)
    history.change(ticket, None, "resolved_at", clock.now())
    transition(ticket, None, lifecycle.Action.CLOSE)
    history.change(ticket, None, "closed_at", clock.now(), kind=EventKind.AUTO_CLOSED)
    add_comment(ticket, None, CommentKind.SYSTEM, note=Note("auto_closed", {"days": working_days}))
    finish(ticket, None)
    return ticket
