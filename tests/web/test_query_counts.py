"""Lists cost a fixed number of queries, however many rows they show (no N+1)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sladesk.accounts.services import api_token_create
from sladesk.tickets import services
from tests.conftest import World, signed_in


def queries_for(request: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        request()
    return len(captured.captured_queries)


def add_tickets(world: World, count: int) -> None:
    for _ in range(count):
        ticket = world.ticket(world.alpha)
        services.ticket_assign(actor=world.agent1, ticket_id=ticket.pk, assignee_id=world.agent1.pk)


@pytest.mark.parametrize("who", ["agent1", "specialist"])
def test_the_ticket_list_page_does_not_grow_with_rows(world: World, who: str) -> None:
    user = world.agent1 if who == "agent1" else world.alpha.specialist
    client = signed_in(user)
    add_tickets(world, 3)
    few = queries_for(lambda: client.get(reverse("web:ticket_list")))
    add_tickets(world, 12)
    many = queries_for(lambda: client.get(reverse("web:ticket_list")))
    assert many == few
    assert many <= 10


def test_the_api_ticket_list_does_not_grow_with_rows(world: World) -> None:
    _token, raw = api_token_create(user=world.agent1, name="t")
    client = Client(headers={"authorization": f"Bearer {raw}"})
    client.get("/api/v1/me")  # the token's last-use stamp is written at most once a minute
    add_tickets(world, 3)
    few = queries_for(lambda: client.get("/api/v1/tickets"))
    add_tickets(world, 12)
    many = queries_for(lambda: client.get("/api/v1/tickets"))
    assert many == few
    assert many <= 6


def test_the_ticket_page_does_not_grow_with_comments(world: World) -> None:
    ticket = world.ticket(world.alpha)
    client = signed_in(world.agent1)
    url = reverse("web:ticket_detail", args=[ticket.pk])
    services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="one")
    few = queries_for(lambda: client.get(url))
    for number in range(10):
        services.ticket_comment(
            actor=world.alpha.user if number % 2 else world.agent2, ticket_id=ticket.pk, body="more"
        )
    many = queries_for(lambda: client.get(url))
    assert many == few


def add_varied_tickets(world: World, count: int) -> None:
    """Tickets of both customers, on several lines, some assigned, some classified."""
    classes = list(world.beta.scheme.classes.all())
    for number in range(count):
        customer = world.alpha if number % 2 else world.beta
        ticket = world.ticket(customer)
        if number % 3 == 0:
            services.ticket_assign(actor=world.lead, ticket_id=ticket.pk, assignee_id=world.lead.pk)
        if customer is world.beta and number % 4 == 0:
            services.ticket_classify(
                actor=world.agent1, ticket_id=ticket.pk, ticket_class_id=classes[0].pk
            )
        if number % 5 == 0:
            services.ticket_escalate(
                actor=world.lead, ticket_id=ticket.pk, line_id=world.lines[2].pk, reason="deeper"
            )


@pytest.mark.parametrize("queue", ["mine", "unassigned", "at_risk", "breached", "waiting", "all"])
@pytest.mark.parametrize("htmx", [False, True])
def test_every_queue_costs_the_same_bounded_queries_however_full(
    world: World, queue: str, htmx: bool
) -> None:
    client = signed_in(world.lead)
    headers = {"HX-Request": "true"} if htmx else {}
    url = reverse("web:ticket_list")

    def load() -> object:
        return client.get(url, {"queue": queue, "q": "", "order": "deadline"}, headers=headers)

    add_varied_tickets(world, 2)
    few = queries_for(load)
    add_varied_tickets(world, 25)
    many = queries_for(load)
    assert many == few
    assert many <= 12
