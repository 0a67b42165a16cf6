"""Escalation by the contract's rules: functional (to the next line; skipping one needs a
lead; line 4 only with the customer's consent), the assignee an escalated ticket gets,
hierarchical (raising a ticket to the line lead or the supervisors) and the external
vendor's case that line 4 follows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from sladesk.accounts.choices import Role
from sladesk.accounts.models import SupportLine, User
from sladesk.core import clock
from sladesk.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from sladesk.tickets import assignment, lifecycle
from sladesk.tickets.choices import OPEN_STATUSES, CommentKind, EventKind, ExternalCaseStatus
from sladesk.tickets.models import ExternalCase, LineRotation, Ticket
from sladesk.tickets.notes import Note, source_text
from sladesk.tickets.services import history
from sladesk.tickets.services.common import (
    finish,
    lock_visible,
    require_open,
    require_text,
    require_vendor,
    transition,
)
from sladesk.tickets.services.conversation import add_comment


def is_lead(actor: User, ticket: Ticket) -> bool:
    """A supervisor, an administrator, or the lead of the ticket's line."""
    if actor.role in (Role.SUPERVISOR, Role.ADMINISTRATOR):
        return True
    return ticket.line is not None and ticket.line.lead_id == actor.pk


def line_allowed(ticket: Ticket, line: SupportLine) -> None:
    """Conflict unless the ticket may move to `line`: another line, within the contract."""
    if line.pk == ticket.line_id:
        raise Conflict(_("The ticket is already on this line."))
    if ticket.contract is not None and line.level > ticket.contract.included_lines:
        raise Conflict(
            _("The contract includes lines up to %(level)d.")
            % {"level": ticket.contract.included_lines}
        )


def require_no_skip(actor: User, ticket: Ticket, line: SupportLine) -> None:
    """PermissionDenied when moving to `line` skips a line and `actor` is no lead."""
    current = ticket.line.level if ticket.line else 0
    if line.level > current + 1 and not is_lead(actor, ticket):
        raise PermissionDenied(_("Escalate to the next line; skipping a line needs a lead."))


def _pick_assignee(line: SupportLine) -> int | None:
    """The member the line's rule gives the ticket to, or None (no rule, no member)."""
    members = list(line.members.filter(is_active=True).values_list("pk", flat=True))
    if line.assignment_rule == assignment.LEAST_LOADED:
        loads = dict(
            User.objects.filter(pk__in=members)
            .annotate(
                load=Count("assigned_tickets", filter=Q(assigned_tickets__status__in=OPEN_STATUSES))
            )
            .values_list("pk", "load")
        )
        return assignment.least_loaded(members, loads)
    if line.assignment_rule == assignment.ROUND_ROBIN:
        # Locked: two escalations at once give the ticket to two members, not one twice.
        LineRotation.objects.get_or_create(line=line)
        rotation = LineRotation.objects.select_for_update().get(line=line)
        chosen = assignment.round_robin(members, rotation.last_assigned_id)
        if chosen is not None:
            rotation.last_assigned_id = chosen
            rotation.save(update_fields=["last_assigned"])
        return chosen
    return None


def move_to_line(
    ticket: Ticket,
    actor: User | None,
    line: SupportLine,
    *,
    reason: str,
    assignee_id: int | None = None,
    data: dict[str, object] | None = None,
) -> None:
    """Put a locked ticket on `line` with its history and an internal note; the assignee
    is the chosen member, else whom the line's rule picks, else nobody. The caller saves."""
    previous_level = ticket.line.level if ticket.line else None
    history.change(
        ticket,
        actor,
        "line_id",
        line.pk,
        kind=EventKind.ESCALATED,
        data={"reason": reason, "from_level": previous_level, "to_level": line.level}
        | (data or {}),
    )
    if assignee_id is not None and not line.members.filter(pk=assignee_id, is_active=True).exists():
        raise DomainError(_("The assignee is not a member of that line."), field="assignee")
    if assignee_id is None and not (
        ticket.assignee_id is not None and line.members.filter(pk=ticket.assignee_id).exists()
    ):
        assignee_id = _pick_assignee(line)
    if assignee_id is None and ticket.assignee_id is not None:
        if not line.members.filter(pk=ticket.assignee_id).exists():
            history.change(ticket, actor, "assignee_id", None, kind=EventKind.ASSIGNED)
    elif assignee_id is not None:
        history.change(ticket, actor, "assignee_id", assignee_id, kind=EventKind.ASSIGNED)
        if ticket.status == lifecycle.Status.NEW:
            transition(ticket, actor, lifecycle.Action.START)
    add_comment(
        ticket,
        actor,
        CommentKind.INTERNAL,
        note=Note("escalated", {"level": line.level, "name": line.name, "reason": reason}),
    )


def ticket_escalate(
    *,
    actor: User,
    ticket_id: int,
    line_id: int,
    reason: str,
    external_reference: str = "",
    assignee_id: int | None = None,
) -> Ticket:
    """Functional escalation: hand the ticket to another line with a reason.

    Up one line at a time (or back down); skipping a line needs a lead (`is_lead`). Line 4,
    an external vendor, is reached only through a proposal the customer accepts (seed 002:
    "only after consultation with the customer"). The line must be within the contract's
    included lines. The ticket goes to `assignee_id`, else to whom the line's rule picks."""
    require_vendor(actor)
    reason = require_text(reason, "reason", _("Say why the ticket is escalated."))
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        require_open(ticket)
        line = SupportLine.objects.filter(pk=line_id).first()
        if line is None:
            raise NotFound(_("No such support line."))
        line_allowed(ticket, line)
        if line.is_external:
            raise Conflict(
                _(
                    "An external vendor is involved only with the customer's consent: "
                    "propose the escalation to the customer."
                )
            )
        require_no_skip(actor, ticket, line)
        move_to_line(ticket, actor, line, reason=reason, assignee_id=assignee_id)
        if external_reference.strip():
            history.change(ticket, actor, "external_reference", external_reference.strip())
        finish(ticket, actor)
    return ticket


def raise_attention(
    ticket: Ticket, actor: User | None, reason: str, *, reason_note: Note | None = None
) -> bool:
    """Raise a locked open ticket to its lead (once until a lead clears it); the caller
    saves. Whether it was raised now. `reason` is a person's words, or the desk's own text
    (an SLA event) with `reason_note` its note, which the conversation renders per reader."""
    from sladesk.notifications.services import notifications_for_attention

    if ticket.attention_at is not None:
        return False
    history.change(
        ticket,
        actor,
        "attention_at",
        clock.now(),
        kind=EventKind.ATTENTION_RAISED,
        data={"reason": reason},
    )
    ticket.attention_reason = reason
    add_comment(
        ticket,
        actor,
        CommentKind.INTERNAL,
        note=Note("attention_raised", {"reason": reason_note or reason}),
    )
    notifications_for_attention(ticket=ticket, reason=reason, reason_note=reason_note)
    return True


def ticket_raise_attention(*, actor: User, ticket_id: int, reason: str) -> Ticket:
    """Hierarchical escalation by an agent: raise the ticket to its line's lead and the
    supervisors; it waits in their attention queue (SLA rules raise it in `sla._act`)."""
    require_vendor(actor)
    reason = require_text(reason, "reason", _("Say why the lead's attention is needed."))
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        require_open(ticket)
        if not raise_attention(ticket, actor, reason):
            raise Conflict(_("The ticket waits for the lead's attention already."))
        finish(ticket, actor)
    return ticket


def ticket_attention_clear(*, actor: User, ticket_id: int, note: str) -> Ticket:
    """A lead takes up a raised ticket: it leaves the attention queue, with their note."""
    require_vendor(actor)
    note = require_text(note, "note", _("Say what you decided."))
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        if not is_lead(actor, ticket):
            raise PermissionDenied(_("Only the line's lead or a supervisor can do this."))
        if ticket.attention_at is None:
            raise Conflict(_("Nobody asked for attention on this ticket."))
        history.change(
            ticket,
            actor,
            "attention_at",
            None,
            kind=EventKind.ATTENTION_CLEARED,
            data={"reason": note},
        )
        ticket.attention_reason = ""
        add_comment(
            ticket, actor, CommentKind.INTERNAL, note=Note("attention_cleared", {"note": note})
        )
        finish(ticket, actor)
    return ticket


@dataclass(frozen=True)
class ExternalCaseChange:
    """One exchange with an external vendor: what they said or did, and what changes."""

    note: str
    vendor: str = ""
    reference: str = ""
    status: str = ""
    follow_up_on: dt.date | None = None


def ticket_external_case_open(
    *, actor: User, ticket_id: int, change: ExternalCaseChange
) -> ExternalCase:
    """Open the vendor's case for a ticket on an external line (after the customer agreed)."""
    require_vendor(actor)
    note = require_text(change.note, "note", _("Say what was sent to the vendor."))
    vendor = require_text(change.vendor, "vendor", _("Name the external vendor."))
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        require_open(ticket)
        if ticket.line is None or not ticket.line.is_external:
            raise Conflict(_("Only a ticket on an external vendor's line has an external case."))
        case = ExternalCase.objects.create(
            ticket=ticket,
            vendor=vendor[:200],
            reference=change.reference.strip()[:200],
            status=change.status or ExternalCaseStatus.OPEN,
            follow_up_on=change.follow_up_on,
            opened_by=actor,
            opened_at=clock.now(),
            updated_at=clock.now(),
        )
        _check_status(case.status)
        history.record(
            ticket,
            actor,
            EventKind.EXTERNAL_CASE_OPENED,
            data={"case_id": case.pk, "vendor": case.vendor, "reference": case.reference},
        )
        if case.reference:
            history.change(ticket, actor, "external_reference", case.reference)
        add_comment(ticket, actor, CommentKind.INTERNAL, note=_external_note(case, note))
        finish(ticket, actor)
    return case


def _check_status(status: str) -> None:
    if status not in ExternalCaseStatus.values:
        raise DomainError(_("Unknown status of an external case."), field="status")


def _external_note(case: ExternalCase, note: str) -> Note:
    status = dict(ExternalCaseStatus.choices).get(case.status, case.status)
    return Note("external_case", {"case": str(case), "status": source_text(status), "note": note})


def ticket_external_case_update(
    *, actor: User, ticket_id: int, case_id: int, change: ExternalCaseChange
) -> ExternalCase:
    """Record an exchange with the vendor: a note on the ticket, and the case's new status,
    reference or follow-up date (a new date re-arms the reminder)."""
    require_vendor(actor)
    note = require_text(change.note, "note", _("Say what the vendor said or what was sent."))
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        case = ExternalCase.objects.select_for_update().filter(pk=case_id, ticket=ticket).first()
        if case is None:
            raise NotFound(_("No such external case."))
        before = {
            "status": case.status,
            "reference": case.reference,
            "follow_up_on": case.follow_up_on.isoformat() if case.follow_up_on else None,
        }
        if change.status:
            _check_status(change.status)
            case.status = change.status
        if change.reference.strip():
            case.reference = change.reference.strip()[:200]
        if change.vendor.strip():
            case.vendor = change.vendor.strip()[:200]
        if change.follow_up_on is not None:
            case.follow_up_on = change.follow_up_on
        if not case.is_open:
            case.follow_up_on = None
        case.updated_at = clock.now()
        case.save()
        after = {
            "status": case.status,
            "reference": case.reference,
            "follow_up_on": case.follow_up_on.isoformat() if case.follow_up_on else None,
        }
        history.record(
            ticket,
            actor,
            EventKind.EXTERNAL_CASE_UPDATED,
            before=before,
            after=after,
            data={"case_id": case.pk},
        )
        if case.reference and case.reference != ticket.external_reference:
            history.change(ticket, actor, "external_reference", case.reference)
        add_comment(ticket, actor, CommentKind.INTERNAL, note=_external_note(case, note))
        finish(ticket, actor)
    return case


def external_cases_remind(*, today: dt.date | None = None) -> int:
    """The daily job: remind the assignee (else the line's lead) of every open external case
    whose follow-up date has come, once per date; returns how many were reminded."""
    from sladesk.notifications.services import notifications_for_attention

    day = today or clock.now().date()
    reminded = 0
    due = ExternalCase.objects.filter(
        follow_up_on__lte=day, ticket__status__in=OPEN_STATUSES
    ).exclude(status__in=(ExternalCaseStatus.FIXED, ExternalCaseStatus.CLOSED))
    for case_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            case = (
                ExternalCase.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("ticket__assignee", "ticket__line__lead")
                .filter(pk=case_id)
                .first()
            )
            if case is None or case.reminded_on == case.follow_up_on:
                continue  # taken by another worker, or reminded of this date already
            case.reminded_on = case.follow_up_on
            case.save(update_fields=["reminded_on"])
            follow_up = Note(
                "external_follow_up",
                {"vendor": case.vendor, "reference": case.reference or "—"},
            )
            reason = follow_up.render()
            add_comment(case.ticket, None, CommentKind.INTERNAL, note=follow_up)
            notifications_for_attention(
                ticket=case.ticket,
                reason=reason,
                key=f"external-follow-up:{case.pk}:{day}",
                reason_note=follow_up,
            )
            reminded += 1
    return reminded
