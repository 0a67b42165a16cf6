"""Escalation by the contract's rules: the next line (skipping needs a lead), line 4 only
with the customer's consent and an external case followed up, assignment by the line's
rule, hierarchical escalation into the leads' attention queue, and the category rules of
seed 004 (C4 reclassified, B seeks a replacement after 60 working days, A and D advised)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from sladesk.core.errors import Conflict, PermissionDenied
from sladesk.notifications.models import Notification
from sladesk.sla.services import sla_sweep
from sladesk.tickets import services
from sladesk.tickets.choices import CommentKind, EventKind
from sladesk.tickets.models import Comment, ExternalCase, Ticket, TicketEvent
from tests.api.test_api_behaviour import client_for, post
from tests.conftest import World, signed_in
from tests.sla.test_sla_tickets import classified, msk, sla_world  # sla_world: a fixture

__all__ = ["sla_world"]


def kinds(ticket: Ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))


def test_escalation_goes_to_the_next_line_and_skipping_needs_a_lead(world: World) -> None:
    ticket = world.ticket(world.beta)
    with pytest.raises(PermissionDenied):
        services.ticket_escalate(
            actor=world.agent1, ticket_id=ticket.pk, line_id=world.lines[3].pk, reason="Hard"
        )
    services.ticket_escalate(
        actor=world.agent1, ticket_id=ticket.pk, line_id=world.lines[2].pk, reason="Deeper"
    )
    other = world.ticket(world.beta)
    services.ticket_escalate(
        actor=world.lead, ticket_id=other.pk, line_id=world.lines[3].pk, reason="A known defect"
    )
    assert Ticket.objects.get(pk=other.pk).line == world.lines[3]


def test_line_4_is_reached_only_with_the_customers_consent(world: World) -> None:
    ticket = world.ticket(world.beta)
    external = world.lines[4]
    with pytest.raises(Conflict):
        services.ticket_escalate(
            actor=world.lead, ticket_id=ticket.pk, line_id=external.pk, reason="Vendor bug"
        )
    change = services.ChangeRequest(reason="The database vendor must fix it", line_id=external.pk)
    with pytest.raises(PermissionDenied):  # from line 1 to 4 skips lines: a lead's call
        services.ticket_propose_change(actor=world.agent1, ticket_id=ticket.pk, change=change)
    services.ticket_propose_change(actor=world.lead, ticket_id=ticket.pk, change=change)
    assert Ticket.objects.get(pk=ticket.pk).line == world.lines[1]  # nothing yet
    services.proposal_decide(actor=world.beta.specialist, ticket_id=ticket.pk, accept=False)
    assert Ticket.objects.get(pk=ticket.pk).line == world.lines[1]
    services.ticket_propose_change(actor=world.lead, ticket_id=ticket.pk, change=change)
    services.proposal_decide(actor=world.beta.specialist, ticket_id=ticket.pk, accept=True)
    assert Ticket.objects.get(pk=ticket.pk).line == external
    history = kinds(ticket)
    assert history.index(EventKind.PROPOSAL_REJECTED) < history.index(EventKind.PROPOSAL_ACCEPTED)
    assert history.index(EventKind.PROPOSAL_ACCEPTED) < history.index(EventKind.ESCALATED)
    # Alpha's contract includes three lines: not even a proposal.
    alpha = world.ticket(world.alpha)
    with pytest.raises(Conflict):
        services.ticket_propose_change(actor=world.lead, ticket_id=alpha.pk, change=change)
    # Accepted after the ticket was cancelled, a proposal changes nothing.
    later = world.ticket(world.beta)
    services.ticket_propose_change(actor=world.lead, ticket_id=later.pk, change=change)
    services.ticket_cancel(actor=world.beta.user, ticket_id=later.pk, reason="Not needed")
    with pytest.raises(Conflict):
        services.proposal_decide(actor=world.beta.specialist, ticket_id=later.pk, accept=True)
    assert Ticket.objects.get(pk=later.pk).line == world.lines[1]


def on_line_4(world: World) -> Ticket:
    ticket = world.ticket(world.beta)
    change = services.ChangeRequest(reason="Vendor", line_id=world.lines[4].pk)
    services.ticket_propose_change(actor=world.lead, ticket_id=ticket.pk, change=change)
    services.proposal_decide(actor=world.beta.specialist, ticket_id=ticket.pk, accept=True)
    return ticket


def test_an_external_case_is_tracked_and_followed_up(world: World) -> None:
    ticket = on_line_4(world)
    world.lines[4].members.add(world.lead)
    services.ticket_assign(actor=world.lead, ticket_id=ticket.pk, assignee_id=world.lead.pk)
    case = services.ticket_external_case_open(
        actor=world.lead,
        ticket_id=ticket.pk,
        change=services.ExternalCaseChange(
            note="Sent the logs",
            vendor="DB Corp",
            reference="DBC-77",
            follow_up_on=dt.date(2026, 12, 10),
        ),
    )
    assert Ticket.objects.get(pk=ticket.pk).external_reference == "DBC-77"
    assert services.external_cases_remind(today=dt.date(2026, 12, 9)) == 0
    assert services.external_cases_remind(today=dt.date(2026, 12, 10)) == 1
    assert services.external_cases_remind(today=dt.date(2026, 12, 11)) == 0  # once a date
    reminders = Notification.objects.filter(ticket=ticket, kind="attention", channel="email")
    assert list(reminders.values_list("recipient", flat=True)) == [world.lead.email]
    services.ticket_external_case_update(
        actor=world.lead,
        ticket_id=ticket.pk,
        case_id=case.pk,
        change=services.ExternalCaseChange(
            note="They reproduced it", status="waiting_vendor", follow_up_on=dt.date(2026, 12, 14)
        ),
    )
    assert services.external_cases_remind(today=dt.date(2026, 12, 14)) == 1  # re-armed
    notes = Comment.objects.filter(ticket=ticket, kind=CommentKind.INTERNAL).values_list(
        "body", flat=True
    )
    assert any("Sent the logs" in body for body in notes)
    assert any("They reproduced it" in body for body in notes)
    assert EventKind.EXTERNAL_CASE_UPDATED in kinds(ticket)
    # Only a ticket on an external line has one; customers see none of it.
    plain = world.ticket(world.beta)
    with pytest.raises(Conflict):
        services.ticket_external_case_open(
            actor=world.lead,
            ticket_id=plain.pk,
            change=services.ExternalCaseChange(note="x", vendor="y"),
        )
    response = client_for(world.beta.specialist).get(f"/api/v1/tickets/{ticket.pk}/external-cases")
    assert response.status_code == 403
    assert ExternalCase.objects.count() == 1


def test_escalated_tickets_go_to_whom_the_lines_rule_picks(world: World) -> None:
    line = world.lines[2]
    second = world.agent3
    line.members.add(second)
    line.members.remove(world.lead)
    line.assignment_rule = "round_robin"
    line.save()
    picked = []
    for _turn in range(3):
        ticket = world.ticket(world.beta)
        services.ticket_escalate(
            actor=world.agent1, ticket_id=ticket.pk, line_id=line.pk, reason="Deeper"
        )
        picked.append(Ticket.objects.get(pk=ticket.pk).assignee_id)
    first, other = sorted([world.agent2.pk, second.pk])
    assert picked == [first, other, first]
    line.assignment_rule = "least_loaded"
    line.save()
    ticket = world.ticket(world.beta)
    services.ticket_escalate(actor=world.agent1, ticket_id=ticket.pk, line_id=line.pk, reason="x")
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == other  # one open ticket, not two
    chosen = world.ticket(world.beta)
    services.ticket_escalate(
        actor=world.agent1,
        ticket_id=chosen.pk,
        line_id=line.pk,
        reason="x",
        assignee_id=world.agent2.pk,
    )
    assert Ticket.objects.get(pk=chosen.pk).assignee_id == world.agent2.pk


def test_an_agent_raises_a_ticket_to_the_leads_attention_queue(world: World) -> None:
    ticket = world.ticket(world.beta)
    world.lines[1].lead = world.lead
    world.lines[1].save()
    services.ticket_raise_attention(
        actor=world.agent1, ticket_id=ticket.pk, reason="The customer threatens to leave"
    )
    queue = signed_in(world.lead).get("/tickets/?queue=attention").content.decode()
    assert ticket.number in queue
    assert (
        ticket.number
        not in signed_in(world.agent1).get("/tickets/?queue=attention").content.decode()
    )
    assert Notification.objects.filter(ticket=ticket, recipient=world.lead.email).exists()
    with pytest.raises(PermissionDenied):
        services.ticket_attention_clear(actor=world.agent1, ticket_id=ticket.pk, note="ok")
    services.ticket_attention_clear(actor=world.lead, ticket_id=ticket.pk, note="Call them")
    assert Ticket.objects.get(pk=ticket.pk).attention_at is None
    assert (
        ticket.number not in signed_in(world.lead).get("/tickets/?queue=attention").content.decode()
    )


def test_the_api_raises_and_clears_attention(world: World) -> None:
    ticket = world.ticket(world.beta)
    agent = client_for(world.agent1)
    assert (
        post(agent, f"/api/v1/tickets/{ticket.pk}/attention", {"reason": "Stuck"}).status_code
        == 200
    )
    assert (
        post(agent, f"/api/v1/tickets/{ticket.pk}/attention", {"reason": "Again"}).status_code
        == 409
    )
    lead = client_for(world.lead)
    cleared = post(lead, f"/api/v1/tickets/{ticket.pk}/attention/clear", {"text": "Done"})
    assert cleared.status_code == 200
    customer = client_for(world.beta.user)
    assert (
        post(customer, f"/api/v1/tickets/{ticket.pk}/attention", {"reason": "x"}).status_code == 403
    )


def test_b_unresolved_after_60_working_days_asks_the_lead_to_seek_a_replacement(
    sla_world: World,
) -> None:
    world = sla_world
    with time_machine.travel(msk(2026, 11, 2, 11), tick=False):
        ticket = world.ticket(
            world.alpha, title="Library bug", **classified(world, world.alpha, "B")
        )
        services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="Reported upstream")
    ticket.refresh_from_db()
    assert ticket.sla_resolution_due_at is not None
    with time_machine.travel(ticket.sla_resolution_due_at + dt.timedelta(minutes=1), tick=False):
        sla_sweep()
    ticket.refresh_from_db()
    assert ticket.attention_at is not None
    assert "seek a replacement" in ticket.attention_reason


def test_a_and_d_are_answered_as_advice_and_the_customer_is_told(sla_world: World) -> None:
    world = sla_world
    ticket = world.ticket(world.alpha, title="How to", **classified(world, world.alpha, "D"))
    page = signed_in(world.alpha.user).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "data-advice" in page
    services.ticket_resolve(actor=world.agent1, ticket_id=ticket.pk, resolution="See manual 4.2")
    told = Comment.objects.filter(ticket=ticket, kind=CommentKind.SYSTEM).values_list(
        "body", flat=True
    )
    assert any("advice" in body for body in told)


def test_c4_offers_reclassification_to_a_or_d(sla_world: World) -> None:
    world = sla_world
    ticket = world.ticket(world.alpha, title="Not ours", **classified(world, world.alpha, "C", 4))
    page = signed_in(world.agent1).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "data-reclassify" in page


def test_the_ticket_page_carries_every_escalation_step(world: World) -> None:
    from tests.web.test_workspace import act

    world.lines[1].lead = world.lead
    world.lines[1].save()
    world.lines[4].members.add(world.lead)
    ticket = world.ticket(world.beta)
    agent, lead = signed_in(world.agent1), signed_in(world.lead)
    page = agent.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-action="propose_external"' in page
    assert 'data-action="attention_clear"' not in page
    act(agent, ticket, "attention", reason="The customer is angry")
    assert ticket.attention_at is not None
    assert (
        'data-action="attention_clear"' not in agent.get(f"/tickets/{ticket.pk}/").content.decode()
    )
    assert act(lead, ticket, "attention_clear", note="I call them").attention_at is None
    act(lead, ticket, "propose_external", line=world.lines[4].pk, reason="Their driver")
    act(signed_in(world.beta.specialist), ticket, "accept", comment="")
    assert ticket.line == world.lines[4]
    act(lead, ticket, "external_case", vendor="DB Corp", reference="DBC-1", note="Logs sent")
    case = ExternalCase.objects.get(ticket=ticket)
    act(
        lead,
        ticket,
        "external_case",
        case=case.pk,
        status="waiting_vendor",
        follow_up_on="2026-12-20",
        note="They asked for a dump",
    )
    case.refresh_from_db()
    assert (case.status, case.follow_up_on) == ("waiting_vendor", dt.date(2026, 12, 20))
    page = lead.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f'data-external-case="{case.pk}"' in page
    # The escalation form names a person; a customer sees none of it.
    other = world.ticket(world.beta)
    act(agent, other, "escalate", line=world.lines[2].pk, reason="Deeper", assignee=world.agent2.pk)
    assert other.assignee == world.agent2
    customer = signed_in(world.beta.user)
    customer_page = customer.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "data-external-case" not in customer_page
    assert "Raised to the lead" not in customer_page
    refused = customer.post(f"/tickets/{ticket.pk}/external_case/", {"external_case-note": "x"})
    assert refused.status_code == 302  # a message, not a 500
    events = client_for(world.beta.user).get(f"/api/v1/tickets/{ticket.pk}/events").json()
    kinds_seen = {event["kind"] for event in events}
    assert not kinds_seen & {"attention_raised", "external_case_opened", "external_case_updated"}


def test_an_sla_escalation_never_reaches_the_external_vendor(sla_world: World) -> None:
    world = sla_world
    registered = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)
    with time_machine.travel(registered, tick=False):
        ticket = world.ticket(world.beta, title="Down", **classified(world, world.beta, "1"))
        services.ticket_escalate(
            actor=world.lead, ticket_id=ticket.pk, line_id=world.lines[3].pk, reason="Defect"
        )
    with time_machine.travel(registered + dt.timedelta(hours=5), tick=False):
        sla_sweep()  # the 24/7 policy escalates on breach: line 3 is as far as it goes
    assert Ticket.objects.get(pk=ticket.pk).line == world.lines[3]


def test_a_stopped_ticket_is_done_even_with_a_clock_not_started(sla_world: World) -> None:
    world = sla_world
    ticket = world.ticket(world.alpha, title="Crash", **classified(world, world.alpha, "C", 1))
    services.ticket_resolve(actor=world.agent1, ticket_id=ticket.pk, resolution="Fixed")
    assert Ticket.objects.get(pk=ticket.pk).sla_state == "done"  # never reproduced
