"""The request pages: the support team's backlog and the ticket page's request box, where
the team chooses the path and links the same request of another organisation, and where
the customer's people read which path their request takes."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse

from sladesk.releases.choices import RequestPath
from sladesk.releases.models import RequestPlan
from sladesk.releases.services import (
    ReleaseDraft,
    release_add_ticket,
    release_create,
    request_choose_path,
)
from sladesk.tickets import services
from sladesk.tickets.choices import EventKind
from sladesk.tickets.models import Attachment, Ticket
from tests.conftest import FOREIGN_SECRET, Customer, World, _customer, signed_in

HTMX = {"HX-Request": "true"}
SOON = dt.datetime.now(tz=dt.UTC).date() + dt.timedelta(days=30)


def request_of(world: World, customer: Customer, title: str = "Export to PDF") -> Ticket:
    ticket = world.ticket(customer, title=title)
    services.ticket_classify(
        actor=world.agent1,
        ticket_id=ticket.pk,
        ticket_class_id=customer.scheme.classes.get(code="E").pk,
    )
    return ticket


def box(client: Client, ticket: Ticket) -> str:
    response = client.get(reverse("web:ticket_request", args=[ticket.pk]), headers=HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_the_backlog_shows_the_requests_by_organisations_asking(world: World) -> None:
    gamma = _customer("gamma", "categories-ae", 3)
    first = request_of(world, world.alpha, "Export to PDF")
    same = request_of(world, gamma, "PDF export")
    client = signed_in(world.agent1)
    response = client.post(
        reverse("web:ticket_request_link", args=[same.pk]), {"number": first.number}, headers=HTMX
    )
    assert response.status_code == 200
    assert response.headers["HX-Refresh"] == "true"
    release = release_create(
        actor=world.agent1,
        draft=ReleaseDraft(service_id=world.alpha.service.pk, version="2.5", planned_on=SOON),
    )
    release_add_ticket(actor=world.agent1, release_id=release.pk, ticket_id=first.pk)
    agreed = request_of(world, gamma, "Bulk edit")
    request_choose_path(
        actor=world.agent1, ticket_id=agreed.pk, path=RequestPath.AGREEMENT, reference="SA-77"
    )
    waiting = request_of(world, world.alpha, "Dark mode")

    page = client.get(reverse("web:request_backlog")).content.decode()
    assert f'href="{reverse("web:request_backlog")}">Requests</a>' in page  # the nav link
    assert page.index(first.number) < page.index(agreed.number) < page.index(waiting.number)
    assert same.number not in page  # counted in its first request's row
    assert f'<tr data-request="{first.pk}">' in page
    assert "<td data-organisations>2</td>" in page
    assert ">2.5</a>" in page
    assert "Under a separate agreement SA-77" in page
    assert "not planned yet" in page
    filtered = client.get(reverse("web:request_backlog"), {"service": gamma.service.pk})
    text = filtered.content.decode()
    assert agreed.number in text
    assert first.number not in text
    assert client.get(reverse("web:request_backlog"), {"service": "nonsense"}).status_code == 200


def test_customers_are_told_the_backlog_does_not_exist(world: World) -> None:
    for person in (world.alpha.specialist, world.alpha.user):
        assert signed_in(person).get(reverse("web:request_backlog")).status_code == 404
    assert b'"/requests/"' not in signed_in(world.alpha.specialist).get("/tickets/").content


def test_an_agent_chooses_an_agreement_with_its_specification_in_the_box(world: World) -> None:
    ticket = request_of(world, world.alpha)
    services.ticket_attach(
        actor=world.alpha.user,
        ticket_id=ticket.pk,
        uploads=[services.Upload("spec.pdf", b"%PDF-1.4")],
    )
    spec = Attachment.objects.get(ticket=ticket)
    client = signed_in(world.agent1)
    detail = client.get(reverse("web:ticket_detail", args=[ticket.pk])).content.decode()
    assert f'hx-get="{reverse("web:ticket_request", args=[ticket.pk])}"' in detail
    html = box(client, ticket)
    assert 'data-form="request-path"' in html
    assert 'data-form="request-link"' in html
    assert f'<option value="{spec.pk}">spec.pdf</option>' in html
    assert "data-path-not-chosen" in html

    url = reverse("web:ticket_request", args=[ticket.pk])
    form = {"path": "agreement", "reference": "SA-1", "starts_on": "2031-03-01"}
    bad = client.post(url, {**form, "due_on": "2031-01-01"}, headers=HTMX)
    assert bad.status_code == 200
    assert 'data-field-error="due_on"' in bad.content.decode()
    missing = client.post(url, {"path": "agreement", "reference": ""}, headers=HTMX)
    assert 'data-field-error="reference"' in missing.content.decode()
    nonsense = client.post(url, {"path": "agreement", "starts_on": "soon"}, headers=HTMX)
    assert nonsense.status_code == 200
    assert not RequestPlan.objects.exists()

    done = client.post(
        url, {**form, "due_on": "2031-06-30", "specification": spec.pk}, headers=HTMX
    )
    assert done.headers["HX-Refresh"] == "true"
    plan = RequestPlan.objects.get()
    assert (plan.path, plan.agreement_reference, plan.specification_id) == (
        "agreement",
        "SA-1",
        spec.pk,
    )
    assert ticket.events.filter(kind=EventKind.REQUEST_PATH_CHOSEN).count() == 1
    history = client.get(reverse("web:ticket_detail", args=[ticket.pk]))
    assert history.status_code == 200
    assert "Request&#x27;s path chosen" in history.content.decode()
    # Without htmx: back to the ticket page.
    plain = client.post(url, {"path": "roadmap"})
    assert plain.status_code == 302
    assert plain["Location"] == reverse("web:ticket_detail", args=[ticket.pk])
    # The box outside htmx is a page of its own.
    page = client.get(url).content.decode()
    assert "<html" in page
    assert 'id="request-box"' in page


def test_a_link_to_an_unknown_number_is_a_form_error(world: World) -> None:
    ticket = request_of(world, world.alpha)
    client = signed_in(world.agent1)
    url = reverse("web:ticket_request_link", args=[ticket.pk])
    response = client.post(url, {"number": "NOPE-1"}, headers=HTMX)
    assert response.status_code == 200
    assert 'data-field-error="number"' in response.content.decode()
    itself = client.post(url, {"number": ticket.number}, headers=HTMX)
    assert 'data-field-error="number"' in itself.content.decode()
    unlinked = client.post(url, {"number": ""}, headers=HTMX)  # linked to nothing yet
    assert unlinked.status_code == 200
    assert "data-form-errors" in unlinked.content.decode()
    assert not RequestPlan.objects.exists()


def test_the_box_is_nothing_for_a_ticket_that_is_no_request(world: World) -> None:
    ticket = world.ticket(world.alpha, title="Unclassified")
    client = signed_in(world.agent1)
    assert box(client, ticket) == ""
    url = reverse("web:ticket_request", args=[ticket.pk])
    assert client.post(url, {"path": "roadmap"}).status_code == 404
    assert signed_in(world.alpha.specialist).get(url, headers=HTMX).content == b""


def test_the_customer_reads_the_path_and_may_not_change_it(world: World) -> None:
    ticket = request_of(world, world.alpha)
    services.ticket_attach(
        actor=world.alpha.user,
        ticket_id=ticket.pk,
        uploads=[services.Upload("spec.pdf", b"%PDF-1.4")],
    )
    spec = Attachment.objects.get(ticket=ticket)
    specialist = signed_in(world.alpha.specialist)
    html = box(specialist, ticket)
    assert "On the product's roadmap: not planned yet" in html
    assert "<form" not in html
    assert "data-path-not-chosen" not in html
    release = release_create(
        actor=world.agent1,
        draft=ReleaseDraft(service_id=world.alpha.service.pk, version="2.5", planned_on=SOON),
    )
    release_add_ticket(actor=world.agent1, release_id=release.pk, ticket_id=ticket.pk)
    assert "version 2.5, planned for" in box(specialist, ticket)
    request_choose_path(
        actor=world.agent1,
        ticket_id=ticket.pk,
        path=RequestPath.AGREEMENT,
        reference="SA-1",
        starts_on=dt.date(2031, 3, 1),
        due_on=dt.date(2031, 6, 30),
        specification_id=spec.pk,
    )
    html = box(signed_in(world.alpha.user), ticket)
    assert "Under a separate agreement SA-1, agreed March 1, 2031 \N{EN DASH} June 30, 2031" in html
    assert f'href="{reverse("web:attachment_download", args=[spec.pk])}"' in html
    for url in (
        reverse("web:ticket_request", args=[ticket.pk]),
        reverse("web:ticket_request_link", args=[ticket.pk]),
    ):
        assert specialist.post(url, {"path": "roadmap", "number": ""}).status_code == 404
    assert RequestPlan.objects.get().path == "agreement"


def test_another_organisation_s_people_reach_nothing(world: World) -> None:
    ticket = request_of(world, world.alpha, FOREIGN_SECRET)
    for person in (world.beta.specialist, world.beta.user):
        client = signed_in(person)
        for url in (
            reverse("web:ticket_request", args=[ticket.pk]),
            reverse("web:ticket_request_link", args=[ticket.pk]),
        ):
            response = client.get(url, headers=HTMX)
            assert response.status_code in {404, 405}
            assert FOREIGN_SECRET.encode() not in response.content
            assert client.post(url, {"path": "roadmap"}).status_code == 404
    assert not RequestPlan.objects.exists()
