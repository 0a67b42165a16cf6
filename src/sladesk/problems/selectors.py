"""Reading problems. The support team sees them all; a customer sees only what a problem
tells the incidents of their own organisation (its number, title, status, workaround and
fix), through a ticket they may see."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from sladesk.accounts.models import User
from sladesk.core import clock
from sladesk.core.errors import NotFound, PermissionDenied
from sladesk.problems import recurrence
from sladesk.problems.choices import ProblemStatus
from sladesk.problems.models import Problem, ProblemEvent
from sladesk.tickets.choices import TicketStatus
from sladesk.tickets.models import Ticket
from sladesk.tickets.selectors import ticket_visible_queryset

CANDIDATE_TICKETS = 5000


def problem_list(*, user: User, status: str = "", text: str = "") -> QuerySet[Problem]:
    """Problems, newest first, with how many incidents each has (the support team only)."""
    if not user.is_vendor_staff:
        raise PermissionDenied(_("Only the support team sees problems."))
    problems = Problem.objects.select_related("owner", "service").annotate(
        incident_count=Count("links")
    )
    if status:  # one that is none of the statuses finds nothing
        problems = (
            problems.filter(status=status) if status in ProblemStatus.values else problems.none()
        )
    if text:
        problems = problems.filter(Q(number__icontains=text) | Q(title__icontains=text))
    return problems.order_by("-registered_at", "-id")


def problem_get(*, user: User, problem_id: int) -> Problem:
    """One problem for the support team; for anyone else it does not exist."""
    problem = (
        problem_list(user=user).filter(pk=problem_id).first() if user.is_vendor_staff else None
    )
    if problem is None:
        raise NotFound(_("No such problem."))
    return problem


def problem_incidents(*, user: User, problem: Problem) -> QuerySet[Ticket]:
    """The incidents of a problem `problem_get` gave."""
    return ticket_visible_queryset(user=user).filter(problem_links__problem=problem)


def problem_events(*, problem: Problem) -> QuerySet[ProblemEvent]:
    return problem.events.select_related("actor").order_by("created_at", "id")


def problem_history(*, problem: Problem) -> list[tuple[ProblemEvent, str]]:
    """Each event with what it changed, in the reader's words: the field's name, the
    statuses' labels, the incident's number (one query for all the numbers)."""
    events = list(problem_events(problem=problem))
    ticket_ids = {event.data.get("ticket_id") for event in events} - {None}
    numbers = dict(Ticket.objects.filter(pk__in=ticket_ids).values_list("pk", "number"))
    labels = dict(ProblemStatus.choices)
    lines = []
    for event in events:
        if event.field == "status":
            before, after = str(event.before), str(event.after)
            what = f"{labels.get(before, before)} → {labels.get(after, after)}"
            if event.data.get("text"):
                what += f": {event.data['text']}"
        elif event.field:
            field = Problem._meta.get_field(event.field.removesuffix("_id"))
            what = str(getattr(field, "verbose_name", event.field))
        else:
            what = numbers.get(event.data.get("ticket_id"), "")
        lines.append((event, what))
    return lines


def problems_of_ticket(*, user: User, ticket_id: int) -> QuerySet[Problem]:
    """The problems behind a ticket `user` may see (NotFound otherwise)."""
    if not ticket_visible_queryset(user=user).filter(pk=ticket_id).exists():
        raise NotFound(_("No such ticket."))
    return problems_of_visible_ticket(ticket_id=ticket_id)


def problems_of_visible_ticket(*, ticket_id: int) -> QuerySet[Problem]:
    """The problems behind a ticket that a visibility-scoped selector gave."""
    return Problem.objects.filter(links__ticket_id=ticket_id).order_by("registered_at", "id")


def problem_candidates(
    *, user: User, days: int = 30, at_least: int = 3
) -> list[tuple[recurrence.Recurrence, list[Ticket]]]:
    """Recurring incidents of the last `days` that no problem covers, with their tickets
    (of the latest `CANDIDATE_TICKETS` registered: a window a busy desk fills sooner)."""
    if not user.is_vendor_staff:
        raise PermissionDenied(_("Only the support team sees problems."))
    within = dt.timedelta(days=days)
    rows = (
        Ticket.objects.filter(registered_at__gte=clock.now() - within, problem_links__isnull=True)
        .exclude(status=TicketStatus.CANCELLED)  # withdrawn: no incident at all
        .values_list(
            "pk", "organisation_id", "service_id", "ticket_class_id", "title", "registered_at"
        )
        .order_by("-registered_at", "-pk")[:CANDIDATE_TICKETS]
    )
    groups = recurrence.recurrences(
        (recurrence.Incident(*row) for row in rows), at_least=at_least, within=within
    )
    tickets = Ticket.objects.in_bulk([pk for group in groups for pk in group.ticket_ids])
    return [(group, [tickets[pk] for pk in group.ticket_ids]) for group in groups]
