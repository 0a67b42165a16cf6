"""Releases: versions of a service planned to a date and the tickets they carry. The support
team plans, edits and ships them; a customer's people read those `releases.selectors` lets
them see (a release they may not see answers 404, a change to one they may see 403)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, Field, StrictBool

from sladesk.accounts.models import User
from sladesk.api.auth import actor, writer
from sladesk.api.knowledge import Day, Id
from sladesk.api.pagination import keyset_page
from sladesk.api.schemas import StrictIn
from sladesk.core.errors import DomainError
from sladesk.releases import selectors, services
from sladesk.releases.choices import ReleaseStatus
from sladesk.releases.models import Release

router = Router(tags=["releases"])

# The soonest planned first, as `selectors.release_list` orders them. The date is read as
# its ISO text (which sorts as the date does): a cursor holds JSON, and a date is none.
KEYS = ["planned_on", "id"]

Version = Annotated[str, Field(min_length=1, max_length=services.MAX_VERSION)]
Name = Annotated[str, Field(max_length=services.MAX_NAME)]
NotesText = Annotated[str, Field(max_length=services.MAX_NOTES)]
# A text (in the writer's language) or {language: text}; the service checks the languages.
Notes = NotesText | Annotated[dict[str, NotesText], Field(max_length=20)]


# --- schemas -----------------------------------------------------------------------------


class ReleaseTicketOut(Schema):
    id: int
    number: str
    title: str
    status: str


class ReleaseOut(Schema):
    id: int
    service_id: int
    service: str
    version: str
    name: str
    status: str
    planned_on: dt.date
    shipped_at: dt.datetime | None
    organisation_id: int | None
    resolve_on_ship: bool
    notes: dict[str, str]
    tickets: list[ReleaseTicketOut]


class ReleasePage(Schema):
    items: list[ReleaseOut]
    next_cursor: str | None


class ReleaseIn(StrictIn):
    service_id: Id
    version: Version
    planned_on: Day
    notes: Notes = ""
    organisation_id: Id | None = None  # a personal delivery to the service's organisation
    name: Name = ""
    resolve_on_ship: StrictBool = False


class ReleasePatch(StrictIn):
    """The fields to change; those left out stay. A release is released only by shipping."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    version: Version | None = None
    name: Name | None = None
    planned_on: Day | None = None
    notes: Notes | None = None
    status: ReleaseStatus | None = None
    resolve_on_ship: StrictBool | None = None


class CarriedTicketIn(StrictIn):
    ticket_id: Id


# --- representations ---------------------------------------------------------------------


def _releases_out(user: User, releases: list[Release]) -> list[ReleaseOut]:
    """Releases as the API shows them, with the tickets each carries that the reader may
    see: one query whatever their number (the services must be joined in)."""
    carried: dict[int, list[ReleaseTicketOut]] = defaultdict(list)
    if releases:
        rows = selectors.release_tickets_of(
            user=user, release_ids=[release.pk for release in releases]
        ).values("id", "number", "title", "status", "release_id")
        for row in rows:
            carried[row["release_id"]].append(
                ReleaseTicketOut(
                    id=row["id"], number=row["number"], title=row["title"], status=row["status"]
                )
            )
    return [
        ReleaseOut(
            id=release.pk,
            service_id=release.service_id,
            service=release.service.name,
            version=release.version,
            name=release.name,
            status=release.status,
            planned_on=release.planned_on,
            shipped_at=release.shipped_at,
            organisation_id=release.organisation_id,
            resolve_on_ship=release.resolve_on_ship,
            notes=release.notes,
            tickets=carried[release.pk],
        )
        for release in releases
    ]


def _release_out(user: User, release_id: int) -> ReleaseOut:
    release = selectors.release_get(user=user, release_id=release_id)
    return _releases_out(user, [release])[0]


def _writable(request: HttpRequest, release_id: int) -> User:
    """The caller, once the release is one they may see (else 404) and their token may write
    (else 403); the services refuse anyone but the support team (403)."""
    user = actor(request)
    selectors.release_get(user=user, release_id=release_id)
    writer(request)
    return user


# --- routes ------------------------------------------------------------------------------


@router.get("/releases", response=ReleasePage)
def list_releases(
    request: HttpRequest,
    service_id: int | None = None,
    status: str = "",
    cursor: str | None = None,
    limit: int = 50,
) -> ReleasePage:
    """The releases the caller may see, the soonest planned first (`status`: one of planned,
    in_development, testing, released, cancelled)."""
    if status and status not in ReleaseStatus.values:
        raise DomainError(_("Unknown status %(status)r.") % {"status": status[:40]}, field="status")
    user = actor(request)
    releases = selectors.release_list(user=user, service_id=service_id, status=status)

    def keys(_bound: Mapping[str, Any]) -> QuerySet[Release, dict[str, Any]]:
        return releases.values(*KEYS)

    rows, next_cursor = keyset_page(keys, keys=KEYS, cursor=cursor, limit=limit)
    ids = [row["id"] for row in rows]
    # Read again through the same rule, the services joined in.
    page = selectors.release_visible_queryset(user=user).filter(pk__in=ids).in_bulk()
    return ReleasePage(
        items=_releases_out(user, [page[pk] for pk in ids if pk in page]),
        next_cursor=next_cursor,
    )


@router.post("/releases", response={201: ReleaseOut})
def create_release(request: HttpRequest, payload: ReleaseIn) -> Status[ReleaseOut]:
    """Plan a release of a service (the support team). With `organisation_id` (the service's
    own organisation) it is a personal delivery, seen by that organisation alone."""
    user = writer(request)
    release = services.release_create(
        actor=user, draft=services.ReleaseDraft(**payload.model_dump())
    )
    return Status(201, _release_out(user, release.pk))


@router.get("/releases/{release_id}", response=ReleaseOut)
def get_release(request: HttpRequest, release_id: int) -> ReleaseOut:
    return _release_out(actor(request), release_id)


@router.patch("/releases/{release_id}", response=ReleaseOut)
def update_release(request: HttpRequest, release_id: int, payload: ReleasePatch) -> ReleaseOut:
    """Change a release (the support team). A new date is recorded on every ticket it
    carries; a cancelled one lets its tickets go. Once released or cancelled only its name
    and notes change (409)."""
    user = _writable(request, release_id)
    changes = payload.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name != "name":
            raise DomainError(_("Give a value, not null."), field=name)
    services.release_update(actor=user, release_id=release_id, changes=changes)
    return _release_out(user, release_id)


@router.post("/releases/{release_id}/tickets", response=ReleaseOut)
def add_release_ticket(
    request: HttpRequest, release_id: int, payload: CarriedTicketIn
) -> ReleaseOut:
    """Plan a ticket into the release (out of the one it was in): an open ticket of the
    release's service."""
    user = _writable(request, release_id)
    services.release_add_ticket(actor=user, release_id=release_id, ticket_id=payload.ticket_id)
    return _release_out(user, release_id)


@router.delete("/releases/{release_id}/tickets/{ticket_id}", response={204: None})
def remove_release_ticket(request: HttpRequest, release_id: int, ticket_id: int) -> Status[None]:
    """Take a ticket out of the release (not once it has shipped)."""
    user = _writable(request, release_id)
    services.release_remove_ticket(actor=user, release_id=release_id, ticket_id=ticket_id)
    return Status(204, None)


@router.post("/releases/{release_id}/ship", response=ReleaseOut)
def ship_release(request: HttpRequest, release_id: int) -> ReleaseOut:
    """The release is out: each ticket it carries is told so, and resolved if the release
    says so."""
    user = _writable(request, release_id)
    services.release_ship(actor=user, release_id=release_id)
    return _release_out(user, release_id)
