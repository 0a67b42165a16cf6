"""Ticket endpoints: thin — parse, call one selector or service, serialise."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

from django.db.models import F, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Router
from ninja.files import UploadedFile
from ninja.responses import Status

from sladesk.api.auth import actor, writer
from sladesk.api.pagination import keyset_page
from sladesk.api.rendering import rows_response
from sladesk.api.schemas import (
    AssignIn,
    AttachmentOut,
    AttentionIn,
    ClassifyIn,
    CommentIn,
    CommentOut,
    DecisionIn,
    EscalateIn,
    EventOut,
    ExternalCaseIn,
    ExternalCaseOut,
    ExternalCasePatch,
    Instant,
    MeOut,
    OptionalTextIn,
    ParentIn,
    ProposalIn,
    ProposalOut,
    SlaEventOut,
    TagsIn,
    TextIn,
    TicketIn,
    TicketOut,
    TicketPage,
    TicketPatch,
    WatcherIn,
)
from sladesk.core.errors import DomainError
from sladesk.sla.models import SlaEvent
from sladesk.sla.selectors import sla_events_of
from sladesk.tickets import policy, selectors, services
from sladesk.tickets.models import (
    Attachment,
    ChangeProposal,
    Comment,
    ExternalCase,
    Ticket,
    TicketEvent,
)

router = Router(tags=["tickets"])

ORDERINGS = {"deadline": ["sla_next_due_at", "id"], "newest": ["-registered_at", "-id"]}
# What TicketOut reads beyond the ticket's own columns; joining more only costs planning time.
TICKET_OUT_RELATED = ("line", "release")
# A list row: TicketOut's columns but the release, which comes as joined columns and is
# folded into its object (`_release_folded`).
RELEASE_COLUMNS = {
    "release__id": "id",
    "release__version": "version",
    "release__planned_on": "planned_on",
    "release__status": "status",
}
TICKET_ROW_COLUMNS = (
    *(name for name in TicketOut.model_fields if name != "release"),
    *RELEASE_COLUMNS,
)
# The filters whose values a kept first page takes as parameters: all but the text query
# (whose pages are not kept) and the order (part of the key).
BOUND_FILTERS = tuple(
    field.name
    for field in fields(selectors.TicketFilters)
    if field.name not in ("text", "order", "statuses")
)


def _instant(value: dt.datetime | None) -> dt.datetime | None:
    """A filter's instant; one given without an offset is read in the current time zone:
    the signed-in user's (their own clock), else the desk's."""
    if value is None or not timezone.is_naive(value):
        return value
    return timezone.make_aware(value)


def _release_folded(row: dict[str, Any]) -> dict[str, Any]:
    """A list row with its release's joined columns as TicketOut's `release` (or None)."""
    release = {key: row.pop(column) for column, key in RELEASE_COLUMNS.items()}
    row["release"] = release if release["id"] is not None else None
    return row


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    return selectors.ticket_get_visible(
        user=actor(request), ticket_id=ticket_id, related=TICKET_OUT_RELATED
    )


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> object:
    return actor(request)


@router.get("/tickets", response=TicketPage)
def list_tickets(
    request: HttpRequest,
    status: str = "",
    organisation_id: int | None = None,
    service_id: int | None = None,
    line_id: int | None = None,
    assignee_id: int | None = None,
    ticket_class_id: int | None = None,
    priority: str = "",
    sla_state: str = "",
    q: str = "",
    registered_from: Instant | None = None,
    registered_to: Instant | None = None,
    updated_from: Instant | None = None,
    updated_to: Instant | None = None,
    order: str = "deadline",
    cursor: str | None = None,
    limit: int = 50,
) -> HttpResponse:
    """Visible tickets, next SLA deadline first (`order=newest` for the newest first).

    `status` takes one status, several separated by commas, or `open` (every status but
    resolved, closed and cancelled)."""
    if order not in ORDERINGS:
        raise DomainError(_("Order by deadline or newest."), field="order")
    statuses = selectors.statuses_of(status)
    filters = selectors.TicketFilters(
        # One status is a bound parameter of the kept first page; several are not.
        status=statuses[0] if len(statuses) == 1 else "",
        statuses=statuses if len(statuses) > 1 else (),
        organisation_id=organisation_id,
        service_id=service_id,
        line_id=line_id,
        assignee_id=assignee_id,
        ticket_class_id=ticket_class_id,
        priority=priority,
        sla_state=sla_state,
        text=q[:200],
        registered_from=_instant(registered_from),
        registered_to=_instant(registered_to),
        updated_from=_instant(updated_from),
        updated_to=_instant(updated_to),
    )
    user = actor(request)

    def tickets(bound: Mapping[str, Any]) -> QuerySet[Ticket, dict[str, Any]]:
        # Plain rows of what TicketOut shows, the line's level as a column rather than a
        # joined SupportLine, the release's fields joined in: no model instance per row.
        return (
            selectors.ticket_list(user=user, filters=replace(filters, **bound), related=())
            .annotate(line_level=F("line__level"))
            .values(*TICKET_ROW_COLUMNS)
        )

    # A first page's SQL is kept for each set of filters in use, their values bound; not
    # when it searches text (too varied to be worth keeping). Several statuses are written
    # into the SQL, so they are part of its key.
    reuse = (
        None
        if filters.text
        else ("tickets", selectors.ticket_visibility_of(user), filters.order, filters.statuses)
    )
    values = {name: getattr(filters, name) for name in BOUND_FILTERS if getattr(filters, name)}
    items, next_cursor = keyset_page(
        tickets, keys=ORDERINGS[order], cursor=cursor, limit=limit, reuse=reuse, values=values
    )
    return rows_response(
        {"items": [_release_folded(row) for row in items], "next_cursor": next_cursor}
    )


@router.post("/tickets", response={201: TicketOut})
def create_ticket(request: HttpRequest, payload: TicketIn) -> Status[Ticket]:
    """Customers register for their own organisation; agents on a customer's behalf."""
    user = writer(request)
    refused = policy.forbidden(payload.model_fields_set, vendor=user.is_vendor_staff, creating=True)
    if refused:
        raise DomainError(
            _("You may not set: %(fields)s.") % {"fields": ", ".join(refused)}, field=refused[0]
        )
    if not user.is_vendor_staff and payload.channel != "api":
        raise DomainError(_("Customers register through the API on channel api."), field="channel")
    ticket = services.ticket_register(
        actor=user, data=services.TicketRegistration(**payload.model_dump())
    )
    # The registering user may always see the new ticket (they requested it, or they are
    # vendor staff), and the service returns it as saved, SLA columns and line included.
    return Status(201, ticket)


@router.get("/tickets/{ticket_id}", response=TicketOut)
def get_ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    return _ticket(request, ticket_id)


@router.patch("/tickets/{ticket_id}", response=TicketOut)
def update_ticket(request: HttpRequest, ticket_id: int, payload: TicketPatch) -> Ticket:
    """Descriptive fields only; status, class, priority, line and assignee have actions."""
    user = writer(request)
    services.ticket_edit(
        actor=user,
        ticket_id=ticket_id,
        edit=services.TicketEdit(**payload.model_dump(exclude_unset=True)),
    )
    return _ticket(request, ticket_id)


@router.post("/tickets/{ticket_id}/assign", response=TicketOut)
def assign(request: HttpRequest, ticket_id: int, payload: AssignIn) -> Ticket:
    services.ticket_assign(
        actor=writer(request), ticket_id=ticket_id, assignee_id=payload.assignee_id
    )
    return _ticket(request, ticket_id)


@router.post("/tickets/{ticket_id}/escalate", response=TicketOut)
def escalate(request: HttpRequest, ticket_id: int, payload: EscalateIn) -> Ticket:
    services.ticket_escalate(
        actor=writer(request),
        ticket_id=ticket_id,
        line_id=payload.line_id,
        reason=payload.reason,
        external_reference=payload.external_reference,
        assignee_id=payload.assignee_id,
    )
    return _ticket(request, ticket_id)


@router.post("/tickets/{ticket_id}/attention", response=TicketOut)
def raise_attention(request: HttpRequest, ticket_id: int, payload: AttentionIn) -> Ticket:
    """Hierarchical escalation: raise the ticket to its line's lead and the supervisors."""
    services.ticket_raise_attention(
        actor=writer(request), ticket_id=ticket_id, reason=payload.reason
    )
    return _ticket(request, ticket_id)


@router.post("/tickets/{ticket_id}/attention/clear", response=TicketOut)
def clear_attention(request: HttpRequest, ticket_id: int, payload: TextIn) -> Ticket:
    """A lead takes up a raised ticket, with a note of what they decided."""
    services.ticket_attention_clear(actor=writer(request), ticket_id=ticket_id, note=payload.text)
    return _ticket(request, ticket_id)


@router.get("/tickets/{ticket_id}/external-cases", response=list[ExternalCaseOut])
def list_external_cases(request: HttpRequest, ticket_id: int) -> list[ExternalCase]:
    """The external vendor's cases of a ticket (the support team only)."""
    return list(
        selectors.external_cases_of(user=actor(request), ticket=_ticket(request, ticket_id))
    )


@router.post("/tickets/{ticket_id}/external-cases", response={201: ExternalCaseOut})
def open_external_case(
    request: HttpRequest, ticket_id: int, payload: ExternalCaseIn
) -> Status[ExternalCase]:
    case = services.ticket_external_case_open(
        actor=writer(request),
        ticket_id=ticket_id,
        change=services.ExternalCaseChange(**payload.model_dump()),
    )
    return Status(201, case)


@router.patch("/tickets/{ticket_id}/external-cases/{case_id}", response=ExternalCaseOut)
def update_external_case(
    request: HttpRequest, ticket_id: int, case_id: int, payload: ExternalCasePatch
) -> ExternalCase:
    """Record an exchange with the vendor: the note, and what changed of the case."""
    return services.ticket_external_case_update(
        actor=writer(request),
        ticket_id=ticket_id,
        case_id=case_id,
        change=services.ExternalCaseChange(**payload.model_dump()),
    )


@router.post("/tickets/{ticket_id}/classify", response=TicketOut)
def classify(request: HttpRequest, ticket_id: int, payload: ClassifyIn) -> Ticket:
    services.ticket_classify(actor=writer(request), ticket_id=ticket_id, **payload.model_dump())
    return _ticket(request, ticket_id)


@router.post("/tickets/{ticket_id}/request-info", response=TicketOut)
def request_info(request: HttpRequest, ticket_id: int, payload: TextIn) -> Ticket:
    services.ticket_request_info(actor=writer(request), ticket_id=ticket_id, question=payload.text)
    return _ticket(request, ticket_id)


@router.post("/tickets/{ticket_id}/mark-reproduced", response=TicketOut)
def mark_reproduced(request: HttpRequest, ticket_id: int, payload: TextIn) -> Ticket:
    services.ticket_mark_reproduced(actor=writer(request), ticket_id=ticket_id, note=payload.text)
    return _ticket(request, ticket_id)


@router.post("/tickets/{ticket_id}/resolve", response=TicketOut)
def resolve(request: HttpRequest, ticket_id: int, payload: TextIn) -> Ticket:
    services.ticket_resolve(actor=writer(request), ticket_id=ticket_id, resolution=payload.text)
    return _ticket(request, ticket_id)


@router.post("/tickets/{ticket_id}/close", response=TicketOut)
def close(request: HttpRequest, ticket_id: int, payload: OptionalTextIn) -> Ticket:
    services.ticket_close(actor=writer(request), ticket_id=ticket_id, comment=payload.text)
    return _ticket(request, ticket_id)


@router.post("/tickets/{ticket_id}/reopen", response=TicketOut)
def reopen(request: HttpRequest, ticket_id: int, payload: TextIn) -> Ticket:
    services.ticket_reopen(actor=writer(request), ticket_id=ticket_id, reason=payload.text)
    return _ticket(request, ticket_id)


@router.post("/tickets/{ticket_id}/cancel", response=TicketOut)
def cancel(request: HttpRequest, ticket_id: int, payload: TextIn) -> Ticket:
    services.ticket_cancel(actor=writer(request), ticket_id=ticket_id, reason=payload.text)
    return _ticket(request, ticket_id)


@router.post("/tickets/{ticket_id}/watchers", response=TicketOut)
def watch(request: HttpRequest, ticket_id: int, payload: WatcherIn) -> Ticket:
    services.ticket_set_watcher(
        actor=writer(request),
        ticket_id=ticket_id,
        user_id=payload.user_id,
        watching=payload.watching,
    )
    return _ticket(request, ticket_id)


@router.post("/tickets/{ticket_id}/parent", response=TicketOut)
def set_parent(request: HttpRequest, ticket_id: int, payload: ParentIn) -> Ticket:
    services.ticket_set_parent(
        actor=writer(request), ticket_id=ticket_id, parent_id=payload.parent_id
    )
    return _ticket(request, ticket_id)


@router.put("/tickets/{ticket_id}/tags", response=list[str])
def set_tags(request: HttpRequest, ticket_id: int, payload: TagsIn) -> list[str]:
    return services.ticket_set_tags(actor=writer(request), ticket_id=ticket_id, tags=payload.tags)


@router.get("/tickets/{ticket_id}/proposals", response=list[ProposalOut])
def list_proposals(request: HttpRequest, ticket_id: int) -> list[ChangeProposal]:
    return list(selectors.proposal_list(ticket=_ticket(request, ticket_id)))


@router.post("/tickets/{ticket_id}/proposals", response={201: ProposalOut})
def propose(request: HttpRequest, ticket_id: int, payload: ProposalIn) -> Status[ChangeProposal]:
    proposal = services.ticket_propose_change(
        actor=writer(request),
        ticket_id=ticket_id,
        change=services.ChangeRequest(**payload.model_dump()),
    )
    return Status(201, proposal)


@router.post("/tickets/{ticket_id}/proposals/accept", response=ProposalOut)
def accept_proposal(request: HttpRequest, ticket_id: int, payload: DecisionIn) -> ChangeProposal:
    return services.proposal_decide(
        actor=writer(request), ticket_id=ticket_id, accept=True, comment=payload.comment
    )


@router.post("/tickets/{ticket_id}/proposals/reject", response=ProposalOut)
def reject_proposal(request: HttpRequest, ticket_id: int, payload: DecisionIn) -> ChangeProposal:
    return services.proposal_decide(
        actor=writer(request), ticket_id=ticket_id, accept=False, comment=payload.comment
    )


@router.get("/tickets/{ticket_id}/comments", response=list[CommentOut])
def list_comments(request: HttpRequest, ticket_id: int) -> list[Comment]:
    user = actor(request)
    return list(selectors.comment_list_visible(user=user, ticket=_ticket(request, ticket_id)))


@router.post("/tickets/{ticket_id}/comments", response={201: CommentOut})
def create_comment(request: HttpRequest, ticket_id: int, payload: CommentIn) -> Status[Comment]:
    comment = services.ticket_comment(
        actor=writer(request), ticket_id=ticket_id, body=payload.body, internal=payload.internal
    )
    return Status(201, comment)


@router.get("/tickets/{ticket_id}/events", response=list[EventOut])
def list_events(request: HttpRequest, ticket_id: int) -> list[TicketEvent]:
    user = actor(request)
    return list(selectors.event_list_visible(user=user, ticket=_ticket(request, ticket_id)))


@router.get("/tickets/{ticket_id}/sla-events", response=list[SlaEventOut])
def list_sla_events(request: HttpRequest, ticket_id: int) -> list[SlaEvent]:
    return list(sla_events_of(ticket=_ticket(request, ticket_id)))


@router.get("/tickets/{ticket_id}/attachments", response=list[AttachmentOut])
def list_attachments(request: HttpRequest, ticket_id: int) -> list[Attachment]:
    user = actor(request)
    return list(selectors.attachment_list_visible(user=user, ticket=_ticket(request, ticket_id)))


@router.post("/tickets/{ticket_id}/attachments", response={201: list[AttachmentOut]})
def upload_attachments(
    request: HttpRequest,
    ticket_id: int,
    files: list[UploadedFile] = File(..., min_length=1),  # noqa: B008  # ninja's parameter
) -> Status[list[Attachment]]:
    uploads = [services.Upload.read(f) for f in files]
    return Status(
        201, services.ticket_attach(actor=writer(request), ticket_id=ticket_id, uploads=uploads)
    )


@router.get("/attachments/{attachment_id}/content")
def download_attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    attachment = selectors.attachment_get_visible(user=actor(request), attachment_id=attachment_id)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
