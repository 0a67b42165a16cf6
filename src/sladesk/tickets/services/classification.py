"""Classifying tickets, and changing a classification or priority only by the customer's
agreement (seed 004): the vendor proposes, the customer accepts or rejects, history keeps both."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from sladesk.accounts.choices import Role
from sladesk.accounts.models import Contract, Organisation, SupportLine, User
from sladesk.core import clock
from sladesk.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from sladesk.tickets.choices import EventKind, Level, Priority, ProposalStatus
from sladesk.tickets.models import (
    ChangeProposal,
    ClassificationScheme,
    PriorityMatrixCell,
    Severity,
    Ticket,
    TicketClass,
)
from sladesk.tickets.services import history
from sladesk.tickets.services.common import finish, lock_visible, require_open, require_vendor
from sladesk.tickets.services.escalation import line_allowed, move_to_line, require_no_skip


def scheme_for(
    *, organisation: Organisation, contract: Contract | None
) -> ClassificationScheme | None:
    """The contract's scheme; for a ticket outside contract, the organisation's latest one."""
    if contract is not None:
        return contract.classification_scheme
    latest = (
        organisation.contracts.select_related("classification_scheme").order_by("-ends_on").first()
    )
    return latest.classification_scheme if latest else None


def priority_for(
    *,
    scheme: ClassificationScheme | None,
    ticket_class: TicketClass | None,
    impact: str,
    urgency: str,
) -> str:
    """Impact x urgency through the scheme's matrix when both are known, else the class default."""
    if scheme is not None and impact and urgency:
        cell = PriorityMatrixCell.objects.filter(
            scheme=scheme, impact=impact, urgency=urgency
        ).first()
        if cell is not None:
            return cell.priority
    if ticket_class is not None:
        return ticket_class.default_priority
    return Priority.MEDIUM


def resolve_classification(
    *,
    organisation: Organisation,
    contract: Contract | None,
    ticket_class_id: int | None,
    severity_id: int | None,
    impact: str,
    urgency: str,
) -> tuple[TicketClass | None, Severity | None, str]:
    """Check a class and severity against the organisation's scheme; derive the priority."""
    scheme = scheme_for(organisation=organisation, contract=contract)
    ticket_class = severity = None
    if ticket_class_id is not None:
        ticket_class = TicketClass.objects.filter(pk=ticket_class_id, scheme=scheme).first()
        if ticket_class is None:
            raise DomainError(
                _("This class is not in the contract's scheme."), field="ticket_class"
            )
    if severity_id is not None:
        if ticket_class is None:
            raise DomainError(_("A severity needs a class."), field="severity")
        severity = Severity.objects.filter(pk=severity_id, ticket_class=ticket_class).first()
        if severity is None:
            raise DomainError(_("This severity does not belong to the class."), field="severity")
    priority = priority_for(
        scheme=scheme, ticket_class=ticket_class, impact=impact, urgency=urgency
    )
    return ticket_class, severity, priority


def ticket_classify(
    *,
    actor: User,
    ticket_id: int,
    ticket_class_id: int,
    severity_id: int | None = None,
    impact: str = "",
    urgency: str = "",
) -> Ticket:
    """Line 1 classifies an unclassified ticket. A classified one changes only by proposal."""
    require_vendor(actor)
    for value, name in ((impact, "impact"), (urgency, "urgency")):
        if value and value not in Level.values:
            raise DomainError(_("Unknown level."), field=name)
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        require_open(ticket)
        if ticket.ticket_class_id is not None:
            raise Conflict(
                _("The ticket is classified already; propose a change to the customer instead.")
            )
        ticket_class, severity, priority = resolve_classification(
            organisation=ticket.organisation,
            contract=ticket.contract,
            ticket_class_id=ticket_class_id,
            severity_id=severity_id,
            impact=impact,
            urgency=urgency,
        )
        changes: list[tuple[str, object]] = [
            ("ticket_class_id", ticket_class.pk if ticket_class else None),
            ("severity_id", severity.pk if severity else None),
            ("impact", impact),
            ("urgency", urgency),
            ("priority", priority),
        ]
        for field, new_value in changes:
            history.change(ticket, actor, field, new_value, kind=EventKind.CLASSIFIED)
        finish(ticket, actor)
    return ticket


@dataclass(frozen=True)
class ChangeRequest:
    """A proposed reclassification and/or priority change; unset fields stay as they are."""

    reason: str
    ticket_class_id: int | None = None
    severity_id: int | None = None
    priority: str = ""
    line_id: int | None = None  # an external vendor's line: escalation by consent


def ticket_propose_change(*, actor: User, ticket_id: int, change: ChangeRequest) -> ChangeProposal:
    """The vendor proposes a new class/severity/priority; nothing changes until accepted."""
    require_vendor(actor)
    if not change.reason.strip():
        raise DomainError(_("Say why the change is proposed."), field="reason")
    if change.priority and change.priority not in Priority.values:
        raise DomainError(_("Unknown priority."), field="priority")
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        require_open(ticket)
        reclassifying = change.ticket_class_id is not None or change.severity_id is not None
        if ticket.ticket_class_id is None and (reclassifying or change.priority):
            raise Conflict(_("Classify the ticket first."))
        if ChangeProposal.objects.filter(ticket=ticket, status=ProposalStatus.PENDING).exists():
            raise Conflict(_("A proposal is already waiting for the customer."))
        ticket_class, severity = _proposed_classification(ticket, change)
        proposal = ChangeProposal.objects.create(
            ticket=ticket,
            proposed_by=actor,
            ticket_class=ticket_class,
            severity=severity,
            priority=change.priority,
            line=_proposed_line(actor, ticket, change.line_id),
            reason=change.reason.strip(),
        )
        if not _changes_of(ticket, proposal):
            raise DomainError(_("The proposal changes nothing."))
        history.record(
            ticket,
            actor,
            EventKind.PROPOSAL_MADE,
            data={
                "proposal_id": proposal.pk,
                "changes": _changes_of(ticket, proposal),
                "reason": proposal.reason,
            },
        )
    return proposal


def _proposed_classification(
    ticket: Ticket, change: ChangeRequest
) -> tuple[TicketClass | None, Severity | None]:
    if change.ticket_class_id is None:
        if change.severity_id is None:
            return None, None
        severity = Severity.objects.filter(
            pk=change.severity_id, ticket_class_id=ticket.ticket_class_id
        ).first()
        if severity is None:
            raise DomainError(_("This severity does not belong to the class."), field="severity")
        return None, severity
    ticket_class, severity, _priority = resolve_classification(
        organisation=ticket.organisation,
        contract=ticket.contract,
        ticket_class_id=change.ticket_class_id,
        severity_id=change.severity_id,
        impact="",
        urgency="",
    )
    current = ticket.severity
    if (
        current is not None
        and ticket_class is not None
        and current.reclassify_to.exists()
        and not current.reclassify_to.filter(pk=ticket_class.pk).exists()
    ):
        allowed = ", ".join(c.code for c in current.reclassify_to.all())
        raise DomainError(
            _("At this severity the ticket can only be reclassified to: %(allowed)s.")
            % {"allowed": allowed},
            field="ticket_class",
        )
    return ticket_class, severity


def _proposed_line(actor: User, ticket: Ticket, line_id: int | None) -> SupportLine | None:
    """An external vendor's line the contract includes: the only line a customer decides;
    skipping a line to reach it needs a lead, as any escalation does."""
    if line_id is None:
        return None
    line = SupportLine.objects.filter(pk=line_id).first()
    if line is None or not line.is_external:
        raise DomainError(
            _("Only an escalation to an external vendor's line is proposed to the customer."),
            field="line",
        )
    line_allowed(ticket, line)
    require_no_skip(actor, ticket, line)
    return line


def _changes_of(ticket: Ticket, proposal: ChangeProposal) -> dict[str, list[object]]:
    """field -> [current, proposed] for what the proposal would change."""
    changes: dict[str, list[object]] = {}
    if proposal.ticket_class_id is not None and proposal.ticket_class_id != ticket.ticket_class_id:
        changes["ticket_class_id"] = [ticket.ticket_class_id, proposal.ticket_class_id]
        if proposal.severity_id != ticket.severity_id:
            changes["severity_id"] = [ticket.severity_id, proposal.severity_id]
    elif proposal.severity_id is not None and proposal.severity_id != ticket.severity_id:
        changes["severity_id"] = [ticket.severity_id, proposal.severity_id]
    if proposal.priority and proposal.priority != ticket.priority:
        changes["priority"] = [ticket.priority, proposal.priority]
    if proposal.line_id is not None and proposal.line_id != ticket.line_id:
        changes["line_id"] = [ticket.line_id, proposal.line_id]
    return changes


def proposal_decide(
    *, actor: User, ticket_id: int, accept: bool, comment: str = ""
) -> ChangeProposal:
    """The customer (a specialist, or the requester) accepts or rejects the pending proposal."""
    if actor.is_vendor_staff:
        raise PermissionDenied(_("Only the customer can accept or reject a proposed change."))
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        if actor.role != Role.SPECIALIST and ticket.requester_id != actor.pk:
            raise PermissionDenied(_("Only a specialist or the requester can decide."))
        proposal = ChangeProposal.objects.filter(
            ticket=ticket, status=ProposalStatus.PENDING
        ).first()
        if proposal is None:
            raise NotFound(_("There is no proposal waiting for a decision."))
        changes = _changes_of(ticket, proposal)
        proposal.status = ProposalStatus.ACCEPTED if accept else ProposalStatus.REJECTED
        proposal.decided_by = actor
        proposal.decided_at = clock.now()
        proposal.decision_comment = comment.strip()
        proposal.save()
        data = {
            "proposal_id": proposal.pk,
            "changes": changes,
            "comment": proposal.decision_comment,
        }
        if accept:
            require_open(ticket)  # a ticket closed meanwhile changes no more
            if proposal.line is not None:
                line_allowed(ticket, proposal.line)  # the contract may have changed since
            history.record(ticket, actor, EventKind.PROPOSAL_ACCEPTED, data=data)
            if "line_id" in changes and proposal.line is not None:
                # The desk moves it, on the customer's consent (recorded just above).
                move_to_line(
                    ticket,
                    proposal.proposed_by,
                    proposal.line,
                    reason=proposal.reason,
                    data={"proposal_id": proposal.pk},
                )
            for field, (_before, after) in changes.items():
                if field == "line_id":
                    continue
                history.change(
                    ticket,
                    actor,
                    field,
                    after,
                    kind=EventKind.CLASSIFIED,
                    data={"proposal_id": proposal.pk},
                )
            finish(ticket, actor)
        else:
            history.record(ticket, actor, EventKind.PROPOSAL_REJECTED, data=data)
    return proposal
