"""Releases: planning tickets into a version, moving its date, shipping it, and what each
step leaves in the tickets' history and conversation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from sladesk.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from sladesk.releases import selectors, services
from sladesk.releases.choices import ReleaseStatus
from sladesk.releases.models import Release
from sladesk.tickets.choices import CommentKind, EventKind, TicketStatus
from sladesk.tickets.models import Ticket
from sladesk.tickets.notes import note_render
from sladesk.tickets.replay import replay
from tests.conftest import Customer, World

SOON = dt.datetime.now(tz=dt.UTC).date() + dt.timedelta(days=30)


def planned(world: World, customer: Customer, version: str = "2.5", **fields: object) -> Release:
    draft = services.ReleaseDraft(
        service_id=customer.service.pk,
        version=version,
        planned_on=fields.pop("planned_on", SOON),  # type: ignore[arg-type]
        **fields,  # type: ignore[arg-type]
    )
    return services.release_create(actor=world.agent1, draft=draft)


def events(ticket: Ticket, kind: str) -> list[dict[str, object]]:
    return [e.data for e in ticket.events.filter(kind=kind).order_by("pk")]


def test_a_release_is_planned_with_notes_per_language(world: World) -> None:
    release = planned(world, world.alpha, notes={"en": "Faster reports", "ru": "Быстрые отчёты"})
    assert release.status == ReleaseStatus.PLANNED
    assert release.notes_in("ru") == "Быстрые отчёты"
    assert release.notes_in("cs") == "Faster reports"  # the desk's default language
    text_only = planned(world, world.alpha, "2.6", notes="Just English")
    assert text_only.notes == {"en": "Just English"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"version": " "}, "version"),
        ({"version": "x" * 51}, "version"),
        ({"planned_on": dt.date(2000, 1, 1)}, "planned_on"),
        ({"notes": {"de": "Hallo"}}, "notes"),
        ({"notes": ["a list"]}, "notes"),
        ({"service_id": 999_999}, "service_id"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    world: World, fields: dict[str, object], field: str
) -> None:
    values: dict[str, object] = {
        "service_id": world.alpha.service.pk,
        "version": "3.0",
        "planned_on": SOON,
        **fields,
    }
    with pytest.raises(DomainError) as raised:
        services.release_create(actor=world.agent1, draft=services.ReleaseDraft(**values))  # type: ignore[arg-type]
    assert raised.value.field == field
    assert not Release.objects.exists()


def test_a_personal_delivery_goes_to_the_service_s_organisation(world: World) -> None:
    with pytest.raises(DomainError) as raised:
        planned(world, world.alpha, organisation_id=world.beta.organisation.pk)
    assert raised.value.field == "organisation_id"
    personal = planned(world, world.alpha, organisation_id=world.alpha.organisation.pk)
    assert personal.organisation_id == world.alpha.organisation.pk


def test_a_version_is_once_per_service_and_only_the_team_plans(world: World) -> None:
    planned(world, world.alpha)
    with pytest.raises(Conflict):
        planned(world, world.alpha)
    draft = services.ReleaseDraft(service_id=world.alpha.service.pk, version="9", planned_on=SOON)
    with pytest.raises(PermissionDenied):
        services.release_create(actor=world.alpha.specialist, draft=draft)


def test_who_sees_a_release(world: World) -> None:
    release = planned(world, world.alpha)
    assert selectors.release_get(user=world.alpha.user, release_id=release.pk) == release
    assert selectors.release_get(user=world.alpha.specialist, release_id=release.pk) == release
    assert selectors.release_get(user=world.agent3, release_id=release.pk) == release
    for outsider in (world.beta.user, world.beta.specialist, None):
        with pytest.raises(NotFound):
            selectors.release_get(user=outsider, release_id=release.pk)
    services.release_update(
        actor=world.agent1, release_id=release.pk, changes={"status": ReleaseStatus.CANCELLED}
    )
    with pytest.raises(NotFound):  # a cancelled release leaves the customer's roadmap
        selectors.release_get(user=world.alpha.user, release_id=release.pk)


def test_planning_moving_and_taking_out_are_ticket_events(world: World) -> None:
    ticket = world.ticket(world.alpha)
    first, second = planned(world, world.alpha), planned(world, world.alpha, "2.6")
    services.release_add_ticket(actor=world.agent1, release_id=first.pk, ticket_id=ticket.pk)
    services.release_add_ticket(actor=world.agent1, release_id=second.pk, ticket_id=ticket.pk)
    later = SOON + dt.timedelta(days=14)
    services.release_update(actor=world.agent1, release_id=second.pk, changes={"planned_on": later})
    services.release_remove_ticket(actor=world.agent1, release_id=second.pk, ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert ticket.release_id is None
    planned_events = ticket.events.filter(kind=EventKind.RELEASE_PLANNED).order_by("pk")
    assert [(e.before, e.after) for e in planned_events] == [
        (None, first.pk),
        (first.pk, second.pk),
    ]
    [moved] = events(ticket, EventKind.RELEASE_DATE_CHANGED)
    assert moved["before"] == SOON.isoformat()
    assert moved["after"] == later.isoformat()
    [out] = ticket.events.filter(kind=EventKind.RELEASE_UNPLANNED)
    assert (out.before, out.after) == (second.pk, None)
    rows = ticket.events.order_by("pk").values("kind", "field", "after")
    assert replay(rows)["release_id"] is None  # the history rebuilds the column


def test_a_ticket_of_another_service_or_closed_or_into_a_shipped_release(world: World) -> None:
    release = planned(world, world.alpha)
    foreign = world.ticket(world.beta)
    with pytest.raises(NotFound):  # the agent sees it, but it is another service's
        services.release_add_ticket(actor=world.lead, release_id=release.pk, ticket_id=0)
    with pytest.raises(DomainError) as raised:
        services.release_add_ticket(actor=world.agent1, release_id=release.pk, ticket_id=foreign.pk)
    assert raised.value.field == "ticket_id"
    services.release_ship(actor=world.agent1, release_id=release.pk)
    with pytest.raises(Conflict):
        services.release_add_ticket(
            actor=world.agent1, release_id=release.pk, ticket_id=world.ticket(world.alpha).pk
        )
    with pytest.raises(Conflict):
        services.release_ship(actor=world.agent1, release_id=release.pk)
    with pytest.raises(Conflict):
        services.release_update(
            actor=world.agent1, release_id=release.pk, changes={"version": "2.5.1"}
        )
    services.release_update(actor=world.agent1, release_id=release.pk, changes={"notes": "Done"})


def test_shipping_tells_each_open_ticket_and_resolves_if_asked(world: World) -> None:
    release = planned(world, world.alpha, resolve_on_ship=True)
    told, done = world.ticket(world.alpha), world.ticket(world.alpha, title="Another")
    for ticket in (told, done):
        services.release_add_ticket(actor=world.agent1, release_id=release.pk, ticket_id=ticket.pk)
    Ticket.objects.filter(pk=done.pk).update(status=TicketStatus.RESOLVED)
    shipped = services.release_ship(actor=world.agent1, release_id=release.pk)
    assert shipped.status == ReleaseStatus.RELEASED
    assert shipped.shipped_at is not None
    told.refresh_from_db()
    assert told.status == TicketStatus.RESOLVED
    assert told.resolved_at is not None
    [note] = told.comments.filter(kind=CommentKind.PUBLIC, note="release_shipped")
    assert note.author is None  # the desk's words: no response for the SLA
    assert told.first_response_at is None
    with translation.override("ru"):
        assert "2.5" in note_render(note.note, note.note_params)
        assert "выпущена" in note_render(note.note, note.note_params)
    assert not done.comments.filter(note="release_shipped").exists()  # already resolved
    for ticket in (told, done):
        assert events(ticket, EventKind.RELEASE_SHIPPED) == [
            {"release_id": release.pk, "version": "2.5", "planned_on": SOON.isoformat()}
        ]


def test_a_cancelled_release_lets_its_tickets_go(world: World) -> None:
    release = planned(world, world.alpha)
    ticket = world.ticket(world.alpha)
    services.release_add_ticket(actor=world.agent1, release_id=release.pk, ticket_id=ticket.pk)
    services.release_update(
        actor=world.agent1, release_id=release.pk, changes={"status": ReleaseStatus.CANCELLED}
    )
    ticket.refresh_from_db()
    assert ticket.release_id is None
    assert ticket.events.filter(kind=EventKind.RELEASE_UNPLANNED).count() == 1
    with pytest.raises(Conflict):
        services.release_ship(actor=world.agent1, release_id=release.pk)


def test_an_unknown_status_or_released_by_edit_is_refused(world: World) -> None:
    release = planned(world, world.alpha)
    for status in ("done", ReleaseStatus.RELEASED):
        with pytest.raises(DomainError) as raised:
            services.release_update(
                actor=world.agent1, release_id=release.pk, changes={"status": status}
            )
        assert raised.value.field == "status"
    with pytest.raises(DomainError):
        services.release_update(actor=world.agent1, release_id=release.pk, changes={"id": 3})


def test_a_problem_s_fix_names_its_release(world: World) -> None:
    from sladesk.problems.services import ProblemRegistration, problem_act, problem_register

    release = planned(world, world.alpha)
    incident = world.ticket(world.alpha)
    problem = problem_register(
        actor=world.agent1,
        data=ProblemRegistration(title="Reports crash", service_id=world.alpha.service.pk),
        ticket_ids=[incident.pk],
    )
    with pytest.raises(DomainError):
        services.release_plan_problem(
            actor=world.agent1, release_id=planned(world, world.beta).pk, problem_id=problem.pk
        )
    services.release_plan_problem(actor=world.agent1, release_id=release.pk, problem_id=problem.pk)
    problem_act(actor=world.agent1, problem_id=problem.pk, action="analyse")
    problem_act(actor=world.agent1, problem_id=problem.pk, action="fix", text="Index rebuilt")
    [note] = incident.comments.filter(note="cause_fixed_in")
    assert "version 2.5" in note.body
    assert "Index rebuilt" in note.body


def test_a_ticket_moved_to_another_service_leaves_its_release(world: World) -> None:
    from sladesk.tickets.services import TicketEdit, ticket_edit
    from tests.factories import ServiceFactory

    release = planned(world, world.alpha)
    ticket = world.ticket(world.alpha)
    services.release_add_ticket(actor=world.agent1, release_id=release.pk, ticket_id=ticket.pk)
    other = ServiceFactory(organisation=world.alpha.organisation, name="alpha shop")
    ticket_edit(actor=world.agent1, ticket_id=ticket.pk, edit=TicketEdit(title="Renamed"))
    ticket.refresh_from_db()
    assert ticket.release_id == release.pk
    ticket_edit(actor=world.agent1, ticket_id=ticket.pk, edit=TicketEdit(service_id=other.pk))
    ticket.refresh_from_db()
    assert ticket.release_id is None
    assert ticket.events.filter(kind=EventKind.RELEASE_UNPLANNED).count() == 1
