"""A contract's report checked against figures computed by hand: Moscow working days
(10:00-19:00), a cut-off at 12:00, a pause while waiting for the customer, resolution
counted from reproduction, a reopening, an escalation, a ticket from the month before."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from sladesk.reports import selectors
from sladesk.reports.facts import figures_catch_up
from sladesk.reports.models import StaleTicket, TicketFigures
from sladesk.sla.services import sla_install_examples
from sladesk.tickets import services
from sladesk.tickets.models import Severity, TicketClass
from tests.conftest import World

MSK = ZoneInfo("Europe/Moscow")


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=MSK)


def register(world: World, moment: dt.datetime, code: str, level: int | None = None) -> int:
    ticket_class = TicketClass.objects.get(scheme=world.alpha.scheme, code=code)
    severity = Severity.objects.get(ticket_class=ticket_class, level=level) if level else None
    with time_machine.travel(moment, tick=False):
        return world.ticket(
            world.alpha,
            title=f"Class {code}",
            ticket_class_id=ticket_class.pk,
            severity_id=severity.pk if severity else None,
        ).pk


def step(moment: dt.datetime, action, **arguments: object) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(moment, tick=False):
        action(**arguments)


@pytest.fixture
def november(world: World) -> dict[str, int]:
    """Six tickets; the figures each should give are in the test below."""
    world.alpha.contract.sla_policy = sla_install_examples()["moscow-categories"]
    world.alpha.contract.save()
    agent, customer = world.agent1, world.alpha.user
    comment, resolve = services.ticket_comment, services.ticket_resolve
    # T1: C1, registered before opening on Monday; answered 11:00; waits for the customer
    # 12:00-15:00; reproduced 16:00; resolved Tuesday 12:00 (5 h after reproduction).
    t1 = register(world, at(9, 9), "C", 1)
    step(at(9, 11), comment, actor=agent, ticket_id=t1, body="Looking")
    step(at(9, 12), services.ticket_request_info, actor=agent, ticket_id=t1, question="Logs?")
    step(at(9, 15), comment, actor=customer, ticket_id=t1, body="Attached")
    step(at(9, 16), services.ticket_mark_reproduced, actor=agent, ticket_id=t1, note="Seen")
    step(at(10, 12), resolve, actor=agent, ticket_id=t1, resolution="Patched")
    # T2: A (2 working days to respond), Monday 14:00, answered Thursday 10:00: 23 h, late.
    t2 = register(world, at(9, 14), "A")
    step(at(12, 10), comment, actor=agent, ticket_id=t2, body="Sorry for the wait")
    # T3: B, Tuesday 13:00 (after the cut-off: due Wednesday 19:00), answered Wednesday
    # 18:00 (14 h), resolved 18:30, reopened Thursday 10:00, resolved again 11:00.
    t3 = register(world, at(10, 13), "B")
    step(at(11, 18), comment, actor=agent, ticket_id=t3, body="Known issue")
    step(at(11, 18, 30), resolve, actor=agent, ticket_id=t3, resolution="Workaround")
    step(at(12, 10), services.ticket_reopen, actor=customer, ticket_id=t3, reason="Back again")
    step(at(12, 11), resolve, actor=agent, ticket_id=t3, resolution="Fixed for good")
    # T4: D, Monday 10:00, answered 10:30, escalated to line 2, resolved there at 12:00.
    t4 = register(world, at(9, 10), "D")
    step(at(9, 10, 30), comment, actor=agent, ticket_id=t4, body="Passing on")
    step(
        at(9, 11),
        services.ticket_escalate,
        actor=agent,
        ticket_id=t4,
        line_id=world.lines[2].pk,
        reason="Needs a developer",
    )
    step(at(9, 12), resolve, actor=world.agent2, ticket_id=t4, resolution="Config fixed")
    # T5: registered in October, resolved in November: counted as resolved, not registered.
    t5 = register(world, at(30, 10, month=10), "D")
    step(at(30, 11, month=10), comment, actor=agent, ticket_id=t5, body="On it")
    step(at(10, 10), resolve, actor=agent, ticket_id=t5, resolution="Done")
    # T6: E, Thursday 10:00, never answered: its 5 working days ran out on Thursday 19th.
    t6 = register(world, at(12, 10), "E")
    return {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5, "t6": t6}


def report(world: World, moment: dt.datetime, period: str = "2026-11"):  # type: ignore[no-untyped-def]
    contract = selectors.report_contract_get(actor=world.lead, contract_id=world.alpha.contract.pk)
    with time_machine.travel(moment, tick=False):
        return selectors.sla_report(
            contract=contract, period=selectors.report_period(contract, period=period)
        )


def test_the_month_matches_the_figures_computed_by_hand(
    world: World, november: dict[str, int]
) -> None:
    figures = report(world, at(1, 12, month=12))
    assert figures.tickets == 5  # T5 was registered in October
    assert figures.resolved == 4  # T1, T3, T4 and T5
    assert figures.open_at_end == 2  # T2 (answered, not resolved) and T6
    assert (figures.response.measured, figures.response.met) == (5, 3)
    assert figures.response_met_percent == 60.0
    # Stopped response clocks: T4 30 min, T1 1 h, T3 14 h, T2 23 h (business time).
    assert figures.response.median_seconds == 3600
    assert figures.response.p90_seconds == 23 * 3600
    # T1 5 h from reproduction (the pause is before it); T3 14.5 h + 1 h after reopening.
    assert (figures.resolution.measured, figures.resolution.met) == (2, 2)
    assert figures.resolution.median_seconds == 5 * 3600
    assert figures.resolution.p90_seconds == int(15.5 * 3600)
    assert figures.reopened == 1
    assert figures.first_line == 3  # T4 was escalated
    assert {(b.number[-4:], b.clock) for b in figures.breaches} == {
        (TicketFigures.objects.get(pk=november["t2"]).number[-4:], "response"),
        (TicketFigures.objects.get(pk=november["t6"]).number[-4:], "response"),
    }
    by_class = {row.label[0]: row for row in figures.breakdowns[0].rows}
    assert (by_class["D"].registered, by_class["D"].resolved, by_class["D"].open) == (1, 2, 0)
    assert (by_class["A"].registered, by_class["A"].open) == (1, 1)


def test_a_clock_running_past_its_due_time_counts_as_breached_without_a_recount(
    world: World, november: dict[str, int]
) -> None:
    before = report(world, at(16, 12))  # T6's response is due on the 19th at 19:00
    t6 = TicketFigures.objects.get(pk=november["t6"])
    assert t6.number not in {breach.number for breach in before.breaches}
    assert len(before.breaches) == 1
    assert StaleTicket.objects.count() == 0
    after = report(world, at(20, 10))
    assert t6.number in {breach.number for breach in after.breaches}
    assert TicketFigures.objects.get(pk=november["t6"]).response_state == "running"


def test_figures_are_counted_by_the_report_when_the_worker_is_behind(
    world: World, november: dict[str, int]
) -> None:
    assert StaleTicket.objects.filter(ticket_id=november["t3"]).exists()
    report(world, at(1, 12, month=12))
    assert not StaleTicket.objects.exists()
    assert TicketFigures.objects.get(pk=november["t3"]).reopened == 1


def test_recounting_from_scratch_gives_the_same_rows(
    world: World, november: dict[str, int]
) -> None:
    first = report(world, at(1, 12, month=12))
    TicketFigures.objects.all().delete()
    StaleTicket.objects.bulk_create([StaleTicket(ticket_id=pk) for pk in november.values()])
    with time_machine.travel(at(1, 12, month=12), tick=False):
        assert figures_catch_up() == 6
    again = report(world, at(1, 12, month=12))
    assert again.response == first.response
    assert again.resolution == first.resolution
    assert again.breakdowns == first.breakdowns


def test_a_month_without_tickets_is_a_valid_empty_report(world: World) -> None:
    figures = report(world, at(1, 12, month=12), period="2026-06")
    assert figures.tickets == 0
    assert figures.response.met_percent is None
    assert figures.breaches == []
    assert all(breakdown.rows == [] for breakdown in figures.breakdowns)
