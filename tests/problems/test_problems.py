"""Problem management against the database and over the API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sladesk.accounts.services import api_token_create
from sladesk.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from sladesk.notifications.models import Notification
from sladesk.problems import services
from sladesk.problems.choices import ProblemEventKind
from sladesk.problems.models import Problem, ProblemEvent
from sladesk.tickets.choices import CommentKind, EventKind
from sladesk.tickets.models import Ticket
from tests.conftest import World, signed_in


def register(world: World, *tickets: Ticket, title: str = "Invoice page blank") -> Problem:
    return services.problem_register(
        actor=world.agent1,
        data=services.ProblemRegistration(title=title, service_id=world.alpha.service.pk),
        ticket_ids=[ticket.pk for ticket in tickets],
    )


def desk_replies(ticket: Ticket) -> list[str]:
    """The public replies nobody wrote: the desk's, of which the ticket's people are told."""
    comments = ticket.comments.filter(kind=CommentKind.PUBLIC, author=None).order_by("pk")
    return list(comments.values_list("body", flat=True))


def client_for(user: Any, scope: str = "write") -> Client:
    _token, raw = api_token_create(user=user, name="t", scope=scope)
    return Client(headers={"authorization": f"Bearer {raw}"})


def post(client: Client, url: str, body: Any = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def test_a_problem_gets_a_number_its_incidents_and_a_history(world: World) -> None:
    first, second = world.ticket(world.alpha), world.ticket(world.beta)
    problem = register(world, first, second)
    assert problem.number.startswith("PRB-2")
    assert sorted(problem.links.values_list("ticket_id", flat=True)) == [first.pk, second.pk]
    kinds = list(ProblemEvent.objects.filter(problem=problem).values_list("kind", flat=True))
    assert kinds == [ProblemEventKind.REGISTERED] + [ProblemEventKind.INCIDENT_LINKED] * 2
    assert first.events.filter(kind=EventKind.PROBLEM_LINKED).exists()
    assert register(world, title="Another").number != problem.number


def test_a_known_error_tells_its_open_incidents_the_workaround_and_the_fix(
    world: World,
) -> None:
    open_incident, closed = world.ticket(world.alpha), world.ticket(world.alpha)
    Ticket.objects.filter(pk=closed.pk).update(status="closed")
    problem = register(world, open_incident, closed)
    services.problem_act(actor=world.agent1, problem_id=problem.pk, action="analyse")
    services.problem_act(
        actor=world.agent1, problem_id=problem.pk, action="known-error", text="Clear the cache."
    )
    late = world.ticket(world.alpha)
    services.problem_link(actor=world.agent2, problem_id=problem.pk, ticket_id=late.pk)
    services.problem_act(
        actor=world.agent3, problem_id=problem.pk, action="fix", text="Release 4.2 fixes it."
    )
    note = f"A workaround is known (problem {problem.number}): Clear the cache."
    fixed = f"The cause is fixed (problem {problem.number}): Release 4.2 fixes it."
    assert desk_replies(open_incident) == [note, fixed]
    assert desk_replies(late) == [note, fixed]
    assert desk_replies(closed) == []
    told = Notification.objects.filter(ticket=open_incident, comment__body=note)
    assert told.filter(recipient=world.alpha.user.email).exists()  # the requester hears of it
    problem.refresh_from_db()
    assert (problem.status, problem.workaround) == ("fixed", "Clear the cache.")
    assert problem.known_error_at is not None
    assert problem.fixed_at is not None


def test_each_step_needs_its_words_and_its_order(world: World) -> None:
    problem = register(world)
    with pytest.raises(DomainError, match="Say what"):
        services.problem_act(actor=world.agent1, problem_id=problem.pk, action="known-error")
    with pytest.raises(Conflict):
        services.problem_act(actor=world.agent1, problem_id=problem.pk, action="reopen")
    with pytest.raises(DomainError, match="Unknown action"):
        services.problem_act(actor=world.agent1, problem_id=problem.pk, action="explode")
    services.problem_act(actor=world.agent1, problem_id=problem.pk, action="close", text="Dup")
    services.problem_act(actor=world.agent1, problem_id=problem.pk, action="reopen")
    problem.refresh_from_db()
    assert (problem.status, problem.closed_at) == ("analysing", None)


def test_only_the_support_team_manages_problems(world: World) -> None:
    problem = register(world)
    ticket = world.ticket(world.alpha)
    for person in (world.alpha.specialist, world.alpha.user):
        with pytest.raises(PermissionDenied):
            services.problem_register(actor=person, data=services.ProblemRegistration(title="mine"))
        with pytest.raises(PermissionDenied):
            services.problem_link(actor=person, problem_id=problem.pk, ticket_id=ticket.pk)
    with pytest.raises(DomainError, match="support team"):
        services.problem_update(
            actor=world.agent1, problem_id=problem.pk, changes={"owner_id": world.alpha.user.pk}
        )
    with pytest.raises(DomainError, match="cannot be changed"):
        services.problem_update(
            actor=world.agent1, problem_id=problem.pk, changes={"status": "closed"}
        )


def test_a_registration_with_a_missing_incident_writes_nothing(world: World) -> None:
    ticket = world.ticket(world.alpha)
    with pytest.raises(NotFound):
        services.problem_register(
            actor=world.agent1,
            data=services.ProblemRegistration(title="Half"),
            ticket_ids=[ticket.pk, 999_999],
        )
    assert not Problem.objects.exists()
    assert not ticket.events.filter(kind=EventKind.PROBLEM_LINKED).exists()


def test_linking_twice_is_a_conflict_and_unlinking_is_recorded(world: World) -> None:
    ticket = world.ticket(world.alpha)
    problem = register(world, ticket)
    with pytest.raises(Conflict):
        services.problem_link(actor=world.agent1, problem_id=problem.pk, ticket_id=ticket.pk)
    services.problem_unlink(actor=world.agent1, problem_id=problem.pk, ticket_id=ticket.pk)
    assert not problem.links.exists()
    assert ticket.events.filter(kind=EventKind.PROBLEM_UNLINKED).exists()
    with pytest.raises(NotFound):
        services.problem_unlink(actor=world.agent1, problem_id=problem.pk, ticket_id=ticket.pk)


# --- over the API -----------------------------------------------------------------------------


def test_an_agent_runs_a_problem_over_the_api(world: World) -> None:
    client = client_for(world.agent1)
    ticket = world.ticket(world.alpha)
    created = post(client, "/api/v1/problems", {"title": "Blank page", "ticket_ids": [ticket.pk]})
    assert created.status_code == 201, created.content
    problem = created.json()
    assert problem["incident_count"] == 1
    url = f"/api/v1/problems/{problem['id']}"
    assert post(client, f"{url}/known-error", {"text": "Reload."}).json()["status"] == (
        "known_error"
    )
    patched = client.patch(url, json.dumps({"root_cause": "A race."}), "application/json")
    assert patched.json()["root_cause"] == "A race."
    assert [item["number"] for item in client.get(f"{url}/incidents").json()] == [ticket.number]
    kinds = [event["kind"] for event in client.get(f"{url}/events").json()]
    assert kinds == ["registered", "incident_linked", "status_changed", "field_changed"]
    assert client.get("/api/v1/problems?status=known_error").json()[0]["id"] == problem["id"]
    refused = post(client, f"{url}/reopen", {"text": ""})
    assert refused.status_code == 409
    assert client.delete(f"{url}/incidents/{ticket.pk}").status_code == 204
    unknown = client.patch(url, json.dumps({"status": "closed"}), "application/json")
    assert unknown.status_code == 422  # no mass assignment of the status


def test_a_customer_sees_what_the_problem_tells_their_ticket_and_nothing_else(
    world: World,
) -> None:
    ticket = world.ticket(world.alpha)
    problem = register(world, ticket)
    services.problem_act(
        actor=world.agent1, problem_id=problem.pk, action="known-error", text="Reload."
    )
    services.problem_update(
        actor=world.agent1, problem_id=problem.pk, changes={"root_cause": "internal detail"}
    )
    customer = client_for(world.alpha.user)
    told = customer.get(f"/api/v1/tickets/{ticket.pk}/problems")
    assert told.json() == [
        {
            "number": problem.number,
            "title": "Invoice page blank",
            "status": "known_error",
            "workaround": "Reload.",
            "fix": "",
        }
    ]
    assert customer.get("/api/v1/problems").status_code == 403
    assert customer.get(f"/api/v1/problems/{problem.pk}").status_code == 404
    beta = client_for(world.beta.user)
    assert beta.get(f"/api/v1/tickets/{ticket.pk}/problems").status_code == 404


def test_recurring_incidents_without_a_problem_are_candidates(world: World) -> None:
    tickets = [world.ticket(world.alpha, title=f"Invoice page blank #{n}") for n in range(3)]
    world.ticket(world.alpha, title="Something else entirely")
    client = client_for(world.lead)
    [candidate] = client.get("/api/v1/problems/candidates").json()
    assert candidate["words"] == ["blank", "invoice", "page"]
    assert sorted(item["id"] for item in candidate["incidents"]) == [t.pk for t in tickets]
    register(world, tickets[0])
    assert client.get("/api/v1/problems/candidates").json() == []  # two left: below three
    assert client_for(world.alpha.specialist).get("/api/v1/problems/candidates").status_code == 403


def test_the_problem_list_and_its_incidents_cost_the_same_whatever_they_hold(
    world: World,
) -> None:
    client = client_for(world.agent1)
    client.get("/api/v1/me")  # the token's first use is recorded once

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    problem = register(world, world.ticket(world.alpha))
    few = (queries("/api/v1/problems"), queries(f"/api/v1/problems/{problem.pk}/incidents"))
    for n in range(4):
        register(world, world.ticket(world.beta), title=f"Problem {n}")
        services.problem_link(
            actor=world.agent1, problem_id=problem.pk, ticket_id=world.ticket(world.alpha).pk
        )
    many = (queries("/api/v1/problems"), queries(f"/api/v1/problems/{problem.pk}/incidents"))
    assert few == many


def test_the_ticket_page_shows_its_known_problem_and_workaround(world: World) -> None:
    ticket = world.ticket(world.alpha)
    problem = register(world, ticket)
    services.problem_act(
        actor=world.agent1, problem_id=problem.pk, action="known-error", text="Use <b>Safari</b>."
    )
    url = reverse("web:ticket_detail", args=[ticket.pk])
    page = signed_in(world.alpha.user).get(url).content.decode()
    assert problem.number in page
    assert "Known problems" in page
    assert "Use &lt;b&gt;Safari&lt;/b&gt;." in page  # escaped, never markup
    world.alpha.user.language = "ru"
    world.alpha.user.save()
    assert "Известные проблемы" in signed_in(world.alpha.user).get(url).content.decode()
    other = world.ticket(world.alpha)
    assert (
        problem.number
        not in signed_in(world.alpha.user)
        .get(reverse("web:ticket_detail", args=[other.pk]))
        .content.decode()
    )


def test_a_better_workaround_is_told_again_and_a_fix_that_did_not_hold_is_withdrawn(
    world: World,
) -> None:
    ticket = world.ticket(world.alpha)
    problem = register(world, ticket)
    act = services.problem_act
    act(actor=world.agent1, problem_id=problem.pk, action="known-error", text="Reload.")
    act(actor=world.agent1, problem_id=problem.pk, action="known-error", text="Clear cache.")
    act(actor=world.agent1, problem_id=problem.pk, action="fix", text="Release 4.2")
    act(actor=world.agent1, problem_id=problem.pk, action="reopen")
    problem.refresh_from_db()
    assert (problem.status, problem.fix, problem.workaround) == ("analysing", "", "Clear cache.")
    assert len(desk_replies(ticket)) == 3
    customer = client_for(world.alpha.user)
    assert customer.get(f"/api/v1/tickets/{ticket.pk}/problems").json()[0]["fix"] == ""


def test_a_fixed_problem_tells_a_late_incident_and_a_closed_one_takes_none(
    world: World,
) -> None:
    problem = register(world)
    services.problem_act(actor=world.agent1, problem_id=problem.pk, action="fix", text="4.2")
    late = world.ticket(world.alpha)
    services.problem_link(actor=world.agent1, problem_id=problem.pk, ticket_id=late.pk)
    assert desk_replies(late) == [f"The cause is fixed (problem {problem.number}): 4.2"]
    services.problem_act(actor=world.agent1, problem_id=problem.pk, action="close", text="ok")
    with pytest.raises(Conflict, match="closed"):
        services.problem_link(
            actor=world.agent1, problem_id=problem.pk, ticket_id=world.ticket(world.alpha).pk
        )


def test_the_workaround_and_the_status_change_only_through_the_steps(world: World) -> None:
    problem = register(world)
    client = client_for(world.agent1)
    url = f"/api/v1/problems/{problem.pk}"
    for body in ({"workaround": "quietly"}, {"status": "closed"}):
        assert client.patch(url, json.dumps(body), "application/json").status_code == 422
    emptied = client.patch(url, json.dumps({"title": None}), "application/json")
    assert emptied.status_code == 400
    assert (
        client.patch(url, json.dumps({"description": None}), "application/json").status_code == 400
    )
    problem.refresh_from_db()
    assert problem.title == "Invoice page blank"


def test_cancelled_tickets_are_no_recurring_incidents(world: World) -> None:
    tickets = [world.ticket(world.alpha, title="VPN drops every hour") for _ in range(3)]
    client = client_for(world.lead)
    assert len(client.get("/api/v1/problems/candidates").json()) == 1
    Ticket.objects.filter(pk=tickets[0].pk).update(status="cancelled")
    assert client.get("/api/v1/problems/candidates").json() == []
