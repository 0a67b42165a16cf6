"""Requests for new functionality: the path each takes (the product's roadmap or a separate
agreement), the same request of several organisations linked to the first, and the product
manager's backlog that counts who asks."""

from __future__ import annotations

import datetime as dt

import pytest

from sladesk.core.errors import Conflict, DomainError, PermissionDenied
from sladesk.releases import selectors, services
from sladesk.releases.choices import RequestPath
from sladesk.releases.models import Release, RequestPlan
from sladesk.tickets import services as ticket_services
from sladesk.tickets.choices import EventKind, TicketStatus
from sladesk.tickets.models import Attachment, Ticket
from tests.conftest import Customer, World, _customer

SOON = dt.datetime.now(tz=dt.UTC).date() + dt.timedelta(days=30)
START = dt.date(2031, 3, 1)
DUE = dt.date(2031, 6, 30)


def request_of(world: World, customer: Customer, title: str = "Export to PDF") -> Ticket:
    """A ticket of the customer classified as a request for new functionality (E)."""
    ticket = world.ticket(customer, title=title)
    ticket_services.ticket_classify(
        actor=world.agent1,
        ticket_id=ticket.pk,
        ticket_class_id=customer.scheme.classes.get(code="E").pk,
    )
    return ticket


def release_of(world: World, customer: Customer, version: str = "2.5") -> Release:
    draft = services.ReleaseDraft(service_id=customer.service.pk, version=version, planned_on=SOON)
    return services.release_create(actor=world.agent1, draft=draft)


def attach(world: World, ticket: Ticket, name: str = "spec.pdf") -> Attachment:
    ticket_services.ticket_attach(
        actor=world.alpha.user,
        ticket_id=ticket.pk,
        uploads=[ticket_services.Upload(name, b"%PDF-1.4 the spec")],
    )
    return Attachment.objects.filter(ticket=ticket, filename=name).get()


def events(ticket: Ticket, kind: str) -> list[dict[str, object]]:
    return [event.data for event in ticket.events.filter(kind=kind).order_by("pk")]


@pytest.fixture
def gamma(world: World) -> Customer:
    """A second customer on the categories A-E, to ask for the same thing."""
    return _customer("gamma", "categories-ae", 3)


# --- the path ----------------------------------------------------------------------------


def test_a_request_goes_under_an_agreement_and_back_on_the_roadmap(world: World) -> None:
    ticket = request_of(world, world.alpha)
    spec = attach(world, ticket)
    plan = services.request_choose_path(
        actor=world.agent1,
        ticket_id=ticket.pk,
        path=RequestPath.AGREEMENT,
        reference=" SA-2031/7 ",
        starts_on=START,
        due_on=DUE,
        specification_id=spec.pk,
    )
    plan.refresh_from_db()
    assert plan.path == RequestPath.AGREEMENT
    assert plan.agreement_reference == "SA-2031/7"
    assert (plan.agreement_starts_on, plan.agreement_due_on) == (START, DUE)
    assert plan.specification_id == spec.pk
    assert plan.updated_by_id == world.agent1.pk
    assert events(ticket, EventKind.REQUEST_PATH_CHOSEN) == [
        {
            "path": "agreement",
            "before": "",
            "reference": "SA-2031/7",
            "starts_on": "2031-03-01",
            "due_on": "2031-06-30",
            "specification_id": spec.pk,
            "specification": "spec.pdf",
        }
    ]
    # The same choice again records nothing.
    services.request_choose_path(
        actor=world.agent1,
        ticket_id=ticket.pk,
        path=RequestPath.AGREEMENT,
        reference="SA-2031/7",
        starts_on=START,
        due_on=DUE,
        specification_id=spec.pk,
    )
    assert len(events(ticket, EventKind.REQUEST_PATH_CHOSEN)) == 1
    # The roadmap forgets the agreement.
    services.request_choose_path(
        actor=world.agent1, ticket_id=ticket.pk, path=RequestPath.ROADMAP, reference="ignored"
    )
    plan.refresh_from_db()
    assert plan.path == RequestPath.ROADMAP
    assert plan.agreement_reference == ""
    assert plan.agreement_starts_on is None
    assert plan.specification_id is None
    last = events(ticket, EventKind.REQUEST_PATH_CHOSEN)[-1]
    assert (last["path"], last["before"], last["reference"]) == ("roadmap", "agreement", "")


def test_an_agreement_takes_the_request_out_of_its_release_which_then_refuses_it(
    world: World,
) -> None:
    ticket = request_of(world, world.alpha)
    release = release_of(world, world.alpha)
    services.release_add_ticket(actor=world.agent1, release_id=release.pk, ticket_id=ticket.pk)
    services.request_choose_path(
        actor=world.agent1, ticket_id=ticket.pk, path=RequestPath.AGREEMENT, reference="SA-1"
    )
    ticket.refresh_from_db()
    assert ticket.release_id is None
    [unplanned] = events(ticket, EventKind.RELEASE_UNPLANNED)
    assert unplanned["release_id"] == release.pk
    with pytest.raises(Conflict, match="separate agreement"):
        services.release_add_ticket(actor=world.agent1, release_id=release.pk, ticket_id=ticket.pk)
    services.request_choose_path(actor=world.agent1, ticket_id=ticket.pk, path=RequestPath.ROADMAP)
    services.release_add_ticket(actor=world.agent1, release_id=release.pk, ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert ticket.release_id == release.pk


def test_the_roadmap_keeps_the_request_in_its_release(world: World) -> None:
    ticket = request_of(world, world.alpha)
    release = release_of(world, world.alpha)
    services.release_add_ticket(actor=world.agent1, release_id=release.pk, ticket_id=ticket.pk)
    services.request_choose_path(actor=world.agent1, ticket_id=ticket.pk, path=RequestPath.ROADMAP)
    ticket.refresh_from_db()
    assert ticket.release_id == release.pk
    assert not events(ticket, EventKind.RELEASE_UNPLANNED)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"path": "someday"}, "path"),
        ({"path": "agreement"}, "reference"),
        ({"path": "agreement", "reference": "   "}, "reference"),
        ({"path": "agreement", "reference": "x" * 101}, "reference"),
        ({"path": "agreement", "reference": "SA", "starts_on": DUE, "due_on": START}, "due_on"),
        ({"path": "agreement", "reference": "SA", "starts_on": "2031-03-01"}, "starts_on"),
        ({"path": "agreement", "reference": "SA", "specification_id": "other"}, "specification_id"),
        ({"path": "agreement", "reference": "SA", "specification_id": 999_999}, "specification_id"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    world: World, values: dict[str, object], field: str
) -> None:
    ticket = request_of(world, world.alpha)
    if values.get("specification_id") == "other":  # a file of another ticket
        values["specification_id"] = attach(world, request_of(world, world.alpha, "Other")).pk
    with pytest.raises(DomainError) as raised:
        services.request_choose_path(actor=world.agent1, ticket_id=ticket.pk, **values)  # type: ignore[arg-type]
    assert raised.value.field == field
    assert not RequestPlan.objects.exists()
    assert not events(ticket, EventKind.REQUEST_PATH_CHOSEN)


def test_the_specification_is_no_file_of_an_internal_note(world: World) -> None:
    ticket = request_of(world, world.alpha)
    ticket_services.ticket_comment(
        actor=world.agent1,
        ticket_id=ticket.pk,
        body="our draft",
        internal=True,
        uploads=[ticket_services.Upload("draft.pdf", b"internal")],
    )
    draft = Attachment.objects.get(ticket=ticket, filename="draft.pdf")
    with pytest.raises(DomainError) as raised:
        services.request_choose_path(
            actor=world.agent1,
            ticket_id=ticket.pk,
            path=RequestPath.AGREEMENT,
            reference="SA",
            specification_id=draft.pk,
        )
    assert raised.value.field == "specification_id"


def test_only_requests_have_a_path(world: World) -> None:
    unclassified = world.ticket(world.alpha, title="Something")
    defect = world.ticket(world.alpha, title="Totals wrong")
    ticket_services.ticket_classify(
        actor=world.agent1,
        ticket_id=defect.pk,
        ticket_class_id=world.alpha.scheme.classes.get(code="C").pk,
    )
    for ticket in (unclassified, defect):
        with pytest.raises(DomainError) as raised:
            services.request_choose_path(
                actor=world.agent1, ticket_id=ticket.pk, path=RequestPath.ROADMAP
            )
        assert raised.value.field == "ticket_id"
    assert not RequestPlan.objects.exists()


def test_a_closed_request_takes_no_path(world: World) -> None:
    ticket = request_of(world, world.alpha)
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.CLOSED)
    with pytest.raises(Conflict):
        services.request_choose_path(
            actor=world.agent1, ticket_id=ticket.pk, path=RequestPath.ROADMAP
        )


def test_customers_choose_no_path_link_nothing_and_see_no_backlog(world: World) -> None:
    ticket = request_of(world, world.alpha)
    other = request_of(world, world.alpha, "Same")
    for person in (world.alpha.specialist, world.alpha.user):
        with pytest.raises(PermissionDenied):
            services.request_choose_path(
                actor=person, ticket_id=ticket.pk, path=RequestPath.ROADMAP
            )
        with pytest.raises(PermissionDenied):
            services.request_link(actor=person, ticket_id=other.pk, same_as_id=ticket.pk)
        with pytest.raises(PermissionDenied):
            selectors.request_backlog(user=person)
    assert not RequestPlan.objects.exists()


# --- the same request of several organisations -------------------------------------------


def test_a_link_goes_to_the_first_request_so_groups_stay_one_level(
    world: World, gamma: Customer
) -> None:
    first = request_of(world, world.alpha, "Export to PDF")
    second = request_of(world, gamma, "PDF export please")
    third = request_of(world, world.alpha, "PDF, again")
    plan = services.request_link(actor=world.agent1, ticket_id=second.pk, same_as_id=first.pk)
    assert plan.same_as_id == first.pk
    assert plan.path == ""  # the path is not chosen by linking
    # Linked to the second, the third joins the first's group.
    plan = services.request_link(actor=world.agent1, ticket_id=third.pk, same_as_id=second.pk)
    assert plan.same_as_id == first.pk
    assert events(third, EventKind.REQUEST_LINKED) == [
        {"same_as_id": first.pk, "same_as": first.number, "before": None}
    ]
    assert set(first.same_requests.values_list("ticket_id", flat=True)) == {
        second.pk,
        third.pk,
    }
    # No cycle, no second level, no link twice.
    with pytest.raises(Conflict):
        services.request_link(actor=world.agent1, ticket_id=first.pk, same_as_id=second.pk)
    other = request_of(world, gamma, "Unrelated")
    with pytest.raises(Conflict):
        services.request_link(actor=world.agent1, ticket_id=first.pk, same_as_id=other.pk)
    with pytest.raises(Conflict):
        services.request_link(actor=world.agent1, ticket_id=third.pk, same_as_id=first.pk)
    assert not events(first, EventKind.REQUEST_LINKED)
    # The link taken away.
    plan = services.request_link(actor=world.agent1, ticket_id=third.pk, same_as_id=None)
    assert plan.same_as_id is None
    assert events(third, EventKind.REQUEST_LINKED)[-1]["before"] == first.pk


def test_a_link_needs_two_different_requests(world: World, gamma: Customer) -> None:
    request = request_of(world, world.alpha)
    defect = world.ticket(gamma, title="Broken")
    with pytest.raises(DomainError) as raised:
        services.request_link(actor=world.agent1, ticket_id=request.pk, same_as_id=request.pk)
    assert raised.value.field == "same_as_id"
    with pytest.raises(DomainError) as raised:
        services.request_link(actor=world.agent1, ticket_id=request.pk, same_as_id=defect.pk)
    assert raised.value.field == "same_as_id"
    with pytest.raises(DomainError) as raised:
        services.request_link(actor=world.agent1, ticket_id=request.pk, same_as_id=999_999)
    assert raised.value.field == "same_as_id"
    with pytest.raises(DomainError) as raised:
        services.request_link(actor=world.agent1, ticket_id=defect.pk, same_as_id=request.pk)
    assert raised.value.field == "ticket_id"
    with pytest.raises(Conflict):  # linked to nothing yet: nothing to take away
        services.request_link(actor=world.agent1, ticket_id=request.pk, same_as_id=None)
    assert not RequestPlan.objects.exists()


# --- the backlog -------------------------------------------------------------------------


def test_the_backlog_counts_the_organisations_asking_most_first_then_oldest(
    world: World, gamma: Customer, django_assert_num_queries: object
) -> None:
    lonely = request_of(world, world.alpha, "Dark mode")  # the oldest, one organisation
    popular = request_of(world, world.alpha, "Export to PDF")
    for customer in (gamma, world.alpha):  # the same organisation twice counts once
        same = request_of(world, customer, "PDF export")
        services.request_link(actor=world.agent1, ticket_id=same.pk, same_as_id=popular.pk)
    younger = request_of(world, gamma, "Bulk edit")
    closed = request_of(world, gamma, "Done already")
    Ticket.objects.filter(pk=closed.pk).update(status=TicketStatus.CLOSED)
    world.ticket(world.alpha, title="Unclassified")
    release = release_of(world, world.alpha)
    services.release_add_ticket(actor=world.agent1, release_id=release.pk, ticket_id=popular.pk)
    services.request_choose_path(
        actor=world.agent1, ticket_id=lonely.pk, path=RequestPath.AGREEMENT, reference="SA-9"
    )

    with django_assert_num_queries(2):  # type: ignore[operator]  # pytest-django's fixture
        rows = selectors.request_backlog(user=world.agent1)
        summary = [
            (row.ticket.pk, row.organisations, row.release, row.path, row.service) for row in rows
        ]
    assert summary == [
        (popular.pk, 2, release, "", world.alpha.service),
        (lonely.pk, 1, None, "agreement", world.alpha.service),
        (younger.pk, 1, None, "", gamma.service),
    ]
    assert rows[1].plan is not None
    assert rows[1].plan.agreement_reference == "SA-9"
    by_service = selectors.request_backlog(user=world.agent1, service_id=gamma.service.pk)
    assert [row.ticket.pk for row in by_service] == [younger.pk]
