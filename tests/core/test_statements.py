"""Statements kept for reuse give exactly the rows a fresh query gives, now."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.models import F, QuerySet
from django.test.utils import CaptureQueriesContext

from sladesk.accounts.choices import Role
from sladesk.accounts.models import User
from sladesk.core import configcache
from sladesk.core.statements import rows_reused, statement_of
from sladesk.tickets.models import Ticket
from sladesk.tickets.selectors import TicketFilters, ticket_list
from tests.api.test_query_counts import client_for
from tests.conftest import World

Row = dict[str, Any]


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    configcache.clear()
    yield
    configcache.clear()


def visible(user: User) -> QuerySet[Ticket, Row]:
    # The annotation sits between fields: its column is read by name, not by position.
    return (
        ticket_list(user=user, filters=TicketFilters(), related=())
        .annotate(line_level=F("line__level"))
        .values("id", "line_level", "title", "registered_at")
        .order_by("id")
    )


def test_reused_rows_are_the_fresh_rows_of_now(world: World) -> None:
    world.ticket(world.alpha)
    builds = []

    def build() -> QuerySet[Ticket, Row]:
        builds.append(1)
        return visible(world.agent1)

    assert rows_reused("t", build) == list(visible(world.agent1))
    newer = world.ticket(world.beta, title="Newer")
    with CaptureQueriesContext(connection) as captured:
        rows = rows_reused("t", build)
    assert rows == list(visible(world.agent1))
    assert rows[-1]["id"] == newer.pk
    assert rows[-1]["line_level"] == 1
    assert len(captured.captured_queries) == 1
    # Kept where Django needs no conversion of the rows (PostgreSQL); built every time
    # otherwise.
    assert len(builds) == (1 if connection.vendor == "postgresql" else 3)


def test_a_query_that_matches_nothing_is_not_kept(world: World) -> None:
    assert statement_of(Ticket.objects.none().values("id")) is None


def test_a_demoted_specialist_sees_only_their_own_at_once(world: World) -> None:
    """The first page's SQL is kept per user and configuration generation: a change of role
    (written by any means) makes the next request build it again."""
    specialist = world.alpha.specialist
    mine = world.ticket(world.alpha)  # registered by the end user, not by the specialist
    client = client_for(specialist)
    listed = client.get("/api/v1/tickets").json()["items"]
    assert [item["id"] for item in listed] == [mine.pk]
    User.objects.filter(pk=specialist.pk).update(role=Role.CUSTOMER_USER)
    assert client.get("/api/v1/tickets").json()["items"] == []
