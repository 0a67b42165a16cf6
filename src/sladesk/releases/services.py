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
from sladesk.releases.choices import FINAL_STATUSES, SETTABLE_STATUSES, ReleaseStatus
from sladesk.releases.models import Release
from sladesk.tickets import lifecycle
from sladesk.tickets.choices import CommentKind, EventKind
from sladesk.tickets.models import Ticket
from sladesk.tickets.notes import Note
from sladesk.tickets.services import history
from sladesk.tickets.services.common import finish, lock_visible, require_vendor, transition
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
