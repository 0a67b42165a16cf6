"""Statements kept for reuse give exactly the rows a fresh query gives, now."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F, QuerySet
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from sladesk.accounts.choices import Role
from sladesk.accounts.models import User
from sladesk.api.tickets import list_tickets
from sladesk.core import configcache
from sladesk.core.statements import rows_reused, statement_of
from sladesk.tickets.models import Ticket
from sladesk.tickets.selectors import (
    TicketFilters,
    ticket_list,
    ticket_visibility_of,
    ticket_visible_queryset,
)
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

    def build(_values: Mapping[str, Any]) -> QuerySet[Ticket, Row]:
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
    # Kept where Django needs no conversion of the rows (PostgreSQL); built once a call
    # otherwise (the first call evaluates what it built to try keeping it).
    assert len(builds) == (1 if connection.vendor == "postgresql" else 2)


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


def _changed(value: object) -> object:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "-changed"
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(days=1)
    return dt.datetime(2001, 2, 3, tzinfo=dt.UTC) if value is None else value


def _visibility_sql(user: User) -> str:
    try:
        return str(ticket_visible_queryset(user=user).query)
    except EmptyResultSet:
        return "nothing"


def test_the_visibility_key_names_all_the_rule_reads(world: World) -> None:
    """The list's kept SQL is keyed by `ticket_visibility_of`: a field of the user outside
    it must not change the SQL, or a user's stale SQL could serve another state."""
    blocked = world.beta.user
    blocked.blocked_reason = "contract_ended"
    for user in (world.agent1, world.alpha.specialist, world.alpha.user, blocked):
        keyed = set(ticket_visibility_of(user))
        sql = _visibility_sql(user)
        for field in User._meta.concrete_fields:
            value = getattr(user, field.attname)
            if field.primary_key or value in keyed:
                continue
            other = copy.copy(user)
            setattr(other, field.attname, _changed(value))
            assert _visibility_sql(other) == sql, field.name


def test_a_stale_user_never_lends_its_sql_to_the_current_one(world: World) -> None:
    """A request may hold the user as loaded before a change committed meanwhile: what it
    keeps must not serve the user as they are now."""
    world.ticket(world.alpha)  # the end user's
    mine = world.ticket(world.alpha, requester_id=None)  # registered, then handed over
    stale = User.objects.get(pk=world.alpha.specialist.pk)
    User.objects.filter(pk=stale.pk).update(role=Role.CUSTOMER_USER)
    current = User.objects.get(pk=stale.pk)
    Ticket.objects.filter(pk=mine.pk).update(requester=current)

    def listed(user: User) -> list[int]:
        request = RequestFactory().get("/api/v1/tickets")
        request.auth = user  # type: ignore[attr-defined]  # as ninja sets it
        response = list_tickets(request)
        return [item["id"] for item in json.loads(response.content)["items"]]

    assert len(listed(stale)) == 2  # as a specialist: the organisation's
    assert listed(current) == [mine.pk]


def test_other_filter_values_share_the_kept_sql_and_get_their_own_rows(world: World) -> None:
    """Requests that set the same filters share one statement, each with its values bound."""
    a = world.ticket(world.alpha)
    b = world.ticket(world.beta)
    builds: list[Mapping[str, Any]] = []

    def build(values: Mapping[str, Any]) -> QuerySet[Ticket, Row]:
        builds.append(values)
        return visible(world.agent1).filter(**values)

    def fresh(**values: Any) -> list[Row]:
        return list(visible(world.agent1).filter(**values))

    later = a.registered_at + dt.timedelta(seconds=1)
    asked: list[dict[str, Any]] = [
        {"organisation_id": world.alpha.organisation.pk, "registered_at__lt": later},
        {"organisation_id": world.beta.organisation.pk, "registered_at__lt": later},
        {"organisation_id": world.beta.organisation.pk, "registered_at__lt": b.registered_at},
    ]
    if connection.vendor == "postgresql":  # (SQLite refuses to bind it: the API says 400)
        asked.append({"organisation_id": 10**30, "registered_at__lt": later})
    answers = [rows_reused("t", build, values) for values in asked]
    assert answers == [fresh(**values) for values in asked]
    assert [[row["id"] for row in rows] for rows in answers][:3] == [[a.pk], [b.pk], []]
    if connection.vendor == "postgresql":
        # Built once, with stand-ins for the values, never with the values themselves.
        assert len(builds) == 1
        assert builds[0]["organisation_id"] not in (world.alpha.organisation.pk, 10**30)


def test_a_value_rewritten_on_its_way_into_the_sql_is_not_bound(world: World) -> None:
    world.ticket(world.alpha, title="Printer on fire")
    world.ticket(world.alpha, title="Scanner")

    def build(values: Mapping[str, Any]) -> QuerySet[Ticket, Row]:
        return visible(world.agent1).filter(title__icontains=values["text"])

    assert [row["title"] for row in rows_reused("t", build, {"text": "printer"})] == [
        "Printer on fire"
    ]
    assert [row["title"] for row in rows_reused("t", build, {"text": "scan"})] == ["Scanner"]


def test_a_naive_instant_is_read_in_the_current_zone_as_django_reads_it(world: World) -> None:
    ticket = world.ticket(world.alpha)
    local = dt.timezone(dt.timedelta(hours=3))  # Europe/Moscow, the default zone
    naive = ticket.registered_at.astimezone(local).replace(tzinfo=None)
    client = client_for(world.agent1)
    for instant, expected in ((naive, []), (naive + dt.timedelta(seconds=1), [ticket.pk])):
        listed = client.get("/api/v1/tickets", {"registered_to": instant.isoformat()})
        assert [item["id"] for item in listed.json()["items"]] == expected


def test_the_api_list_binds_each_request_its_own_filters(world: World) -> None:
    alpha = world.ticket(world.alpha)
    beta = world.ticket(world.beta)
    client = client_for(world.agent1)
    for organisation, expected in ((world.alpha, alpha), (world.beta, beta)):
        for _repeat in range(2):
            listed = client.get(
                "/api/v1/tickets",
                {"organisation_id": organisation.organisation.pk, "status": expected.status},
            )
            assert [item["id"] for item in listed.json()["items"]] == [expected.pk]
    listed = client.get("/api/v1/tickets", {"status": "closed"})
    assert listed.json()["items"] == []
