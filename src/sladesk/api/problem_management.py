"""Problems: the causes behind incidents (the support team), and what a customer's ticket
is told of them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from sladesk.api.auth import actor, writer
from sladesk.api.schemas import StrictIn
from sladesk.problems import lifecycle, selectors, services
from sladesk.problems.models import Problem, ProblemEvent, ProblemLink

router = Router(tags=["problems"])


class ProblemOut(Schema):
    id: int
    number: str
    title: str
    description: str
    status: str
    service_id: int | None
    owner_id: int | None
    root_cause: str
    workaround: str
    fix: str
    closing_note: str
    incident_count: int = 0
    registered_at: dt.datetime
    updated_at: dt.datetime
    known_error_at: dt.datetime | None
    fixed_at: dt.datetime | None
    closed_at: dt.datetime | None


class ProblemIn(StrictIn):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=20_000)
    service_id: int | None = None
    owner_id: int | None = None
    root_cause: str = Field("", max_length=20_000)
    ticket_ids: list[int] = Field(default_factory=list, max_length=200)


class ProblemPatch(StrictIn):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=20_000)
    service_id: int | None = None
    owner_id: int | None = None
    root_cause: str | None = Field(None, max_length=20_000)


class ActionIn(StrictIn):
    text: str = Field("", max_length=20_000)


class LinkIn(StrictIn):
    ticket_id: int


class LinkOut(Schema):
    problem_id: int
    ticket_id: int
    linked_at: dt.datetime


class ProblemEventOut(Schema):
    kind: str
    actor_id: int | None
    field: str
    before: Any
    after: Any
    data: dict[str, Any]
    created_at: dt.datetime


class IncidentOut(Schema):
    id: int
    number: str
    title: str
    status: str
    organisation_id: int


class CandidateOut(Schema):
    words: list[str]
    incidents: list[IncidentOut]


class TicketProblemOut(Schema):
    """What a ticket's people are told of a problem behind it."""

    number: str
    title: str
    status: str
    workaround: str
    fix: str


@router.get("/problems", response=list[ProblemOut])
def list_problems(request: HttpRequest, status: str = "", q: str = "") -> QuerySet[Problem]:
    """The latest 200 problems, newest first."""
    return selectors.problem_list(user=actor(request), status=status, text=q[:200])[:200]


@router.post("/problems", response={201: ProblemOut})
def register_problem(request: HttpRequest, payload: ProblemIn) -> Status[Problem]:
    """Register a problem, with the incidents it is known to cause already."""
    user = writer(request)
    data = services.ProblemRegistration(**payload.model_dump(exclude={"ticket_ids"}))
    problem = services.problem_register(actor=user, data=data, ticket_ids=payload.ticket_ids)
    return Status(201, selectors.problem_get(user=user, problem_id=problem.pk))


@router.get("/problems/candidates", response=list[CandidateOut])
def problem_candidates(request: HttpRequest, days: int = 30, at_least: int = 3) -> list[Any]:
    """Recurring incidents that no problem covers yet: candidates for a new problem."""
    groups = selectors.problem_candidates(
        user=actor(request), days=max(1, min(days, 365)), at_least=max(2, min(at_least, 100))
    )
    return [{"words": list(group.words), "incidents": tickets} for group, tickets in groups]


@router.get("/problems/{problem_id}", response=ProblemOut)
def get_problem(request: HttpRequest, problem_id: int) -> Problem:
    return selectors.problem_get(user=actor(request), problem_id=problem_id)


@router.patch("/problems/{problem_id}", response=ProblemOut)
def update_problem(request: HttpRequest, problem_id: int, payload: ProblemPatch) -> Problem:
    user = writer(request)
    selectors.problem_get(user=user, problem_id=problem_id)
    changes = payload.model_dump(exclude_unset=True)
    services.problem_update(actor=user, problem_id=problem_id, changes=changes)
    return selectors.problem_get(user=user, problem_id=problem_id)


def _act(request: HttpRequest, problem_id: int, action: lifecycle.Action, text: str) -> Problem:
    user = writer(request)
    selectors.problem_get(user=user, problem_id=problem_id)
    services.problem_act(actor=user, problem_id=problem_id, action=action, text=text)
    return selectors.problem_get(user=user, problem_id=problem_id)


@router.post("/problems/{problem_id}/analyse", response=ProblemOut)
def analyse_problem(request: HttpRequest, problem_id: int, payload: ActionIn) -> Problem:
    return _act(request, problem_id, lifecycle.Action.ANALYSE, payload.text)


@router.post("/problems/{problem_id}/known-error", response=ProblemOut)
def known_error(request: HttpRequest, problem_id: int, payload: ActionIn) -> Problem:
    """The root cause and a workaround are known: `text` is the workaround, told to every
    open incident of the problem (again, for a better workaround of a known error)."""
    return _act(request, problem_id, lifecycle.Action.KNOWN_ERROR, payload.text)


@router.post("/problems/{problem_id}/fix", response=ProblemOut)
def fix_problem(request: HttpRequest, problem_id: int, payload: ActionIn) -> Problem:
    """The permanent fix is delivered: `text` says what it is (a release, a change)."""
    return _act(request, problem_id, lifecycle.Action.FIX, payload.text)


@router.post("/problems/{problem_id}/close", response=ProblemOut)
def close_problem(request: HttpRequest, problem_id: int, payload: ActionIn) -> Problem:
    return _act(request, problem_id, lifecycle.Action.CLOSE, payload.text)


@router.post("/problems/{problem_id}/reopen", response=ProblemOut)
def reopen_problem(request: HttpRequest, problem_id: int, payload: ActionIn) -> Problem:
    return _act(request, problem_id, lifecycle.Action.REOPEN, payload.text)


@router.get("/problems/{problem_id}/incidents", response=list[IncidentOut])
def problem_incidents(request: HttpRequest, problem_id: int) -> QuerySet[Any]:
    user = actor(request)
    problem = selectors.problem_get(user=user, problem_id=problem_id)
    return selectors.problem_incidents(user=user, problem=problem)


@router.post("/problems/{problem_id}/incidents", response={201: LinkOut})
def link_incident(request: HttpRequest, problem_id: int, payload: LinkIn) -> Status[ProblemLink]:
    user = writer(request)
    selectors.problem_get(user=user, problem_id=problem_id)
    link = services.problem_link(actor=user, problem_id=problem_id, ticket_id=payload.ticket_id)
    return Status(201, link)


@router.delete("/problems/{problem_id}/incidents/{ticket_id}", response={204: None})
def unlink_incident(request: HttpRequest, problem_id: int, ticket_id: int) -> Status[None]:
    user = writer(request)
    selectors.problem_get(user=user, problem_id=problem_id)
    services.problem_unlink(actor=user, problem_id=problem_id, ticket_id=ticket_id)
    return Status(204, None)


@router.get("/problems/{problem_id}/events", response=list[ProblemEventOut])
def problem_events(request: HttpRequest, problem_id: int) -> QuerySet[ProblemEvent]:
    problem = selectors.problem_get(user=actor(request), problem_id=problem_id)
    return selectors.problem_events(problem=problem)


@router.get("/tickets/{ticket_id}/problems", response=list[TicketProblemOut])
def ticket_problems(request: HttpRequest, ticket_id: int) -> QuerySet[Problem]:
    """The problems behind a ticket, as its people are told of them."""
    return selectors.problems_of_ticket(user=actor(request), ticket_id=ticket_id)
