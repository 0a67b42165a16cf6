"""Reads about tickets. Every function an interface calls takes the acting user and scopes
by them here, so a customer can never reach another organisation's data (invariant 1)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from sladesk.accounts.choices import VENDOR_ROLES, BlockReason, Role
from sladesk.accounts.models import Organisation, Service, SupportLine, User
from sladesk.accounts.selectors import contract_covering, organisation_block_reason
from sladesk.core.errors import DomainError, NotFound, PermissionDenied
from sladesk.tickets.choices import OPEN_STATUSES, CommentKind, EventKind, TicketStatus
from sladesk.tickets.models import (
    Attachment,
    ChangeProposal,
    Comment,
    ExternalCase,
    Severity,
    Ticket,
    TicketClass,
    TicketEvent,
)
from sladesk.tickets.replay import replay


def ticket_visibility_of(user: User) -> tuple[object, ...]:
    """Everything of `user` that `ticket_visible_queryset` reads: two users equal here see
    the same tickets through the same SQL (a cache of that SQL is keyed by it)."""
    return (user.pk, user.is_active, user.blocked_reason, user.role, user.organisation_id)


def ticket_visible_queryset(*, user: User) -> QuerySet[Ticket]:
    """Tickets `user` may know exist: vendor staff all; a specialist their organisation's;
    an end user those they requested or watch (within their organisation). What it reads
    of `user` is listed in `ticket_visibility_of`."""
    tickets = Ticket.objects.all()
    if not user.is_active or user.blocked_reason == BlockReason.DISABLED:
        return tickets.none()
    if user.is_vendor_staff:
        return tickets
    # The contracts as they are now, as for signing in (not what the daily job last wrote).
    if organisation_block_reason(organisation_id=user.organisation_id) != BlockReason.NONE:
        return tickets.none()
    tickets = tickets.filter(organisation_id=user.organisation_id)
    if user.role == Role.SPECIALIST:
        return tickets
    watching = Ticket.watchers.through.objects.filter(ticket_id=OuterRef("pk"), user_id=user.pk)
    return tickets.filter(Q(requester=user) | Exists(watching))


def _joined(tickets: QuerySet[Ticket], related: Sequence[str]) -> QuerySet[Ticket]:
    # select_related() without names would follow every non-null foreign key.
    return tickets.select_related(*related) if related else tickets


DETAIL_RELATED = (
    "organisation",
    "contract",
    "requester",
    "service",
    "ticket_class",
    "severity",
    "line",
    "assignee",
    "parent",
)
LIST_RELATED = ("organisation", "service", "ticket_class", "line", "assignee", "requester")


def ticket_get_visible(
    *, user: User, ticket_id: int, related: Sequence[str] = DETAIL_RELATED
) -> Ticket:
    """`related`: the relations joined in (none when empty). Every join costs PostgreSQL
    planning time on each request (several milliseconds for all of them), so a caller that
    shows less joins less."""
    ticket = _joined(ticket_visible_queryset(user=user), related).filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(_("No such ticket."))
    return ticket


def ticket_ids_visible_by_number(*, user: User, numbers: Iterable[str]) -> dict[str, int]:
    """The ids of the tickets `user` may see among `numbers`, by number (unknown ones and
    those of others left out)."""
    visible = ticket_visible_queryset(user=user).filter(number__in=set(numbers))
    return dict(visible.values_list("number", "pk"))


def ticket_get_visible_by_number(*, user: User, number: str) -> Ticket:
    ticket_id = (
        ticket_visible_queryset(user=user)
        .filter(number=number)
        .values_list("pk", flat=True)
        .first()
    )
    if ticket_id is None:
        raise NotFound(_("No such ticket."))
    return ticket_get_visible(user=user, ticket_id=ticket_id)


@dataclass(frozen=True)
class TicketFilters:
    status: str = ""  # one status (see `statuses` for several)
    statuses: tuple[str, ...] = ()  # any of these; with `status`, both must hold
    organisation_id: int | None = None
    service_id: int | None = None
    line_id: int | None = None
    assignee_id: int | None = None
    ticket_class_id: int | None = None
    priority: str = ""
    sla_state: str = ""
    text: str = ""
    registered_from: dt.datetime | None = None
    registered_to: dt.datetime | None = None
    updated_from: dt.datetime | None = None
    updated_to: dt.datetime | None = None
    order: str = "deadline"  # "deadline" (next SLA deadline first) or "newest"


OPEN_FILTER = "open"  # every status that is not resolved, closed or cancelled


def statuses_of(text: str) -> tuple[str, ...]:
    """The statuses a filter names: one, several separated by commas, or "open".

    Raise DomainError (field "status") for anything else."""
    statuses: list[str] = []
    for part in (part.strip() for part in text.split(",")):
        if part == OPEN_FILTER:
            statuses.extend(OPEN_STATUSES)
        elif part in TicketStatus.values:
            statuses.append(part)
        elif part:
            raise DomainError(
                _("Unknown status %(status)r: give statuses separated by commas, or open.")
                % {"status": part[:40]},
                field="status",
            )
    return tuple(dict.fromkeys(statuses))


def ticket_list(
    *, user: User, filters: TicketFilters | None = None, related: Sequence[str] = LIST_RELATED
) -> QuerySet[Ticket]:
    """The visible tickets matching `filters`, with what a list row shows already joined
    (`related`: as for `ticket_get_visible`)."""
    tickets = _joined(ticket_visible_queryset(user=user), related)
    f = filters or TicketFilters()
    exact = {
        "status": f.status,
        "organisation_id": f.organisation_id,
        "service_id": f.service_id,
        "line_id": f.line_id,
        "assignee_id": f.assignee_id,
        "ticket_class_id": f.ticket_class_id,
        "priority": f.priority,
        "sla_state": f.sla_state,
        "registered_at__gte": f.registered_from,
        "registered_at__lt": f.registered_to,
        "updated_at__gte": f.updated_from,
        "updated_at__lt": f.updated_to,
    }
    tickets = tickets.filter(**{key: value for key, value in exact.items() if value})
    if f.statuses:
        tickets = tickets.filter(status__in=f.statuses)
    if f.text:
        tickets = tickets.filter(
            Q(number__icontains=f.text)
            | Q(title__icontains=f.text)
            | Q(description__icontains=f.text)
        )
    if f.order == "deadline":
        return tickets.order_by(F("sla_next_due_at").asc(nulls_last=True), "-registered_at", "-pk")
    return tickets.order_by("-registered_at", "-pk")


def comment_list_visible(*, user: User, ticket: Ticket) -> QuerySet[Comment]:
    """The ticket's conversation as `user` may read it: customers never see internal notes.

    `ticket` must come from a visibility-scoped selector."""
    comments = Comment.objects.filter(ticket=ticket).select_related("author")
    if not user.is_vendor_staff:
        comments = comments.exclude(kind=CommentKind.INTERNAL)
    return comments.prefetch_related("attachments")


def attachment_get_visible(*, user: User, attachment_id: int) -> Attachment:
    attachments = Attachment.objects.filter(
        pk=attachment_id, ticket__in=ticket_visible_queryset(user=user)
    )
    if not user.is_vendor_staff:
        attachments = attachments.exclude(comment__kind=CommentKind.INTERNAL)
    attachment = attachments.select_related("ticket").first()
    if attachment is None:
        raise NotFound(_("No such attachment."))
    return attachment


def attachment_list_visible(*, user: User, ticket: Ticket) -> QuerySet[Attachment]:
    attachments = Attachment.objects.filter(ticket=ticket)
    if not user.is_vendor_staff:
        attachments = attachments.exclude(comment__kind=CommentKind.INTERNAL)
    return attachments


# The support team's own business: raising a ticket to a lead, the external vendor's case.
VENDOR_ONLY_EVENTS = (
    EventKind.ATTENTION_RAISED,
    EventKind.ATTENTION_CLEARED,
    EventKind.EXTERNAL_CASE_OPENED,
    EventKind.EXTERNAL_CASE_UPDATED,
    EventKind.ARTICLE_LINKED,  # the article may be the support team's own
)


def event_list_visible(*, user: User, ticket: Ticket) -> QuerySet[TicketEvent]:
    """The ticket's history; customers do not see the events of internal notes."""
    events = TicketEvent.objects.filter(ticket=ticket).select_related("actor")
    if not user.is_vendor_staff:
        events = (
            events.exclude(kind=EventKind.COMMENTED, data__kind=CommentKind.INTERNAL)
            .exclude(kind=EventKind.ATTACHMENT_ADDED, data__internal=True)
            .exclude(kind__in=VENDOR_ONLY_EVENTS)
        )
    return events


def event_names(events: Iterable[TicketEvent]) -> dict[tuple[str, int], str]:
    """What the ids in history entries stand for, by (field, id): the assignee's and the
    requester's names, lines, classes, severities, services, parent numbers; one query a
    kind of record that the entries name."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.field.endswith("_id"):
            for value in (event.before, event.after):
                if isinstance(value, int):
                    wanted.setdefault(event.field, set()).add(value)
    people = wanted.get("assignee_id", set()) | wanted.get("requester_id", set())
    found: dict[tuple[str, int], str] = {}
    for record in User.objects.filter(pk__in=people) if people else ():
        found[("assignee_id", record.pk)] = found[("requester_id", record.pk)] = str(record)
    for field, model in (
        ("line_id", SupportLine),
        ("ticket_class_id", TicketClass),
        ("severity_id", Severity),
        ("service_id", Service),
        ("organisation_id", Organisation),
    ):
        if ids := wanted.get(field):
            found.update(((field, row.pk), str(row)) for row in model.objects.filter(pk__in=ids))
    if ids := wanted.get("parent_id"):
        rows = Ticket.objects.filter(pk__in=ids).values_list("pk", "number")
        found.update((("parent_id", pk), number) for pk, number in rows)
    return found


def external_cases_of(*, user: User, ticket: Ticket) -> QuerySet[ExternalCase]:
    """The external vendor's cases of a visible ticket: the support team's business
    (customers are told through the ticket's replies); PermissionDenied for others."""
    if not user.is_vendor_staff:
        raise PermissionDenied(_("Only the support team may do this."))
    return ExternalCase.objects.filter(ticket=ticket).order_by("opened_at", "id")


def proposal_pending(*, ticket: Ticket) -> ChangeProposal | None:
    return (
        ChangeProposal.objects.filter(ticket=ticket, status="pending")
        .select_related("ticket_class", "severity", "proposed_by")
        .first()
    )


def classes_for_organisation(*, organisation: Organisation) -> QuerySet[TicketClass]:
    """The classes of the organisation's current contract's scheme (none without a contract)."""
    contract = contract_covering(organisation=organisation)
    if contract is None:
        return TicketClass.objects.none()
    return TicketClass.objects.filter(scheme_id=contract.classification_scheme_id)


def ticket_state_from_events(*, ticket: Ticket) -> dict[str, Any]:
    """The ticket's tracked fields as its history says they are (see `replay`)."""
    events = TicketEvent.objects.filter(ticket=ticket).order_by("at", "id")
    return replay(events.values("kind", "field", "after"))


def proposal_list(*, ticket: Ticket) -> QuerySet[ChangeProposal]:
    """`ticket` must come from a visibility-scoped selector."""
    return ChangeProposal.objects.filter(ticket=ticket).order_by("-proposed_at", "-pk")


QUEUES = ("mine", "unassigned", "attention", "at_risk", "breached", "waiting", "open", "all")
TICKET_NUMBER = re.compile(r"[A-Za-z]+(?:-[A-Za-z0-9]+)*-\d{6,}")  # PREFIX-YEAR-NNNNNN


def ticket_queue(
    *,
    user: User,
    queue: str,
    filters: TicketFilters | None = None,
    related: Sequence[str] = LIST_RELATED,
) -> QuerySet[Ticket]:
    """An agent's work queue, with `filters` applied (see `ticket_list`):

    mine (open, assigned to `user`), unassigned (open, in one of `user`'s lines, nobody
    assigned), at_risk / breached (open, by cached SLA state), waiting (for the customer),
    attention (raised to `user` as a lead), open (every open ticket), all (everything
    `user` may see). A customer has only "all":
    their organisation's list."""
    text = filters.text.strip() if filters else ""
    if filters and TICKET_NUMBER.fullmatch(text):
        # A whole ticket number: the unique index finds it at once, where the planner
        # would walk the deadline order looking for a rare substring.
        filters = replace(filters, text="")
        tickets = ticket_list(user=user, filters=filters, related=related).filter(
            number=text.upper()
        )
    else:
        tickets = ticket_list(user=user, filters=filters, related=related)
    if not user.is_vendor_staff or queue not in QUEUES or queue == "all":
        return tickets
    if queue == "waiting":
        return tickets.filter(status=TicketStatus.WAITING_FOR_CUSTOMER)
    tickets = tickets.filter(status__in=OPEN_STATUSES)
    if queue == "open":
        return tickets
    if queue == "mine":
        return tickets.filter(assignee=user)
    if queue == "unassigned":
        return tickets.filter(assignee__isnull=True, line__in=user.support_lines.all())
    if queue == "attention":
        return tickets.filter(_attention_for(user))
    return tickets.filter(sla_state=queue)


def _attention_for(user: User) -> Q:
    """The raised tickets a person answers for: all for supervisors and administrators,
    those of the lines they lead for a line lead, none for other agents."""
    raised = Q(attention_at__isnull=False)
    if user.role in (Role.SUPERVISOR, Role.ADMINISTRATOR):
        return raised
    return raised & Q(line__in=user.led_lines.values("pk"))


def ticket_queue_counts(*, user: User) -> dict[str, int]:
    """How many tickets each of an agent's open queues holds, in one query."""
    if not user.is_vendor_staff:
        return {}
    # Over the open tickets only, counting a column that is never null: every column read is
    # in the partial index `ticket_open_queues`, so PostgreSQL counts from the index alone.
    return (
        ticket_visible_queryset(user=user)
        .filter(status__in=OPEN_STATUSES)
        .aggregate(
            mine=Count("status", filter=Q(assignee=user)),
            unassigned=Count(
                "status",
                filter=Q(assignee__isnull=True, line__in=user.support_lines.values("pk")),
            ),
            at_risk=Count("status", filter=Q(sla_state="at_risk")),
            breached=Count("status", filter=Q(sla_state="breached")),
            waiting=Count("status", filter=Q(status=TicketStatus.WAITING_FOR_CUSTOMER)),
            open=Count("status"),
            attention=Count("status", filter=_attention_for(user)),
        )
    )


def ticket_watchers(*, ticket: Ticket) -> QuerySet[User]:
    """`ticket` must come from a visibility-scoped selector."""
    return ticket.watchers.all().order_by("email")


def watcher_candidates(*, user: User, ticket: Ticket) -> QuerySet[User]:
    """Who `user` may add as a watcher: vendor staff add support staff and the ticket's
    organisation's people; a customer only themselves."""
    if not user.is_vendor_staff:
        return User.objects.filter(pk=user.pk)
    return User.objects.filter(
        Q(organisation_id=ticket.organisation_id) | Q(role__in=list(VENDOR_ROLES)),
        is_active=True,
    ).order_by("email")


def assignee_candidates(*, user: User, ticket: Ticket) -> QuerySet[User]:
    """Active members of the ticket's line (everyone on the support team without a line)."""
    if not user.is_vendor_staff:
        return User.objects.none()
    people = User.objects.filter(is_active=True, role__in=list(VENDOR_ROLES))
    if ticket.line_id is not None:
        people = people.filter(support_lines=ticket.line_id)
    return people.order_by("email")


def severities_for_classes(*, classes: QuerySet[TicketClass]) -> QuerySet[Severity]:
    return Severity.objects.filter(ticket_class__in=classes).select_related("ticket_class")


def ticket_children(*, user: User, ticket: Ticket) -> QuerySet[Ticket]:
    return ticket_visible_queryset(user=user).filter(parent=ticket).order_by("pk")


def classes_for_ticket(*, ticket: Ticket) -> QuerySet[TicketClass]:
    """The classes of the scheme of the ticket's contract (the current one's without it)."""
    if ticket.contract is not None:
        return TicketClass.objects.filter(scheme_id=ticket.contract.classification_scheme_id)
    return classes_for_organisation(organisation=ticket.organisation)


def support_staff() -> QuerySet[User]:
    """Active members of the support team (for bulk assignment; the service checks lines)."""
    return User.objects.filter(is_active=True, role__in=list(VENDOR_ROLES)).order_by("email")
