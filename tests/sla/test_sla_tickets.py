"""SLA on real tickets with a controlled clock: the seed rules, pauses, reopening, agreed
reclassification, the sweep's warnings, breaches and auto-close, and recomputation."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from sladesk.sla.choices import SlaEventKind, TicketSlaState
from sladesk.sla.models import SlaEvent
from sladesk.sla.selectors import ticket_sla
from sladesk.sla.services import (
    SLA_COLUMNS,
    sla_install_examples,
    sla_recompute,
    sla_sweep,
    ticket_sla_refresh,
)
from sladesk.tickets import services
from sladesk.tickets.choices import EventKind
from sladesk.tickets.models import Severity, Ticket, TicketClass, TicketEvent
from tests.conftest import Customer, World

MSK = ZoneInfo("Europe/Moscow")


def msk(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=MSK)


@pytest.fixture
def sla_world(world: World) -> World:
    policies = sla_install_examples()
    for customer, code in (
        (world.alpha, "moscow-categories"),
        (world.beta, "always-request-classes"),
    ):
        customer.contract.sla_policy = policies[code]
        customer.contract.save()
    return world


def classified(
    world: World, customer: Customer, code: str, level: int | None = None
) -> dict[str, int | None]:
    ticket_class = TicketClass.objects.get(scheme=customer.scheme, code=code)
    severity = Severity.objects.get(ticket_class=ticket_class, level=level) if level else None
    return {"ticket_class_id": ticket_class.pk, "severity_id": severity.pk if severity else None}


def register(
    world: World, customer: Customer, when: dt.datetime, code: str, level: int | None = None
) -> Ticket:
    with time_machine.travel(when, tick=False):
        return world.ticket(customer, **classified(world, customer, code, level))


@pytest.mark.parametrize(
    ("registered", "due"),
    [
        (msk(2026, 11, 6, 11, 30), msk(2026, 11, 6, 19)),  # Friday before the cut-off
        (msk(2026, 11, 6, 12, 30), msk(2026, 11, 9, 19)),  # Friday after it: Monday
        (msk(2026, 12, 31, 12, 30), msk(2027, 1, 11, 19)),  # New Year holidays until 10 January
    ],
)
def test_reaction_to_category_c_follows_the_noon_cut_off(
    sla_world: World, registered: dt.datetime, due: dt.datetime
) -> None:
    ticket = register(sla_world, sla_world.alpha, registered, "C", 1)
    assert ticket.sla_response_due_at == due
    assert ticket.sla_state == TicketSlaState.OK


def test_c_resolution_is_counted_from_the_reproduction_mark(sla_world: World) -> None:
    ticket = register(sla_world, sla_world.alpha, msk(2026, 11, 2, 10), "C", 1)
    assert ticket.sla_resolution_due_at is None  # not reproduced yet: the clock has not started
    with time_machine.travel(msk(2026, 11, 3, 15), tick=False):
        services.ticket_mark_reproduced(actor=sla_world.agent2, ticket_id=ticket.pk, note="Stand 2")
    ticket.refresh_from_db()
    # 9 business hours: 3 on 3 November, which closes at 18:00 before the Unity Day
    # holiday of 4 November (Labour Code art. 95), and 6 on 5 November.
    assert ticket.sla_resolution_due_at == msk(2026, 11, 5, 16)


def test_waiting_pauses_the_clock_and_the_reply_moves_the_due_time(sla_world: World) -> None:
    world = sla_world
    ticket = register(world, world.beta, dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC), "4")  # 24 h
    assert ticket.sla_resolution_due_at == dt.datetime(2026, 11, 3, 8, tzinfo=dt.UTC)
    with time_machine.travel(dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC), tick=False):
        services.ticket_request_info(actor=world.agent1, ticket_id=ticket.pk, question="Logs?")
    ticket.refresh_from_db()
    assert (ticket.sla_state, ticket.sla_resolution_due_at) == (TicketSlaState.PAUSED, None)
    with time_machine.travel(dt.datetime(2026, 11, 2, 15, tzinfo=dt.UTC), tick=False):
        services.ticket_comment(actor=world.beta.user, ticket_id=ticket.pk, body="Attached")
    ticket.refresh_from_db()
    assert ticket.sla_resolution_due_at == dt.datetime(
        2026, 11, 3, 13, tzinfo=dt.UTC
    )  # +5 h paused


def test_reopening_resumes_the_resolution_clock(sla_world: World) -> None:
    world = sla_world
    ticket = register(world, world.beta, dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC), "3")  # 12 h
    with time_machine.travel(dt.datetime(2026, 11, 2, 8, 30, tzinfo=dt.UTC), tick=False):
        services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="Looking")
    with time_machine.travel(dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC), tick=False):
        services.ticket_resolve(actor=world.agent1, ticket_id=ticket.pk, resolution="Restarted")
    ticket.refresh_from_db()
    assert ticket.sla_state == TicketSlaState.DONE
    with time_machine.travel(dt.datetime(2026, 11, 3, 8, tzinfo=dt.UTC), tick=False):
        services.ticket_reopen(actor=world.beta.user, ticket_id=ticket.pk, reason="Back again")
    ticket.refresh_from_db()
    assert ticket.sla_resolution_due_at == dt.datetime(2026, 11, 3, 16, tzinfo=dt.UTC)  # 4 h used


def test_24_7_contract_ignores_weekends(sla_world: World) -> None:
    saturday = dt.datetime(2026, 11, 7, 9, tzinfo=dt.UTC)
    ticket = register(sla_world, sla_world.beta, saturday, "1")
    assert ticket.sla_response_due_at == saturday + dt.timedelta(minutes=30)
    assert ticket.sla_resolution_due_at == saturday + dt.timedelta(hours=4)


def test_an_accepted_reclassification_recomputes_from_registration_and_history_shows_it(
    sla_world: World,
) -> None:
    world = sla_world
    registered = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)
    ticket = register(world, world.beta, registered, "5")  # 72 h
    assert ticket.sla_resolution_due_at == registered + dt.timedelta(hours=72)
    target = TicketClass.objects.get(scheme=world.beta.scheme, code="2")
    with time_machine.travel(registered + dt.timedelta(hours=1), tick=False):
        services.ticket_propose_change(
            actor=world.agent1,
            ticket_id=ticket.pk,
            change=services.ChangeRequest(reason="Server is down", ticket_class_id=target.pk),
        )
        services.proposal_decide(actor=world.beta.specialist, ticket_id=ticket.pk, accept=True)
    ticket.refresh_from_db()
    assert ticket.sla_resolution_due_at == registered + dt.timedelta(hours=8)
    change = TicketEvent.objects.get(
        ticket=ticket, kind=EventKind.SLA_DUE_CHANGED, field="sla_resolution_due_at"
    )
    assert change.before == (registered + dt.timedelta(hours=72)).isoformat()
    assert change.after == (registered + dt.timedelta(hours=8)).isoformat()


def test_the_sweep_warns_then_breaches_once_and_escalates_on_breach(sla_world: World) -> None:
    world = sla_world
    registered = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)
    ticket = register(world, world.beta, registered, "1")  # response 30 min, resolution 4 h
    services.ticket_assign(actor=world.agent1, ticket_id=ticket.pk, assignee_id=world.agent1.pk)
    with time_machine.travel(registered + dt.timedelta(hours=2, minutes=30), tick=False):
        sla_sweep()
        sla_sweep()  # a second pass finds nothing new
    kinds = sorted(SlaEvent.objects.filter(ticket=ticket).values_list("clock", "kind", "threshold"))
    assert kinds == [
        ("resolution", "warning", 50),
        ("response", "breach", 0),
        ("response", "warning", 50),
        ("response", "warning", 80),
    ]
    ticket.refresh_from_db()
    assert ticket.line == world.lines[2]  # the 24/7 policy escalates on breach
    assert ticket.assignee is None
    assert ticket.sla_state == TicketSlaState.BREACHED
    breach = SlaEvent.objects.get(ticket=ticket, kind=SlaEventKind.BREACH)
    assert breach.data["notify"] == [world.agent1.email]


def test_three_working_days_of_silence_close_the_ticket_as_solved_with_a_notice(
    sla_world: World,
) -> None:
    world = sla_world
    ticket = register(world, world.alpha, msk(2026, 11, 5, 11), "D")
    with time_machine.travel(msk(2026, 11, 5, 15), tick=False):
        services.ticket_request_info(
            actor=world.agent1, ticket_id=ticket.pk, question="Which version?"
        )
    with time_machine.travel(msk(2026, 11, 10, 18, 59), tick=False):
        sla_sweep()
    ticket.refresh_from_db()
    assert ticket.status == "waiting_for_customer"
    with time_machine.travel(msk(2026, 11, 10, 19, 1), tick=False):
        sla_sweep()
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert ticket.closed_at == msk(2026, 11, 10, 19)
    assert "no answer for 3 working days" in ticket.comments.last().body  # type: ignore[union-attr]
    assert SlaEvent.objects.filter(ticket=ticket, kind=SlaEventKind.AUTO_CLOSED).count() == 1


def test_a_worker_that_was_down_catches_up(sla_world: World) -> None:
    ticket = register(sla_world, sla_world.beta, dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC), "2")
    with time_machine.travel(dt.datetime(2026, 11, 9, 8, tzinfo=dt.UTC), tick=False):
        assert sla_sweep() == 6  # every warning and both breaches, each once
    assert SlaEvent.objects.filter(ticket=ticket).count() == 6


def test_recomputing_from_events_reproduces_the_cached_columns(sla_world: World) -> None:
    world = sla_world
    moment = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)
    tickets = [
        register(world, world.beta, moment + dt.timedelta(minutes=i * 37), str(1 + i % 6))
        for i in range(6)
    ]
    tickets += [
        register(world, world.alpha, msk(2026, 11, 3, 10 + i), "C", 1 + i % 3) for i in range(3)
    ]
    with time_machine.travel(moment + dt.timedelta(hours=3), tick=False):
        services.ticket_request_info(actor=world.agent1, ticket_id=tickets[0].pk, question="?")
        services.ticket_resolve(actor=world.agent1, ticket_id=tickets[1].pk, resolution="ok")
        sla_sweep()
    columns = [
        "sla_state",
        "sla_response_due_at",
        "sla_resolution_due_at",
        "sla_next_due_at",
        "sla_next_check_at",
    ]
    for ticket in Ticket.objects.all():
        cached = [getattr(ticket, column) for column in columns]
        Ticket.objects.filter(pk=ticket.pk).update(sla_state="", **dict.fromkeys(columns[1:]))
        fresh = Ticket.objects.get(pk=ticket.pk)
        with time_machine.travel(moment + dt.timedelta(hours=3), tick=False):
            ticket_sla_refresh(fresh)
        assert [getattr(fresh, column) for column in columns] == cached
        assert ticket_sla(fresh) is not None


def test_batch_recomputation_reproduces_the_cached_columns(sla_world: World) -> None:
    world = sla_world
    moment = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)
    for i in range(8):
        ticket = register(world, world.beta, moment + dt.timedelta(minutes=i * 41), str(1 + i % 6))
        if i % 3 == 0:
            with time_machine.travel(moment + dt.timedelta(hours=1, minutes=i), tick=False):
                services.ticket_request_info(actor=world.agent1, ticket_id=ticket.pk, question="?")
    register(world, world.alpha, msk(2026, 11, 3, 11), "C", 2)
    now = moment + dt.timedelta(hours=6)
    with time_machine.travel(now, tick=False):
        sla_sweep()
    cached = {row["pk"]: row for row in Ticket.objects.values("pk", *SLA_COLUMNS)}
    Ticket.objects.update(sla_state="", **dict.fromkeys(SLA_COLUMNS[1:]))
    assert sla_recompute(Ticket.objects.all(), now=now, batch=4) == len(cached)
    assert {row["pk"]: row for row in Ticket.objects.values("pk", *SLA_COLUMNS)} == cached


def test_a_breach_can_raise_the_priority(sla_world: World) -> None:
    world = sla_world
    policy = world.beta.contract.sla_policy
    assert policy is not None
    policy.breach_actions = ["raise_priority"]
    policy.save()
    registered = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)
    ticket = register(world, world.beta, registered, "6")  # low priority, response within 8 h
    assert ticket.priority == "low"
    with time_machine.travel(registered + dt.timedelta(hours=9), tick=False):
        sla_sweep()
    ticket.refresh_from_db()
    assert ticket.priority == "medium"
    change = TicketEvent.objects.get(ticket=ticket, field="priority")
    assert (change.before, change.after, change.actor) == ("low", "medium", None)


def test_the_update_clock_restarts_with_every_vendor_update(sla_world: World) -> None:
    world = sla_world
    registered = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)
    ticket = register(world, world.beta, registered, "1")  # an update at least every hour
    with time_machine.travel(registered + dt.timedelta(minutes=10), tick=False):
        services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="Looking")
    with time_machine.travel(registered + dt.timedelta(minutes=75), tick=False):
        sla_sweep()
    with time_machine.travel(registered + dt.timedelta(minutes=90), tick=False):
        services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="Still on it")
        services.ticket_comment(actor=world.beta.user, ticket_id=ticket.pk, body="Any news?")
    with time_machine.travel(registered + dt.timedelta(minutes=155), tick=False):
        sla_sweep()
    breaches = list(
        SlaEvent.objects.filter(ticket=ticket, clock="update", kind="breach")
        .order_by("cycle")
        .values_list("cycle", "due_at")
    )
    assert breaches == [
        (1, registered + dt.timedelta(minutes=70)),
        (2, registered + dt.timedelta(minutes=150)),  # the customer's reply restarts nothing
    ]
