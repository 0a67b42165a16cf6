"""Lists filter by several statuses at once and by "open"; the workspace has an open queue."""

from __future__ import annotations

import pytest

from sladesk.tickets import services
from tests.api.test_api_behaviour import client_for
from tests.conftest import World, signed_in


@pytest.fixture
def mixed(world: World) -> dict[str, str]:
    """Four Alpha tickets: new, in progress, waiting for the customer, cancelled."""
    new = world.ticket(world.alpha, title="still new")
    working = world.ticket(world.alpha, title="being worked on")
    services.ticket_assign(actor=world.lead, ticket_id=working.pk, assignee_id=world.agent1.pk)
    waiting = world.ticket(world.alpha, title="waiting for answers")
    services.ticket_request_info(actor=world.agent1, ticket_id=waiting.pk, question="Which build?")
    cancelled = world.ticket(world.alpha, title="gone")
    services.ticket_cancel(actor=world.alpha.user, ticket_id=cancelled.pk, reason="typo")
    return {
        "new": new.number,
        "in_progress": working.number,
        "waiting_for_customer": waiting.number,
        "cancelled": cancelled.number,
    }


def numbers(response: object) -> set[str]:
    assert response.status_code == 200, response.content  # type: ignore[attr-defined]
    return {row["number"] for row in response.json()["items"]}  # type: ignore[attr-defined]


def test_the_api_filters_several_statuses_and_open(world: World, mixed: dict[str, str]) -> None:
    client = client_for(world.agent1)
    assert mixed["in_progress"] != mixed["new"]
    assert numbers(client.get("/api/v1/tickets?status=new,in_progress")) == {
        mixed["new"],
        mixed["in_progress"],
    }
    assert numbers(client.get("/api/v1/tickets?status=cancelled")) == {mixed["cancelled"]}
    open_ones = {mixed["new"], mixed["in_progress"], mixed["waiting_for_customer"]}
    assert numbers(client.get("/api/v1/tickets?status=open")) == open_ones
    assert numbers(client.get("/api/v1/tickets?status=open,cancelled")) == set(mixed.values())
    # The same filters again (a kept first page must not answer for another set).
    assert numbers(client.get("/api/v1/tickets?status=new")) == {mixed["new"]}
    assert numbers(client.get("/api/v1/tickets?status=in_progress")) == {mixed["in_progress"]}


def test_an_unknown_status_is_a_400_naming_the_field(world: World, mixed: dict[str, str]) -> None:
    response = client_for(world.agent1).get("/api/v1/tickets?status=new,finished")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "finished" in response.json()["detail"]
    assert response.json()["errors"][0]["field"] == "status"


def test_customers_filter_their_own_open_tickets_only(world: World, mixed: dict[str, str]) -> None:
    foreign = world.ticket(world.beta, title="Beta's")
    got = numbers(client_for(world.alpha.user).get("/api/v1/tickets?status=open"))
    assert foreign.number not in got
    assert len(got) == 3


def test_the_workspace_has_an_open_queue(world: World, mixed: dict[str, str]) -> None:
    page = signed_in(world.lead).get("/tickets/?queue=open").content.decode()
    assert mixed["new"] in page
    assert mixed["waiting_for_customer"] in page
    assert mixed["cancelled"] not in page
    assert 'data-queue="open"' in page
    filtered = signed_in(world.alpha.user).get("/tickets/?status=open").content.decode()
    assert mixed["new"] in filtered
    assert mixed["cancelled"] not in filtered
