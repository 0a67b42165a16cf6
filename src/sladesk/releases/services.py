"""Releases: plan a version of a service to a date, let it carry tickets, move its date,
ship it. Only the support team manages releases. Every change a ticket feels (planned
into a release, taken out, a new date, the shipping) is an event of the ticket, which its
participants hear of; when a release ships, each open ticket it carries is told so in the
desk's own words (in the reader's language, no SLA response) and resolved if the release
says so."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sladesk.accounts.models import Service, User
from sladesk.core import clock
from sladesk.core.errors import Conflict, DomainError, NotFound
from sladesk.problems.models import Problem
from sladesk.releases.choices import (
    FINAL_STATUSES,
    REQUEST_CLASS_CODES,
    SETTABLE_STATUSES,
    ReleaseStatus,
    RequestPath,
)
from sladesk.releases.models import Release, RequestPlan
from sladesk.tickets import lifecycle
from sladesk.tickets.choices import CommentKind, EventKind
from sladesk.tickets.models import Attachment, Ticket
from sladesk.tickets.notes import Note
from sladesk.tickets.services import history
from sladesk.tickets.services.common import (
    finish,
    lock_visible,
    require_open,
    require_vendor,
    transition,
)
from sladesk.tickets.services.conversation import add_comment

MAX_VERSION = 50
MAX_NAME = 200
MAX_NOTES = 20_000  # characters per language
EDITABLE = ("version", "name", "planned_on", "notes", "status", "resolve_on_ship")
# What a shipped or cancelled release may still change.
AFTER_THE_END = frozenset({"name", "notes"})


@dataclass(frozen=True)
class ReleaseDraft:
    service_id: int
    version: str
    planned_on: dt.date
    name: str = ""
    notes: dict[str, str] | str = field(default_factory=dict)
    organisation_id: int | None = None
    resolve_on_ship: bool = False


def _today() -> dt.date:
    return timezone.localtime(clock.now(), timezone.get_default_timezone()).date()


def _version(value: Any) -> str:
    version = str(value or "").strip()
    if not version:
        raise DomainError(_("Give the release its version."), field="version")
    if len(version) > MAX_VERSION:
        raise DomainError(
            _("A version has at most %(count)d characters.") % {"count": MAX_VERSION},
            field="version",
        )
    return version


def _name(value: Any) -> str:
    name = str(value or "").strip()
    if len(name) > MAX_NAME:
        raise DomainError(
            _("A name has at most %(count)d characters.") % {"count": MAX_NAME}, field="name"
        )
    return name


def _planned_on(value: Any) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise DomainError(_("Give the planned date as YYYY-MM-DD."), field="planned_on")
    if value < _today():
        raise DomainError(_("The planned date is in the past."), field="planned_on")
    return value


def _notes(value: Any, actor: User) -> dict[str, str]:
    """Notes per language; a text alone is in the actor's language."""
    if isinstance(value, str):
        value = {actor.language or settings.LANGUAGE_CODE: value} if value.strip() else {}
    if not isinstance(value, dict):
        raise DomainError(_("Give the notes as a text or per language."), field="notes")
    languages = dict(settings.LANGUAGES)
    notes: dict[str, str] = {}
    for code, text in value.items():
        if code not in languages:
            raise DomainError(
                _("Unknown language: %(code)s.") % {"code": str(code)[:10]}, field="notes"
            )
        if not isinstance(text, str):
            raise DomainError(_("Give the notes as a text or per language."), field="notes")
        if len(text) > MAX_NOTES:
            raise DomainError(
                _("Release notes have at most %(count)d characters.") % {"count": MAX_NOTES},
                field="notes",
            )
        if text.strip():
            notes[code] = text.replace("\x00", "")
    return notes


def _service(service_id: Any) -> Service:
    service = Service.objects.filter(pk=service_id).select_related("organisation").first()
    if service is None:
        raise DomainError(_("No such service."), field="service_id")
    return service


def _record_on_tickets(release: Release, actor: User, kind: str, **data: Any) -> None:
    """An event on every ticket the release carries (locked in id order, as everywhere)."""
    for ticket in Ticket.objects.select_for_update().filter(release=release).order_by("pk"):
        history.record(ticket, actor, kind, data={"release_id": release.pk, **data})
        finish(ticket, actor)


def release_create(*, actor: User, draft: ReleaseDraft) -> Release:
    """A planned release. One for an organisation is a personal delivery: that organisation
    must be the service's own."""
    require_vendor(actor)
    service = _service(draft.service_id)
    if draft.organisation_id is not None and draft.organisation_id != service.organisation_id:
        raise DomainError(
            _("A personal delivery goes to the organisation of the service."),
            field="organisation_id",
        )
    now = clock.now()
    release = Release(
        service=service,
        organisation_id=draft.organisation_id,
        version=_version(draft.version),
        name=_name(draft.name),
        planned_on=_planned_on(draft.planned_on),
        notes=_notes(draft.notes, actor),
        resolve_on_ship=bool(draft.resolve_on_ship),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    try:
        with transaction.atomic():
            release.save()
            _webhooks(release)
    except IntegrityError:
        raise Conflict(_("The service has a release of this version already.")) from None
    return release


def _locked(release_id: int) -> Release:
    release = Release.objects.select_for_update().filter(pk=release_id).first()
    if release is None:
        raise NotFound(_("No such release."))
    return release


def release_update(*, actor: User, release_id: int, changes: dict[str, Any]) -> Release:
    """Change what `EDITABLE` names. A new date is an event of every ticket it carries; a
    cancelled release lets its tickets go (they are "not planned yet" again)."""
    require_vendor(actor)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise DomainError(_("This field cannot be changed here."), field=sorted(unknown)[0])
    try:
        with transaction.atomic():
            release = _locked(release_id)
            _apply(release, actor, changes)
    except IntegrityError:
        raise Conflict(_("The service has a release of this version already.")) from None
    return release


def _apply(release: Release, actor: User, changes: dict[str, Any]) -> None:
    if release.status in FINAL_STATUSES and set(changes) - AFTER_THE_END:
        raise Conflict(
            _("The release is %(status)s: only its name and notes may change.")
            % {"status": release.get_status_display()}
        )
    values: dict[str, Any] = {}
    if "version" in changes:
        values["version"] = _version(changes["version"])
    if "name" in changes:
        values["name"] = _name(changes["name"])
    if "notes" in changes:
        values["notes"] = _notes(changes["notes"], actor)
    if "resolve_on_ship" in changes:
        values["resolve_on_ship"] = bool(changes["resolve_on_ship"])
    if "planned_on" in changes and changes["planned_on"] != release.planned_on:
        values["planned_on"] = _planned_on(changes["planned_on"])
    if "status" in changes and changes["status"] != release.status:
        if changes["status"] not in SETTABLE_STATUSES:
            raise DomainError(_("Unknown status, or one only shipping sets."), field="status")
        values["status"] = changes["status"]
    if not values:
        return
    before = release.planned_on
    for name, value in values.items():
        setattr(release, name, value)
    release.updated_at = clock.now()
    release.save()
    if "planned_on" in values:
        _record_on_tickets(
            release,
            actor,
            EventKind.RELEASE_DATE_CHANGED,
            version=release.version,
            before=before.isoformat(),
            after=release.planned_on.isoformat(),
        )
    if values.get("status") == ReleaseStatus.CANCELLED:
        for ticket in Ticket.objects.select_for_update().filter(release=release).order_by("pk"):
            _unplan(ticket, actor, release)
    _webhooks(release)


def _plan_data(release: Release) -> dict[str, Any]:
    return {
        "release_id": release.pk,
        "version": release.version,
        "planned_on": release.planned_on.isoformat(),
    }


def _unplan(ticket: Ticket, actor: User, release: Release) -> None:
    history.change(
        ticket,
        actor,
        "release_id",
        None,
        kind=EventKind.RELEASE_UNPLANNED,
        data=_plan_data(release),
    )
    finish(ticket, actor)


def release_add_ticket(*, actor: User, release_id: int, ticket_id: int) -> Ticket:
    """Plan the ticket into the release (out of the one it was in, if any): a ticket of the
    release's service, still open, into a release not shipped or cancelled."""
    require_vendor(actor)
    with transaction.atomic():
        release = _locked(release_id)
        if release.status in FINAL_STATUSES:
            raise Conflict(
                _("The release is %(status)s: it takes no more tickets.")
                % {"status": release.get_status_display()}
            )
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        if ticket.service_id != release.service_id:
            raise DomainError(
                _("The ticket is not about the release's service."), field="ticket_id"
            )
        if ticket.status not in lifecycle.OPEN_STATUSES:
            raise Conflict(_("The ticket is no longer open."))
        if ticket.release_id == release.pk:
            raise Conflict(_("The release carries this ticket already."))
        if RequestPlan.objects.filter(ticket=ticket, path=RequestPath.AGREEMENT).exists():
            raise Conflict(
                _(
                    "The request is under a separate agreement, not on the product's roadmap: "
                    "choose the roadmap for it first."
                )
            )
        history.change(
            ticket,
            actor,
            "release_id",
            release.pk,
            kind=EventKind.RELEASE_PLANNED,
            data=_plan_data(release),
        )
        finish(ticket, actor)
    return ticket


def release_remove_ticket(*, actor: User, release_id: int, ticket_id: int) -> Ticket:
    """Take the ticket out of the release: it is "not planned yet" again."""
    require_vendor(actor)
    with transaction.atomic():
        release = _locked(release_id)
        if release.status == ReleaseStatus.RELEASED:
            raise Conflict(_("The release has shipped: what it carried stays in it."))
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        if ticket.release_id != release.pk:
            raise NotFound(_("The release does not carry this ticket."))
        _unplan(ticket, actor, release)
    return ticket


def release_ship(*, actor: User, release_id: int) -> Release:
    """The release is out: each ticket it carries records it, each open one is told in the
    desk's words and, if the release says so, resolved."""
    require_vendor(actor)
    with transaction.atomic():
        release = _locked(release_id)
        if release.status == ReleaseStatus.RELEASED:
            raise Conflict(_("The release has shipped already."))
        if release.status == ReleaseStatus.CANCELLED:
            raise Conflict(_("The release is cancelled: it cannot ship."))
        now = clock.now()
        release.status = ReleaseStatus.RELEASED
        release.shipped_at = release.updated_at = now
        release.save()
        note = Note(
            "release_shipped", {"version": release.version, "service": release.service.name}
        )
        for ticket in Ticket.objects.select_for_update().filter(release=release).order_by("pk"):
            history.record(ticket, actor, EventKind.RELEASE_SHIPPED, data=_plan_data(release))
            if ticket.status in lifecycle.OPEN_STATUSES:
                # Nobody's words: the desk's, which count as no response for the SLA.
                add_comment(ticket, None, CommentKind.PUBLIC, note=note)
                if release.resolve_on_ship:
                    transition(ticket, actor, lifecycle.Action.RESOLVE)
                    history.change(ticket, actor, "resolved_at", now)
            finish(ticket, actor)
        _webhooks(release, shipped=True)
    return release


def _webhooks(release: Release, *, shipped: bool = False) -> None:
    from sladesk.webhooks.services import webhooks_for_release

    webhooks_for_release(release, shipped=shipped)


def release_plan_problem(*, actor: User, release_id: int, problem_id: int) -> Problem:
    """Name the release whose version carries the problem's fix: the fix noted on its
    incidents then names the version."""
    require_vendor(actor)
    with transaction.atomic():
        problem = Problem.objects.select_for_update().filter(pk=problem_id).first()
        if problem is None:
            raise NotFound(_("No such problem."))
        release = _locked(release_id)
        if release.status == ReleaseStatus.CANCELLED:
            raise Conflict(_("The release is cancelled: it carries nothing."))
        if problem.service_id is not None and problem.service_id != release.service_id:
            raise DomainError(
                _("The problem is not about the release's service."), field="problem_id"
            )
        problem.release = release
        problem.updated_at = clock.now()
        problem.save(update_fields=["release", "updated_at"])
    return problem


# --- requests for new functionality: the roadmap or a separate agreement ------------------

MAX_AGREEMENT_REFERENCE = 100


def is_request(ticket: Ticket) -> bool:
    """Whether the ticket is a request for new functionality (a class of
    `REQUEST_CLASS_CODES`)."""
    return ticket.ticket_class is not None and ticket.ticket_class.code in REQUEST_CLASS_CODES


def _require_request(ticket: Ticket, field: str = "ticket_id") -> None:
    if not is_request(ticket):
        raise DomainError(
            _("%(number)s is not a request for new functionality.") % {"number": ticket.number},
            field=field,
        )


def _date(value: Any, field: str) -> dt.date | None:
    if value is None:
        return None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise DomainError(_("Give the date as YYYY-MM-DD."), field=field)
    return value


def _specification(ticket: Ticket, specification_id: Any) -> Attachment | None:
    """A file of this ticket that its customer sees (none of an internal note)."""
    if specification_id is None:
        return None
    specification = (
        Attachment.objects.filter(pk=specification_id, ticket=ticket)
        .exclude(comment__kind=CommentKind.INTERNAL)
        .first()
        if isinstance(specification_id, int)
        else None
    )
    if specification is None:
        raise DomainError(
            _("The specification must be a file of this ticket its customer sees."),
            field="specification_id",
        )
    return specification


def _locked_plan(ticket: Ticket, actor: User) -> RequestPlan:
    plan = RequestPlan.objects.select_for_update().filter(ticket=ticket).first()
    return plan or RequestPlan(ticket=ticket, updated_by=actor)


def request_choose_path(
    *,
    actor: User,
    ticket_id: int,
    path: str,
    reference: str = "",
    starts_on: dt.date | None = None,
    due_on: dt.date | None = None,
    specification_id: int | None = None,
) -> RequestPlan:
    """Put an open request on the product's roadmap or under a separate agreement (its
    reference, the agreed dates, the specification among the ticket's files). An agreement
    takes the ticket out of its release (RELEASE_UNPLANNED); the roadmap forgets the
    agreement. Every change is a REQUEST_PATH_CHOSEN event; choosing what is chosen
    already records nothing. Support team only; the ticket is locked."""
    require_vendor(actor)
    if path not in RequestPath.values:
        raise DomainError(_("Choose the roadmap or a separate agreement."), field="path")
    reference = str(reference or "").strip()
    starts_on = _date(starts_on, "starts_on")
    due_on = _date(due_on, "due_on")
    if path == RequestPath.ROADMAP:
        reference, starts_on, due_on, specification_id = "", None, None, None
    else:
        if not reference:
            raise DomainError(_("Give the agreement's reference."), field="reference")
        if len(reference) > MAX_AGREEMENT_REFERENCE:
            raise DomainError(
                _("A reference has at most %(count)d characters.")
                % {"count": MAX_AGREEMENT_REFERENCE},
                field="reference",
            )
        if starts_on and due_on and due_on < starts_on:
            raise DomainError(_("The due date is before the start."), field="due_on")
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        _require_request(ticket)
        require_open(ticket)
        specification = _specification(ticket, specification_id)
        plan = _locked_plan(ticket, actor)
        before = plan.path
        values = {
            "path": path,
            "agreement_reference": reference,
            "agreement_starts_on": starts_on,
            "agreement_due_on": due_on,
            "specification_id": specification.pk if specification else None,
        }
        if not plan._state.adding and all(
            getattr(plan, name) == value for name, value in values.items()
        ):
            return plan
        release = None
        if path == RequestPath.AGREEMENT and ticket.release_id is not None:
            release = Release.objects.select_for_update().get(pk=ticket.release_id)
            if release.status == ReleaseStatus.RELEASED:
                raise Conflict(
                    _("The request shipped in release %(version)s already.")
                    % {"version": release.version}
                )
        for name, value in values.items():
            setattr(plan, name, value)
        plan.updated_by = actor
        plan.updated_at = clock.now()
        plan.save()
        history.record(
            ticket,
            actor,
            EventKind.REQUEST_PATH_CHOSEN,
            data={
                "path": path,
                "before": before,
                "reference": reference,
                "starts_on": starts_on.isoformat() if starts_on else None,
                "due_on": due_on.isoformat() if due_on else None,
                "specification_id": specification.pk if specification else None,
                "specification": specification.filename if specification else "",
            },
        )
        if release is not None:
            _unplan(ticket, actor, release)  # saves and finishes the ticket
        else:
            finish(ticket, actor)
    return plan


def request_link(*, actor: User, ticket_id: int, same_as_id: int | None) -> RequestPlan:
    """Say the request is the same as another's (registered by another organisation, say):
    it joins that one's group, whose first request is the one the other is linked to, if
    any, so groups stay one level deep. None takes the link away. A REQUEST_LINKED event
    on the ticket. Support team only; both tickets are locked (in id order)."""
    require_vendor(actor)
    if same_as_id is not None and same_as_id == ticket_id:
        raise DomainError(_("A request is not the same as itself."), field="same_as_id")
    with transaction.atomic():
        ids = sorted({ticket_id} | ({same_as_id} if same_as_id is not None else set()))
        locked: dict[int, Ticket] = {}
        for pk in ids:
            try:
                locked[pk] = lock_visible(actor=actor, ticket_id=pk)
            except NotFound:
                if pk == ticket_id:
                    raise
                raise DomainError(_("No such ticket."), field="same_as_id") from None
        ticket = locked[ticket_id]
        _require_request(ticket)
        plan = _locked_plan(ticket, actor)
        before = plan.same_as_id
        first: Ticket | None = None
        if same_as_id is not None:
            other = locked[same_as_id]
            _require_request(other, field="same_as_id")
            first_id = (
                RequestPlan.objects.filter(ticket=other)
                .values_list("same_as_id", flat=True)
                .first()
            ) or other.pk
            if first_id == ticket.pk:
                raise Conflict(_("That request is linked to this one already."))
            if RequestPlan.objects.filter(same_as=ticket).exists():
                raise Conflict(
                    _(
                        "Other requests are linked to this one: link that request to this "
                        "one instead."
                    )
                )
            first = other if first_id == other.pk else Ticket.objects.get(pk=first_id)
        if before == (first.pk if first else None):
            if first is None:
                raise Conflict(_("The request is linked to no other."))
            raise Conflict(
                _("The request is linked to %(number)s already.") % {"number": first.number}
            )
        plan.same_as = first
        plan.updated_by = actor
        plan.updated_at = clock.now()
        plan.save()
        history.record(
            ticket,
            actor,
            EventKind.REQUEST_LINKED,
            data={
                "same_as_id": first.pk if first else None,
                "same_as": first.number if first else "",
                "before": before,
            },
        )
        finish(ticket, actor)
    return plan
