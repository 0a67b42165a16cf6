"""Batch recomputation writes the cached SLA columns in one set-based UPDATE per batch."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sladesk.sla.services import (
    SLA_COLUMNS,
    _columns,
    _recorded,
    _ticket_sla,
    sla_install_examples,
    sla_recompute,
)
from sladesk.tickets import services
from sladesk.tickets.models import Ticket, TicketClass
from sladesk.tickets.signals import tickets_changed
from tests.conftest import World

REGISTERED = dt.datetime(2026, 11, 2, 8, 0, 0, 123456, tzinfo=dt.UTC)
NOW = REGISTERED + dt.timedelta(hours=3, minutes=7)


@pytest.fixture
def tickets(world: World) -> list[int]:
    """Five beta tickets under a policy (one paused for information, one answered by the
    vendor) and one alpha ticket whose contract has no policy (its targets are NULL)."""
    world.beta.contract.sla_policy = sla_install_examples()["always-request-classes"]
    world.beta.contract.save()
    ids = []
    for number, code in enumerate(("1", "2", "3", "5", "6")):
        ticket_class = TicketClass.objects.get(scheme=world.beta.scheme, code=code)
        with time_machine.travel(REGISTERED + dt.timedelta(minutes=number * 13), tick=False):
            ids.append(
                world.ticket(world.beta, title=f"Class {code}", ticket_class_id=ticket_class.pk).pk
            )
    with time_machine.travel(REGISTERED + dt.timedelta(hours=1), tick=False):
        services.ticket_request_info(actor=world.agent1, ticket_id=ids[1], question="Which host?")
        services.ticket_comment(actor=world.agent1, ticket_id=ids[2], body="Looking at it.")
    with time_machine.travel(REGISTERED, tick=False):
        ids.append(world.ticket(world.alpha, title="No policy").pk)
    return ids


def expected(now: dt.datetime) -> dict[int, dict[str, Any]]:
    """The columns as a single ticket's refresh computes them, one ticket at a time."""
    return {
        ticket.pk: _columns(_ticket_sla(ticket, now, None), _recorded(ticket), now)
        for ticket in Ticket.objects.select_related("contract")
    }


def stored() -> dict[int, dict[str, Any]]:
    return {row.pop("pk"): row for row in Ticket.objects.values("pk", *SLA_COLUMNS)}


def ticket_updates(queries: CaptureQueriesContext) -> list[str]:
    table = connection.ops.quote_name(Ticket._meta.db_table)
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith("UPDATE") and table in query["sql"]
    ]


@pytest.fixture
def announced() -> list[list[int]]:
    calls: list[list[int]] = []

    def receiver(sender: type[Ticket], *, ticket_ids: list[int], **kwargs: Any) -> None:
        calls.append(list(ticket_ids))

    tickets_changed.connect(receiver, dispatch_uid="test-recompute-sets")
    yield calls
    tickets_changed.disconnect(dispatch_uid="test-recompute-sets")


def test_recomputation_restores_corrupted_columns_across_batches(
    tickets: list[int], announced: list[list[int]]
) -> None:
    truth = expected(NOW)
    assert {truth[pk]["sla_state"] for pk in tickets[:5]} >= {"ok", "paused"}
    assert truth[tickets[5]] == {"sla_state": "", **dict.fromkeys(SLA_COLUMNS[1:])}
    wrong = REGISTERED - dt.timedelta(days=3, microseconds=1)
    Ticket.objects.filter(pk__in=tickets[:3]).update(
        sla_state="breached", **dict.fromkeys(SLA_COLUMNS[1:], wrong)
    )
    Ticket.objects.filter(pk=tickets[3]).update(sla_state="", **dict.fromkeys(SLA_COLUMNS[1:]))
    Ticket.objects.filter(pk=tickets[5]).update(sla_state="ok", sla_next_check_at=wrong)

    with CaptureQueriesContext(connection) as queries:
        assert sla_recompute(Ticket.objects.all(), now=NOW, batch=2) == 6

    assert stored() == truth
    assert stored()[tickets[5]] == {"sla_state": "", **dict.fromkeys(SLA_COLUMNS[1:])}
    assert len(ticket_updates(queries)) == 3  # one per batch with a change: (1,2) (3,4) (5,6)
    assert sorted(pk for call in announced for pk in call) == sorted(
        [*tickets[:4], tickets[5]]
    )  # the fifth ticket was right already


def raw_due_times() -> list[tuple[Any, ...]]:
    """The due times as the database holds them (on SQLite: Django's UTC text)."""
    table = connection.ops.quote_name(Ticket._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(Ticket._meta.get_field(name).column)
        for name in ("id", "sla_response_due_at", "sla_resolution_due_at")
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} ORDER BY 1")  # noqa: S608  # model names
        return list(cursor.fetchall())


def test_recomputation_stores_the_columns_as_django_does(tickets: list[int]) -> None:
    """Microseconds and time zones survive the round trip through the VALUES list, and the
    stored values are what Django's own UPDATE stores (on SQLite: the same UTC text)."""
    truth = expected(NOW)
    for ticket_id, columns in truth.items():
        Ticket.objects.filter(pk=ticket_id).update(**columns)
    raw = raw_due_times()
    Ticket.objects.update(sla_state="", **dict.fromkeys(SLA_COLUMNS[1:]))
    sla_recompute(Ticket.objects.all(), now=NOW)
    assert stored() == truth
    assert raw_due_times() == raw
    due = [row[1] for row in raw if row[1] is not None]
    assert len(due) == 5
    assert {value.microsecond for value in stored_due()} == {123456}  # 24/7 budgets keep them
    assert Ticket.objects.filter(sla_response_due_at=stored_due()[0]).exists()  # exact lookups


def stored_due() -> list[dt.datetime]:
    return [
        value
        for value in Ticket.objects.order_by("pk").values_list("sla_response_due_at", flat=True)
        if value is not None
    ]


def test_a_recomputation_that_changes_nothing_writes_nothing(
    tickets: list[int], announced: list[list[int]]
) -> None:
    sla_recompute(Ticket.objects.all(), now=NOW, batch=2)
    announced.clear()
    before = stored()
    with CaptureQueriesContext(connection) as queries:
        assert sla_recompute(Ticket.objects.all(), now=NOW, batch=2) == 6
    assert ticket_updates(queries) == []
    assert announced == []
    assert stored() == before


def test_a_large_batch_is_split_to_the_bound_parameter_limit(
    tickets: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sladesk.sla import services as sla_services

    truth = expected(NOW)
    monkeypatch.setattr(sla_services, "_max_query_params", lambda: 12)  # two rows a statement
    Ticket.objects.update(sla_state="", **dict.fromkeys(SLA_COLUMNS[1:]))
    Ticket.objects.filter(pk=tickets[5]).update(sla_state="ok")
    with CaptureQueriesContext(connection) as queries:
        sla_recompute(Ticket.objects.all(), now=NOW, batch=100)
    assert stored() == truth
    assert len(ticket_updates(queries)) == 3
