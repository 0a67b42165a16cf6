"""Every ticket is clocked (unclassified ones by the policy's default row), the SLA badge
shows the worst clock still owed, and the history records only real changes."""

from __future__ import annotations

import datetime as dt
import io

import time_machine
from django.core.management import call_command

from sladesk.sla.choices import SlaEventKind, TicketSlaState
from sladesk.sla.models import SlaEvent, SlaPolicy, SlaTarget
from sladesk.sla.services import sla_policy_ensure_default, sla_sweep
from sladesk.tickets import services
from sladesk.tickets.choices import EventKind
from sladesk.tickets.models import Ticket, TicketEvent
from tests.conftest import World, signed_in
from tests.sla.test_sla_tickets import classified, msk, sla_world  # sla_world: a fixture

__all__ = ["sla_world"]


def test_an_unclassified_alpha_ticket_is_due_and_breaches(sla_world: World) -> None:
    world = sla_world
    with time_machine.travel(msk(2026, 11, 2, 11), tick=False):  # Monday, before noon
        ticket = world.ticket(world.alpha, title="Nothing works")
    assert ticket.ticket_class_id is None
    assert ticket.sla_response_due_at == msk(2026, 11, 2, 19)  # the default row's cut-off
    assert ticket.sla_resolution_due_at is None  # the class brings one
    assert ticket.sla_state == TicketSlaState.OK
    with time_machine.travel(msk(2026, 11, 2, 19, 1), tick=False):
        sla_sweep()
    ticket.refresh_from_db()
    assert ticket.sla_state == TicketSlaState.BREACHED
    assert SlaEvent.objects.filter(ticket=ticket, kind=SlaEventKind.BREACH).count() == 1
    queue = signed_in(world.agent1).get("/tickets/?queue=breached").content.decode()
    assert ticket.number in queue
    assert "data-unclassified" in queue


def test_classification_recomputes_from_the_registration_time(sla_world: World) -> None:
    world = sla_world
    registered = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)
    with time_machine.travel(registered, tick=False):
        ticket = world.ticket(world.beta, title="Server down")
    assert ticket.sla_response_due_at == registered + dt.timedelta(minutes=30)
    with time_machine.travel(registered + dt.timedelta(minutes=10), tick=False):
        services.ticket_classify(
            actor=world.agent1, ticket_id=ticket.pk, **classified(world, world.beta, "3")
        )
    ticket.refresh_from_db()
    assert ticket.sla_response_due_at == registered + dt.timedelta(hours=1)  # class 3
    assert ticket.sla_resolution_due_at == registered + dt.timedelta(hours=12)


def test_the_ticket_page_says_the_default_targets_apply_until_classified(
    sla_world: World,
) -> None:
    world = sla_world
    ticket = world.ticket(world.alpha, title="Unclear")
    page = signed_in(world.alpha.user).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "data-sla-default" in page
    services.ticket_classify(
        actor=world.agent1, ticket_id=ticket.pk, **classified(world, world.alpha, "D")
    )
    page = signed_in(world.alpha.user).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "data-sla-default" not in page


def test_every_policy_gets_one_default_row(sla_world: World) -> None:
    for policy in SlaPolicy.objects.all():
        defaults = [row for row in policy.targets.all() if row.is_default]
        assert len(defaults) == 1, policy
    policy = SlaPolicy.objects.get(name__startswith="Categories")
    SlaTarget.objects.filter(policy=policy, ticket_class__isnull=True).delete()
    made = sla_policy_ensure_default(policy=policy)
    assert made.is_default
    assert made.response_cutoff == dt.time(12)  # the strictest reaction of the rows
    assert made.resolution_budget is None
    assert sla_policy_ensure_default(policy=policy) == made  # once


def test_a_waiting_ticket_shows_when_it_closes_by_itself(sla_world: World) -> None:
    world = sla_world
    with time_machine.travel(msk(2026, 11, 9, 11), tick=False):  # Monday
        ticket = world.ticket(world.alpha, title="Slow", **classified(world, world.alpha, "D"))
        services.ticket_request_info(actor=world.agent1, ticket_id=ticket.pk, question="Logs?")
        page = signed_in(world.alpha.user).get(f"/tickets/{ticket.pk}/").content.decode()
    # Three working days after Monday: the close of Thursday, 12 November.
    assert 'data-closes-at="2026-11-12T19:00:00+03:00"' in page


def test_the_badge_is_never_done_while_the_resolution_is_owed(sla_world: World) -> None:
    world = sla_world
    with time_machine.travel(msk(2026, 11, 9, 11), tick=False):
        # Category A: a response target, no resolution target.
        ticket = world.ticket(world.alpha, title="Disk", **classified(world, world.alpha, "A"))
        services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="Please check")
    ticket.refresh_from_db()
    assert ticket.sla_state == TicketSlaState.OK
    with time_machine.travel(msk(2026, 11, 9, 12), tick=False):
        services.ticket_resolve(actor=world.agent1, ticket_id=ticket.pk, resolution="Done")
    ticket.refresh_from_db()
    assert ticket.sla_state == TicketSlaState.DONE


def test_the_badge_shows_the_worst_clock_still_owed(sla_world: World) -> None:
    world = sla_world
    registered = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)
    with time_machine.travel(registered, tick=False):  # class 5: 4 h response, 72 h resolution
        ticket = world.ticket(world.beta, title="Slow page", **classified(world, world.beta, "5"))
    with time_machine.travel(registered + dt.timedelta(hours=5), tick=False):
        sla_sweep()
        ticket.refresh_from_db()
        assert ticket.sla_state == TicketSlaState.BREACHED  # the reaction is owed and late
        services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="On it")
    ticket.refresh_from_db()
    # The late reaction stays a breach in the SLA events; what is owed now is on track.
    assert ticket.sla_state == TicketSlaState.OK


def due_changes(ticket: Ticket) -> list[TicketEvent]:
    return list(TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA_DUE_CHANGED))


def test_no_due_time_event_without_a_change(sla_world: World) -> None:
    world = sla_world
    start = msk(2026, 11, 9, 11)
    with time_machine.travel(start, tick=False):
        ticket = world.ticket(world.alpha, title="Crash", **classified(world, world.alpha, "C", 2))
        services.ticket_mark_reproduced(actor=world.agent1, ticket_id=ticket.pk, note="Stand 1")
    ticket.refresh_from_db()
    due = ticket.sla_resolution_due_at
    assert due is not None
    for offset, act in (
        (
            1,
            lambda: services.ticket_assign(
                actor=world.lead, ticket_id=ticket.pk, assignee_id=world.agent1.pk
            ),
        ),
        (2, lambda: services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="Hi")),
        (
            3,
            lambda: services.ticket_request_info(
                actor=world.agent1, ticket_id=ticket.pk, question="Which build?"
            ),
        ),
    ):
        with time_machine.travel(start + dt.timedelta(minutes=offset), tick=False):
            act()
    # The customer answers 400 ms later: the resolution due moves by 0.4 s, nobody sees it.
    answered = start + dt.timedelta(minutes=3, milliseconds=400)
    with time_machine.travel(answered, tick=False):
        services.ticket_comment(actor=world.alpha.user, ticket_id=ticket.pk, body="2.4.1")
    ticket.refresh_from_db()
    assert ticket.sla_resolution_due_at == due + dt.timedelta(milliseconds=400)  # exact
    assert due_changes(ticket) == []
    with time_machine.travel(start + dt.timedelta(minutes=5), tick=False):
        sla_sweep()
    assert due_changes(ticket) == []


def test_assignment_events_name_the_assignee(sla_world: World) -> None:
    world = sla_world
    ticket = world.ticket(world.alpha, title="Who?")
    services.ticket_assign(actor=world.lead, ticket_id=ticket.pk, assignee_id=world.agent1.pk)
    page = signed_in(world.lead).get(f"/tickets/{ticket.pk}/").content.decode()
    assert f"— → {world.agent1}" in page


def test_recomputing_clocks_tickets_registered_before_the_default_rows(sla_world: World) -> None:
    world = sla_world
    ticket = world.ticket(world.alpha, title="Old")
    Ticket.objects.filter(pk=ticket.pk).update(sla_state="", sla_response_due_at=None)
    call_command("recompute_sla", stdout=io.StringIO())
    ticket.refresh_from_db()
    assert ticket.sla_response_due_at is not None
