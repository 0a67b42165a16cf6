"""Random sequences of real service calls: no illegal state is reachable, a refused action
writes nothing, and replaying the events rebuilds the ticket's state (invariant 2)."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sladesk.core.errors import DomainError
from sladesk.tickets import lifecycle, services
from sladesk.tickets.models import Ticket, TicketClass, TicketEvent
from sladesk.tickets.selectors import ticket_state_from_events
from sladesk.tickets.services.history import snapshot
from tests.conftest import World

Step = Callable[[World, Ticket], object]


def _propose(world: World, ticket: Ticket) -> object:
    other = (
        TicketClass.objects.filter(scheme=world.alpha.scheme)
        .exclude(pk=ticket.ticket_class_id)
        .first()
    )
    assert other is not None
    return services.ticket_propose_change(
        actor=world.agent1,
        ticket_id=ticket.pk,
        change=services.ChangeRequest(
            reason="Looks like a configuration question", ticket_class_id=other.pk
        ),
    )


STEPS: dict[str, Step] = {
    "assign": lambda w, t: services.ticket_assign(
        actor=w.agent1, ticket_id=t.pk, assignee_id=w.agent1.pk
    ),
    "unassign": lambda w, t: services.ticket_assign(actor=w.lead, ticket_id=t.pk, assignee_id=None),
    "agent_reply": lambda w, t: services.ticket_comment(
        actor=w.agent1, ticket_id=t.pk, body="On it"
    ),
    "note": lambda w, t: services.ticket_comment(
        actor=w.agent2, ticket_id=t.pk, body="n", internal=True
    ),
    "customer_reply": lambda w, t: services.ticket_comment(
        actor=w.alpha.user, ticket_id=t.pk, body="More"
    ),
    "request_info": lambda w, t: services.ticket_request_info(
        actor=w.agent1, ticket_id=t.pk, question="Log?"
    ),
    "escalate_2": lambda w, t: services.ticket_escalate(
        actor=w.agent1, ticket_id=t.pk, line_id=w.lines[2].pk, reason="Deeper analysis"
    ),
    "escalate_3": lambda w, t: services.ticket_escalate(
        actor=w.agent2, ticket_id=t.pk, line_id=w.lines[3].pk, reason="A defect"
    ),
    "escalate_4": lambda w, t: services.ticket_escalate(
        actor=w.agent2,
        ticket_id=t.pk,
        line_id=w.lines[4].pk,
        reason="Vendor",
        external_reference="X-1",
    ),
    "reproduce": lambda w, t: services.ticket_mark_reproduced(
        actor=w.agent2, ticket_id=t.pk, note="Stand"
    ),
    "resolve": lambda w, t: services.ticket_resolve(
        actor=w.agent1, ticket_id=t.pk, resolution="Fixed"
    ),
    "close": lambda w, t: services.ticket_close(actor=w.alpha.user, ticket_id=t.pk),
    "reopen": lambda w, t: services.ticket_reopen(
        actor=w.alpha.user, ticket_id=t.pk, reason="Still broken"
    ),
    "cancel": lambda w, t: services.ticket_cancel(
        actor=w.alpha.user, ticket_id=t.pk, reason="Duplicate"
    ),
    "propose": _propose,
    "accept": lambda w, t: services.proposal_decide(
        actor=w.alpha.user, ticket_id=t.pk, accept=True
    ),
    "reject": lambda w, t: services.proposal_decide(
        actor=w.alpha.specialist, ticket_id=t.pk, accept=False
    ),
}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=25))
def test_random_service_sequences_keep_history_and_state_consistent(
    world: World, steps: list[str]
) -> None:
    c_class = TicketClass.objects.get(scheme=world.alpha.scheme, code="C")
    ticket = world.ticket(world.alpha, ticket_class_id=c_class.pk)
    for name in steps:
        before_state = snapshot(Ticket.objects.get(pk=ticket.pk))
        before_events = TicketEvent.objects.filter(ticket=ticket).count()
        try:
            STEPS[name](world, ticket)
        except DomainError:
            # A refused action leaves no trace: no half-written ticket, no stray event.
            assert snapshot(Ticket.objects.get(pk=ticket.pk)) == before_state
            assert TicketEvent.objects.filter(ticket=ticket).count() == before_events
        current = Ticket.objects.get(pk=ticket.pk)
        assert current.status in set(lifecycle.Status)
        assert (current.closed_at is not None) == (current.status in lifecycle.TERMINAL_STATUSES)
        if current.status == lifecycle.Status.RESOLVED:
            assert current.resolved_at is not None
        if current.status in lifecycle.OPEN_STATUSES:
            assert current.resolved_at is None
    final = Ticket.objects.get(pk=ticket.pk)
    assert ticket_state_from_events(ticket=final) == snapshot(final)
