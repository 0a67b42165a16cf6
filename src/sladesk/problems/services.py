"""Problem management: register a problem, link the incidents it causes, and tell them
when its workaround is known and when it is fixed. Only the support team manages problems;
every change is a problem event, and linking is an event of the incident too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sladesk.accounts.models import Service, User
from sladesk.core import clock
from sladesk.core.errors import Conflict, DomainError, NotFound
from sladesk.problems import lifecycle
from sladesk.problems.choices import ProblemEventKind
from sladesk.problems.models import Problem, ProblemEvent, ProblemLink
from sladesk.tickets import lifecycle as ticket_lifecycle
from sladesk.tickets.choices import CommentKind, EventKind
from sladesk.tickets.models import Ticket
from sladesk.tickets.notes import Note
from sladesk.tickets.numbering import next_number_value
from sladesk.tickets.services import history
from sladesk.tickets.services.common import finish, lock_visible, require_vendor
from sladesk.tickets.services.conversation import add_comment

PREFIX = "PRB"
# What `problem_update` may change; the status and what its incidents are told (workaround,
# fix) change only through actions, which tell them.
EDITABLE = ("title", "description", "service_id", "owner_id", "root_cause")
TEXTS = ("title", "description", "root_cause")
# The moment a step is taken, kept on the problem.
STAMPED = {
    lifecycle.Action.KNOWN_ERROR: "known_error_at",
    lifecycle.Action.FIX: "fixed_at",
    lifecycle.Action.CLOSE: "closed_at",
}


@dataclass(frozen=True)
class ProblemRegistration:
    title: str
    description: str = ""
    service_id: int | None = None
    owner_id: int | None = None
    root_cause: str = ""


def _record(
    problem: Problem,
    actor: User,
    kind: str,
    *,
    field: str = "",
    before: Any = None,
    after: Any = None,
    data: dict[str, Any] | None = None,
) -> None:
    ProblemEvent.objects.create(
        problem=problem,
        actor=actor,
        kind=kind,
        field=field,
        before=before,
        after=after,
        data=data or {},
        created_at=clock.now(),
    )


def _checked(changes: dict[str, Any]) -> dict[str, Any]:
    """The changes, their references checked: a vendor's agent owns, a known service."""
    for field in TEXTS:
        if field in changes and changes[field] is None:
            raise DomainError(_("This field cannot be emptied with null."), field=field)
    if "title" in changes:
        changes["title"] = str(changes["title"]).strip()
        if not changes["title"]:
            raise DomainError(_("A title is required."), field="title")
    owner_id = changes.get("owner_id")
    if owner_id is not None:
        owner = User.objects.filter(pk=owner_id, is_active=True).first()
        if owner is None or not owner.is_vendor_staff:
            raise DomainError(_("The owner must be of the support team."), field="owner")
    service_id = changes.get("service_id")
    if service_id is not None and not Service.objects.filter(pk=service_id).exists():
        raise DomainError(_("Unknown service."), field="service")
    return changes


def _next_number(year: int) -> str:
    """`PRB-YEAR-NNNNNN`, issued as ticket numbers are; one already taken (a counter or
    sequence restored behind the data) is skipped, never issued twice."""
    while True:
        number = f"{PREFIX}-{year}-{next_number_value(PREFIX, year):06d}"
        if not Problem.objects.filter(number=number).exists():
            return number


def problem_register(
    *, actor: User, data: ProblemRegistration, ticket_ids: Sequence[int] = ()
) -> Problem:
    """Record a problem (the support team only), linked to the incidents it is known to
    cause already: all of it, or nothing when one of them cannot be linked."""
    require_vendor(actor)
    changes = _checked(asdict(data))
    now = clock.now()
    with transaction.atomic():
        problem = Problem.objects.create(
            number=_next_number(clock.desk_year()),
            registered_by=actor,
            registered_at=now,
            updated_at=now,
            **changes,
        )
        _record(problem, actor, ProblemEventKind.REGISTERED)
        for ticket_id in sorted(set(ticket_ids)):  # tickets are locked in id order, always
            problem_link(actor=actor, problem_id=problem.pk, ticket_id=ticket_id)
    return problem


def _locked(problem_id: int) -> Problem:
    problem = Problem.objects.select_for_update().filter(pk=problem_id).first()
    if problem is None:
        raise NotFound(_("No such problem."))
    return problem


def problem_update(*, actor: User, problem_id: int, changes: dict[str, Any]) -> Problem:
    """Change what the problem says of itself (`EDITABLE`); each change is an event."""
    require_vendor(actor)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        fields = ", ".join(sorted(unknown))
        raise DomainError(_("These fields cannot be changed: %(fields)s") % {"fields": fields})
    changes = _checked(dict(changes))
    with transaction.atomic():
        problem = _locked(problem_id)
        for field, value in changes.items():
            before = getattr(problem, field)
            if before == value:
                continue
            setattr(problem, field, value)
            kind = ProblemEventKind.FIELD_CHANGED
            _record(problem, actor, kind, field=field, before=before, after=value)
        problem.updated_at = clock.now()
        problem.save()
    return problem


def _tell(ticket: Ticket, note: Note) -> None:
    """A public reply of the desk on a locked ticket: its people are told (mail, webhooks),
    and, being nobody's, it is no vendor response for the SLA."""
    add_comment(ticket, None, CommentKind.PUBLIC, note=note)


def _tell_incidents(problem: Problem, note: Note) -> None:
    """Tell every open incident of the problem, locked in id order (as everywhere)."""
    ticket_ids = problem.links.values_list("ticket_id", flat=True)
    for ticket in (
        Ticket.objects.select_for_update()
        .filter(pk__in=ticket_ids, status__in=ticket_lifecycle.OPEN_STATUSES)
        .order_by("pk")
    ):
        _tell(ticket, note)
        finish(ticket, None)


def _news(problem: Problem) -> Note | None:
    """What the problem's incidents are told of it as it stands: its workaround while it is
    a known error, its fix once fixed; nothing otherwise."""
    if problem.status == lifecycle.Status.KNOWN_ERROR:
        return Note(
            "workaround_known", {"number": problem.number, "workaround": problem.workaround}
        )
    if problem.status == lifecycle.Status.FIXED:
        if problem.release is not None:
            return Note(
                "cause_fixed_in",
                {"number": problem.number, "fix": problem.fix, "version": problem.release.version},
            )
        return Note("cause_fixed", {"number": problem.number, "fix": problem.fix})
    return None


def problem_act(*, actor: User, problem_id: int, action: str, text: str = "") -> Problem:
    """Move the problem on (`lifecycle.Action`). A known error needs its workaround, a fix
    its description and a closing its note; the open incidents are told of the first two."""
    require_vendor(actor)
    try:
        step = lifecycle.Action(action)
    except ValueError:
        raise DomainError(_("Unknown action."), field="action") from None
    field = lifecycle.TEXT_OF[step]
    text = text.strip()
    if field and not text:
        raise DomainError(_("Say what was found or done."), field="text")
    with transaction.atomic():
        problem = _locked(problem_id)
        try:
            target = lifecycle.next_status(problem.status, step)
        except lifecycle.IllegalTransition as error:
            raise Conflict(
                _("This action is not possible while the problem is %(status)s.")
                % {"status": problem.get_status_display()}
            ) from error
        now = clock.now()
        _record(
            problem,
            actor,
            ProblemEventKind.STATUS_CHANGED,
            field="status",
            before=problem.status,
            after=target.value,
            data={"action": step.value, "text": text},
        )
        problem.status = target
        if field:
            setattr(problem, field, text)
        if step in STAMPED:
            setattr(problem, STAMPED[step], now)
        elif step == lifecycle.Action.REOPEN:
            # The fix did not hold: it is no longer what the incidents are shown (the
            # events keep it).
            problem.fixed_at = problem.closed_at = None
            problem.fix = problem.closing_note = ""
        problem.updated_at = now
        problem.save()
        news = _news(problem)  # a known error or a fix: what only these steps reach
        if news:
            _tell_incidents(problem, news)
        if step == lifecycle.Action.FIX:
            from sladesk.knowledge.services import articles_flag_for_review

            articles_flag_for_review(problem=problem)
    return problem


def problem_link(*, actor: User, problem_id: int, ticket_id: int) -> ProblemLink:
    """Record that the problem causes the incident; an open incident linked to a known
    error is told its workaround at once, one linked to a fixed problem the fix. A closed
    problem takes no incidents (reopen it)."""
    require_vendor(actor)
    with transaction.atomic():
        problem = _locked(problem_id)
        if problem.status == lifecycle.Status.CLOSED:
            raise Conflict(_("The problem is closed: reopen it first."))
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        try:
            with transaction.atomic():
                link = ProblemLink.objects.create(
                    problem=problem, ticket=ticket, linked_by=actor, linked_at=clock.now()
                )
        except IntegrityError:
            raise Conflict(_("The incident is linked to this problem already.")) from None
        _record(problem, actor, ProblemEventKind.INCIDENT_LINKED, data={"ticket_id": ticket.pk})
        history.record(ticket, actor, EventKind.PROBLEM_LINKED, data={"problem_id": problem.pk})
        news = _news(problem)
        if news and ticket.status in ticket_lifecycle.OPEN_STATUSES:
            _tell(ticket, news)
        finish(ticket, actor)
    return link


def problem_unlink(*, actor: User, problem_id: int, ticket_id: int) -> None:
    """The incident turned out not to be the problem's."""
    require_vendor(actor)
    with transaction.atomic():
        problem = _locked(problem_id)
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        deleted, _by_model = ProblemLink.objects.filter(problem=problem, ticket=ticket).delete()
        if not deleted:
            raise NotFound(_("The incident is not linked to this problem."))
        _record(problem, actor, ProblemEventKind.INCIDENT_UNLINKED, data={"ticket_id": ticket.pk})
        history.record(ticket, actor, EventKind.PROBLEM_UNLINKED, data={"problem_id": problem.pk})
        finish(ticket, actor)
