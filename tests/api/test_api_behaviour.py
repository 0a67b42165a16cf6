"""The API's contract: problem+json errors, scopes, no mass assignment, idempotent POSTs,
rate limits, cursor pagination and the lifecycle as endpoints."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from sladesk.accounts.services import api_token_create
from sladesk.tickets.models import Ticket, TicketClass
from tests.conftest import World


def client_for(user: object, scope: str = "write") -> Client:
    _token, raw = api_token_create(user=user, name="t", scope=scope)  # type: ignore[arg-type]
    return Client(headers={"authorization": f"Bearer {raw}"})


def post(client: Client, url: str, payload: object, **headers: str) -> object:
    return client.post(url, json.dumps(payload), content_type="application/json", headers=headers)


def test_errors_are_problem_documents(world: World) -> None:
    client = client_for(world.alpha.user)
    for response in (
        client.get("/api/v1/no-such-route"),
        client.delete("/api/v1/tickets"),
        post(client, "/api/v1/tickets", {"title": ""}),
        post(client, "/api/v1/tickets", {"title": "x", "surprise": 1}),
        client.post("/api/v1/tickets", "{not json", content_type="application/json"),
        Client().get("/api/v1/tickets"),
    ):
        assert response.status_code in {400, 401, 404, 405, 422}, response.status_code
        assert response["Content-Type"] == "application/problem+json"
        body = response.json()
        assert {"type", "title", "status", "detail"} <= set(body)
        assert body["status"] == response.status_code
    assert not Ticket.objects.exists()


def test_nul_characters_are_refused_not_stored(world: World) -> None:
    client = client_for(world.alpha.user)
    assert client.get("/api/v1/tickets?q=a%00b").status_code == 400
    assert post(client, "/api/v1/tickets", {"title": "a\u0000b"}).status_code == 400
    assert not Ticket.objects.exists()


def test_an_unknown_or_expired_token_is_401_and_a_blocked_account_403(world: World) -> None:
    unknown = Client(headers={"authorization": "Bearer sld_no-such-token"}).get("/api/v1/me")
    assert unknown.status_code == 401
    assert unknown["WWW-Authenticate"].startswith("Bearer")
    assert unknown["Content-Type"] == "application/problem+json"
    _token, raw = api_token_create(
        user=world.alpha.user, name="t", expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    expired = Client(headers={"authorization": f"Bearer {raw}"}).get("/api/v1/me")
    assert expired.status_code == 401
    blocked_client = client_for(world.beta.user)
    type(world.beta.user).objects.filter(pk=world.beta.user.pk).update(is_active=False)
    blocked = blocked_client.get("/api/v1/me")
    assert blocked.status_code == 403
    assert blocked.json()["type"].endswith("account_blocked")


def test_a_read_token_cannot_write(world: World) -> None:
    response = post(client_for(world.alpha.user, "read"), "/api/v1/tickets", {"title": "x"})
    assert response.status_code == 403
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "extra",
    [
        {"organisation_id": "beta"},
        {"requester_id": "agent1"},
        {"tags": ["vip"]},
        {"channel": "phone"},
        {"priority": "critical"},
        {"assignee_id": "agent1"},
        {"sla_state": "ok"},
        {"internal": True},
        {"status": "resolved"},
    ],
)
def test_a_customer_cannot_mass_assign_on_create(world: World, extra: dict[str, object]) -> None:
    ids = {"beta": world.beta.organisation.pk, "agent1": world.agent1.pk}
    payload = {"title": "x"} | {
        key: ids.get(value, value) if isinstance(value, str) else value
        for key, value in extra.items()
    }
    response = post(client_for(world.alpha.user), "/api/v1/tickets", payload)
    assert response.status_code in {400, 422}
    assert not Ticket.objects.exists()


def test_a_customer_update_of_protected_fields_is_refused(world: World) -> None:
    ticket = world.ticket(world.alpha)
    client = client_for(world.alpha.user)
    for payload in (
        {"service_id": world.alpha.service.pk},
        {"priority": "critical"},
        {"external_reference": "x"},
    ):
        response = client.patch(
            f"/api/v1/tickets/{ticket.pk}", json.dumps(payload), content_type="application/json"
        )
        assert response.status_code in {403, 422}
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.external_reference) == ("medium", "")
    ok = client.patch(
        f"/api/v1/tickets/{ticket.pk}",
        json.dumps({"title": "Better title"}),
        content_type="application/json",
    )
    assert ok.json()["title"] == "Better title"


def test_an_agent_registers_on_a_customers_behalf(world: World) -> None:
    response = post(
        client_for(world.agent1),
        "/api/v1/tickets",
        {
            "title": "Called in",
            "organisation_id": world.beta.organisation.pk,
            "channel": "phone",
            "requester_id": world.beta.user.pk,
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["organisation_id"], body["channel"], body["requester_id"]) == (
        world.beta.organisation.pk,
        "phone",
        world.beta.user.pk,
    )


def test_a_retried_create_with_the_same_key_returns_the_first_ticket(world: World) -> None:
    client = client_for(world.alpha.user)
    first = post(client, "/api/v1/tickets", {"title": "Once"}, **{"Idempotency-Key": "abc-1"})
    again = post(client, "/api/v1/tickets", {"title": "Once"}, **{"Idempotency-Key": "abc-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1
    other = post(client, "/api/v1/tickets", {"title": "Changed"}, **{"Idempotency-Key": "abc-1"})
    assert other.status_code == 422
    other_user = post(
        client_for(world.beta.user),
        "/api/v1/tickets",
        {"title": "Once"},
        **{"Idempotency-Key": "abc-1"},
    )
    assert other_user.status_code == 201
    assert Ticket.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_create_one_ticket(world: World) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL (SQLite serialises writers)")
    _token, raw = api_token_create(user=world.alpha.user, name="t", scope="write")
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def send() -> None:
        try:
            client = Client(headers={"authorization": f"Bearer {raw}"})
            barrier.wait()
            statuses.append(
                post(
                    client, "/api/v1/tickets", {"title": "Race"}, **{"Idempotency-Key": "race"}
                ).status_code
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Ticket.objects.count() == 1
    assert set(statuses) <= {201, 409}
    assert 201 in statuses


def test_rate_limits_answer_429_with_retry_after(world: World, settings: object) -> None:
    settings.SLADESK_API_RATE_PER_TOKEN = 3  # type: ignore[attr-defined]
    client = client_for(world.alpha.user)
    statuses = [client.get("/api/v1/me").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/me")
    assert 0 < int(limited["Retry-After"]) <= 60
    assert limited["Content-Type"] == "application/problem+json"
    assert client_for(world.beta.user).get("/api/v1/me").status_code == 200


def test_cursor_pagination_walks_every_ticket_once_by_deadline(world: World) -> None:
    for number in range(7):
        world.ticket(world.alpha, title=f"T{number}")
    client = client_for(world.agent1)
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/tickets", query).json()
        seen += [item["number"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(Ticket.objects.values_list("number", flat=True))
    assert len(seen) == 7
    assert client.get("/api/v1/tickets", {"cursor": "garbage"}).status_code == 400


@pytest.mark.parametrize(
    "cursor",
    [
        ["a", "b"],  # not an instant, not an id
        ["2026-01-01T00:00:00+00:00", "x"],
        [{}, 1],
        [None, [1]],
    ],
)
def test_a_made_up_cursor_is_refused(world: World, cursor: list[object]) -> None:
    forged = base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()
    response = client_for(world.agent1).get("/api/v1/tickets", {"cursor": forged})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [{"field": "cursor", "message": "Invalid cursor."}]


def test_numbers_no_column_holds_are_refused_not_failed_on(world: World) -> None:
    huge = 10**30
    client = client_for(world.agent1)
    assert client.get("/api/v1/tickets", {"organisation_id": huge}).status_code in {200, 400}
    assert client.get(f"/api/v1/tickets/{huge}").status_code in {400, 404}
    created = post(
        client, "/api/v1/tickets", {"title": "x", "organisation_id": huge, "channel": "phone"}
    )
    assert created.status_code in {400, 404}
    assert created["Content-Type"] == "application/problem+json"
    assert not Ticket.objects.exists()


def test_a_refused_administrator_call_does_not_tell_which_ids_exist(world: World) -> None:
    client = client_for(world.agent1)
    payload = {"email": "new@alpha.example", "full_name": "New", "role": "customer_user"}
    for organisation_id in (world.alpha.organisation.pk, 999_999):
        response = post(
            client, "/api/v1/admin/users", {**payload, "organisation_id": organisation_id}
        )
        assert response.status_code == 403


def test_the_whole_lifecycle_through_the_api(world: World) -> None:
    customer, agent1, agent2 = (
        client_for(world.alpha.user),
        client_for(world.agent1),
        client_for(world.agent2),
    )
    c_class = TicketClass.objects.get(scheme=world.alpha.scheme, code="C")
    ticket = post(
        customer, "/api/v1/tickets", {"title": "Broken", "ticket_class_id": c_class.pk}
    ).json()
    url = f"/api/v1/tickets/{ticket['id']}"
    assert (
        post(agent1, f"{url}/assign", {"assignee_id": world.agent1.pk}).json()["status"]
        == "in_progress"
    )
    assert (
        post(agent1, f"{url}/request-info", {"text": "Logs?"}).json()["status"]
        == "waiting_for_customer"
    )
    assert post(customer, f"{url}/comments", {"body": "Here"}).status_code == 201
    escalated = post(
        agent1, f"{url}/escalate", {"line_id": world.lines[2].pk, "reason": "Deeper"}
    ).json()
    assert escalated["line_level"] == 2
    assert post(agent2, f"{url}/mark-reproduced", {"text": "Stand"}).json()["reproduced_at"]
    assert (
        post(agent2, f"{url}/proposals", {"reason": "Lower", "priority": "low"}).status_code == 201
    )
    assert (
        post(customer, f"{url}/proposals/accept", {"comment": "ok"}).json()["status"] == "accepted"
    )
    assert post(agent2, f"{url}/resolve", {"text": "Fixed"}).json()["status"] == "resolved"
    assert post(customer, f"{url}/close", {"text": "Thanks"}).json()["status"] == "closed"
    kinds = [event["kind"] for event in customer.get(f"{url}/events").json()]
    assert kinds[0] == "registered"
    assert "proposal_accepted" in kinds
    assert post(customer, f"{url}/reopen", {"text": "again"}).status_code == 409


def test_the_interactive_docs_are_served_without_a_cdn(db: None) -> None:
    page = Client().get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert "/static/" in page
