"""Releases over the API: the support team plans, changes and ships them and plans tickets
into them; a customer's people read those of their organisation (a personal delivery only
its own organisation), never another's (404), and change nothing (403)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sladesk.accounts.models import Service
from sladesk.accounts.services import api_token_create
from sladesk.releases.models import Release
from sladesk.releases.services import ReleaseDraft, release_add_ticket, release_create
from sladesk.tickets import services as ticket_services
from sladesk.tickets.models import Ticket
from tests.conftest import FOREIGN_SECRET, World

RELEASES = "/api/v1/releases"
REPRESENTATION = {
    "id",
    "service_id",
    "service",
    "version",
    "name",
    "status",
    "planned_on",
    "shipped_at",
    "organisation_id",
    "resolve_on_ship",
    "notes",
    "tickets",
}


def soon(days: int = 30) -> dt.date:
    return dt.datetime.now(tz=dt.UTC).date() + dt.timedelta(days=days)


def client_for(user: Any, scope: str = "write") -> Client:
    _token, raw = api_token_create(user=user, name="t", scope=scope)
    return Client(headers={"authorization": f"Bearer {raw}"})


def send(client: Client, method: str, url: str, body: Any) -> Any:
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def plan(world: World, version: str, **fields: Any) -> Release:
    draft = ReleaseDraft(
        service_id=fields.pop("service_id", world.alpha.service.pk),
        version=version,
        planned_on=fields.pop("planned_on", soon()),
        **fields,
    )
    return release_create(actor=world.agent1, draft=draft)


def payload(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "service_id": world.alpha.service.pk,
        "version": "2.1",
        "planned_on": soon().isoformat(),
        "notes": "Faster reports.",
        **fields,
    }


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["detail"]
    return body


@pytest.fixture
def alpha_ticket(world: World) -> Ticket:
    return world.ticket(world.alpha, title="Reports are slow")


# --- creating ----------------------------------------------------------------------------


def test_an_agent_plans_a_release_and_reads_it_back(world: World) -> None:
    agent = client_for(world.agent1)
    response = send(agent, "POST", RELEASES, payload(world, name="Autumn", resolve_on_ship=True))
    assert response.status_code == 201, response.content
    created = response.json()
    assert set(created) == REPRESENTATION
    assert created["status"] == "planned"
    assert created["service_id"] == world.alpha.service.pk
    assert created["service"] == world.alpha.service.name
    assert created["planned_on"] == soon().isoformat()
    assert created["shipped_at"] is None
    assert created["organisation_id"] is None
    assert created["resolve_on_ship"] is True
    assert created["notes"] == {"en": "Faster reports."}  # a text alone: the writer's language
    assert created["tickets"] == []
    assert agent.get(f"{RELEASES}/{created['id']}").json() == created


def test_a_personal_delivery_takes_notes_per_language(world: World) -> None:
    response = send(
        client_for(world.agent1),
        "POST",
        RELEASES,
        payload(
            world,
            organisation_id=world.alpha.organisation.pk,
            notes={"en": "Reports.", "ru": "Отчёты."},
        ),
    )
    assert response.status_code == 201, response.content
    assert response.json()["organisation_id"] == world.alpha.organisation.pk
    assert response.json()["notes"] == {"en": "Reports.", "ru": "Отчёты."}


@pytest.mark.parametrize("role", ["specialist", "user"])
def test_customers_may_not_plan_releases(world: World, role: str) -> None:
    person = getattr(world.alpha, role)
    assert_problem(send(client_for(person), "POST", RELEASES, payload(world)), 403)
    assert not Release.objects.exists()


def test_a_read_only_token_may_not_plan_releases(world: World) -> None:
    agent = client_for(world.agent1, scope="read")
    assert_problem(send(agent, "POST", RELEASES, payload(world)), 403)
    assert not Release.objects.exists()


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"colour": "red"}, 422, "body.payload.colour"),
        ({"planned_on": "next tuesday"}, 422, "body.payload.planned_on"),
        ({"planned_on": "2026-02-30"}, 422, "body.payload.planned_on"),
        ({"planned_on": 20261101}, 422, "body.payload.planned_on"),
        ({"planned_on": "2001-01-01"}, 400, "planned_on"),
        ({"service_id": "1"}, 422, "body.payload.service_id"),
        ({"service_id": 999_999}, 400, "service_id"),
        ({"service_id": 2**70}, 400, None),
        ({"version": ""}, 422, "body.payload.version"),
        ({"version": "   "}, 400, "version"),
        ({"version": "v" * 51}, 422, "body.payload.version"),
        ({"notes": {"xx": "Unknown language."}}, 400, "notes"),
        ({"notes": {"en": 5}}, 422, None),
        ({"notes": ["a list"]}, 422, None),
        ({"resolve_on_ship": "yes"}, 422, "body.payload.resolve_on_ship"),
        ({"organisation_id": 999_999}, 400, "organisation_id"),
    ],
)
def test_a_bad_release_is_refused_with_its_reason_and_nothing_written(
    world: World, fields: dict[str, Any], status: int, field: str | None
) -> None:
    response = send(client_for(world.agent1), "POST", RELEASES, payload(world, **fields))
    body = assert_problem(response, status)
    if field is not None:
        assert field in {error["field"] for error in body["errors"]}
    assert not Release.objects.exists()


def test_a_personal_delivery_goes_to_the_services_own_organisation(world: World) -> None:
    response = send(
        client_for(world.agent1),
        "POST",
        RELEASES,
        payload(world, organisation_id=world.beta.organisation.pk),
    )
    assert assert_problem(response, 400)["errors"][0]["field"] == "organisation_id"
    assert not Release.objects.exists()


def test_a_version_is_planned_once_per_service(world: World) -> None:
    plan(world, "2.1")
    assert_problem(send(client_for(world.agent1), "POST", RELEASES, payload(world)), 409)
    assert Release.objects.count() == 1


def test_an_unreadable_body_is_a_problem(world: World) -> None:
    agent = client_for(world.agent1)
    response = agent.generic("POST", RELEASES, b"{not json", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/problem+json"
    assert not Release.objects.exists()


# --- reading -----------------------------------------------------------------------------


@pytest.fixture
def catalogue(world: World, foreign: dict[str, int]) -> dict[str, int]:
    """Alpha's shared release, Alpha's personal one, a cancelled one of Alpha's, a release
    of a second Alpha service, and Beta's personal release (from `foreign`)."""
    second = Service.objects.create(organisation=world.alpha.organisation, name="alpha portal")
    cancelled = plan(world, "0.9", planned_on=soon(5))
    Release.objects.filter(pk=cancelled.pk).update(status="cancelled")
    return {
        "shared": plan(world, "2.0", planned_on=soon(10)).pk,
        "personal": plan(
            world, "2.0-alpha", planned_on=soon(20), organisation_id=world.alpha.organisation.pk
        ).pk,
        "portal": plan(world, "1.0", planned_on=soon(15), service_id=second.pk).pk,
        "cancelled": cancelled.pk,
        "beta": foreign["release_id"],
        "portal_service": second.pk,
    }


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_the_support_team_sees_every_release_the_soonest_first(
    world: World, catalogue: dict[str, int]
) -> None:
    listed = ids(client_for(world.agent1).get(RELEASES))
    expected = ["cancelled", "shared", "portal", "personal", "beta"]
    assert listed == [catalogue[name] for name in expected]  # Beta's is 60 days out


@pytest.mark.parametrize("role", ["specialist", "user"])
def test_a_customer_sees_its_organisations_releases_only(
    world: World, catalogue: dict[str, int], role: str
) -> None:
    client = client_for(getattr(world.alpha, role))
    response = client.get(RELEASES)
    assert ids(response) == [catalogue[name] for name in ("shared", "portal", "personal")]
    assert FOREIGN_SECRET.encode() not in response.content
    for hidden in ("beta", "cancelled"):
        assert_problem(client.get(f"{RELEASES}/{catalogue[hidden]}"), 404)
    assert client.get(f"{RELEASES}/{catalogue['shared']}").status_code == 200


def test_beta_sees_its_personal_release_and_alpha_none_of_its_own(
    world: World, catalogue: dict[str, int]
) -> None:
    assert ids(client_for(world.beta.specialist).get(RELEASES)) == [catalogue["beta"]]


def test_the_list_filters_by_service_and_status(world: World, catalogue: dict[str, int]) -> None:
    agent = client_for(world.agent1)
    by_service = agent.get(f"{RELEASES}?service_id={catalogue['portal_service']}")
    assert ids(by_service) == [catalogue["portal"]]
    assert ids(agent.get(f"{RELEASES}?status=cancelled")) == [catalogue["cancelled"]]
    customer = client_for(world.alpha.specialist)
    assert ids(customer.get(f"{RELEASES}?status=cancelled")) == []
    assert_problem(agent.get(f"{RELEASES}?status=shipped"), 400)
    assert agent.get(f"{RELEASES}?service_id=abc").status_code == 422


def test_the_list_pages_through_every_release_once(world: World, catalogue: dict[str, int]) -> None:
    agent = client_for(world.agent1)
    seen: list[int] = []
    url = f"{RELEASES}?limit=2"
    for _page in range(5):
        body = agent.get(url).json()
        seen.extend(item["id"] for item in body["items"])
        if body["next_cursor"] is None:
            break
        url = f"{RELEASES}?limit=2&cursor={body['next_cursor']}"
    assert seen == ids(agent.get(RELEASES))
    assert len(seen) == 5
    assert_problem(agent.get(f"{RELEASES}?cursor=rubbish"), 400)
    assert_problem(agent.get(f"{RELEASES}?limit=0"), 400)


def test_a_release_shows_only_the_tickets_the_reader_may_see(world: World) -> None:
    release = plan(world, "3.0")
    users = world.ticket(world.alpha, title="The user's own")
    specialists = ticket_services.ticket_register(
        actor=world.alpha.specialist,
        data=ticket_services.TicketRegistration(
            title="The specialist's", service_id=world.alpha.service.pk
        ),
    )
    for ticket in (users, specialists):
        release_add_ticket(actor=world.agent1, release_id=release.pk, ticket_id=ticket.pk)

    def carried(person: Any) -> list[dict[str, Any]]:
        tickets: list[dict[str, Any]] = (
            client_for(person).get(f"{RELEASES}/{release.pk}").json()["tickets"]
        )
        return tickets

    assert carried(world.agent1) == [
        {"id": ticket.pk, "number": ticket.number, "title": ticket.title, "status": "new"}
        for ticket in (users, specialists)
    ]
    assert [row["id"] for row in carried(world.alpha.specialist)] == [users.pk, specialists.pk]
    assert [row["id"] for row in carried(world.alpha.user)] == [users.pk]
    listed = client_for(world.alpha.user).get(RELEASES).json()["items"]
    assert [row["id"] for row in listed[0]["tickets"]] == [users.pk]


def test_the_release_list_costs_the_same_whatever_it_holds(world: World) -> None:
    agent = client_for(world.agent1)
    agent.get("/api/v1/me")  # the token's first use is recorded once

    def queries() -> tuple[int, list[dict[str, Any]]]:
        with CaptureQueriesContext(connection) as captured:
            response = agent.get(RELEASES)
        assert response.status_code == 200
        return len(captured), response.json()["items"]

    def release_with_tickets(version: str, count: int) -> None:
        release = plan(world, version)
        for _ in range(count):
            ticket = world.ticket(world.alpha)
            release_add_ticket(actor=world.agent1, release_id=release.pk, ticket_id=ticket.pk)

    release_with_tickets("1.0", 1)
    few, _items = queries()
    for number in range(2, 7):
        release_with_tickets(f"{number}.0", 3)
    many, items = queries()
    # The page's keys, the page's releases with their services, the tickets they carry.
    assert few == many == 3
    assert [len(item["tickets"]) for item in items] == [1, 3, 3, 3, 3, 3]


# --- changing ----------------------------------------------------------------------------


def test_an_agent_moves_and_advances_a_release(world: World, alpha_ticket: Ticket) -> None:
    release = plan(world, "2.1")
    release_add_ticket(actor=world.agent1, release_id=release.pk, ticket_id=alpha_ticket.pk)
    response = send(
        client_for(world.agent1),
        "PATCH",
        f"{RELEASES}/{release.pk}",
        {"planned_on": soon(40).isoformat(), "status": "testing", "name": "Later"},
    )
    assert response.status_code == 200, response.content
    changed = response.json()
    assert (changed["planned_on"], changed["status"], changed["name"]) == (
        soon(40).isoformat(),
        "testing",
        "Later",
    )
    assert changed["version"] == "2.1"  # what the change left out stays
    assert [row["id"] for row in changed["tickets"]] == [alpha_ticket.pk]
    assert alpha_ticket.events.filter(kind="release_date_changed").count() == 1


@pytest.mark.parametrize("role", ["specialist", "user"])
def test_a_customer_who_sees_a_release_may_not_change_it(world: World, role: str) -> None:
    release = plan(world, "2.1", name="Autumn")
    client = client_for(getattr(world.alpha, role))
    url = f"{RELEASES}/{release.pk}"
    assert_problem(send(client, "PATCH", url, {"name": "Mine"}), 403)
    assert_problem(client.post(f"{url}/ship"), 403)
    assert_problem(send(client, "POST", f"{url}/tickets", {"ticket_id": 1}), 403)
    release.refresh_from_db()
    assert (release.name, release.status) == ("Autumn", "planned")


def test_another_organisations_people_never_reach_a_release(
    world: World, foreign: dict[str, int]
) -> None:
    url = f"{RELEASES}/{foreign['release_id']}"
    for person in (world.alpha.specialist, world.alpha.user):
        client = client_for(person)
        for response in (
            client.get(url),
            send(client, "PATCH", url, {"name": "Mine"}),
            client.post(f"{url}/ship"),
            send(client, "POST", f"{url}/tickets", {"ticket_id": foreign["ticket_id"]}),
            client.delete(f"{url}/tickets/{foreign['ticket_id']}"),
        ):
            assert_problem(response, 404)
            assert FOREIGN_SECRET.encode() not in response.content
    release = Release.objects.get(pk=foreign["release_id"])
    assert (release.name, release.status) == (FOREIGN_SECRET, "planned")
    assert Ticket.objects.get(pk=foreign["ticket_id"]).release_id == release.pk


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"colour": "red"}, 422, "body.payload.colour"),
        ({"created_by_id": 1}, 422, "body.payload.created_by_id"),
        ({"planned_on": "soon"}, 422, "body.payload.planned_on"),
        ({"planned_on": "2001-01-01"}, 400, "planned_on"),
        ({"planned_on": None}, 400, "planned_on"),
        ({"status": "shipped"}, 422, "body.payload.status"),
        ({"status": "released"}, 400, "status"),
        ({"status": None}, 400, "status"),
        ({"version": None}, 400, "version"),
        ({"version": " "}, 400, "version"),
        ({"resolve_on_ship": None}, 400, "resolve_on_ship"),
        ({"resolve_on_ship": 1}, 422, "body.payload.resolve_on_ship"),
        ({"notes": {"de": "Unbekannt"}}, 400, "notes"),
    ],
)
def test_a_bad_change_is_refused_with_its_reason_and_nothing_written(
    world: World, changes: dict[str, Any], status: int, field: str
) -> None:
    release = plan(world, "2.1", name="Autumn", notes="Faster.")
    before = Release.objects.filter(pk=release.pk).values().get()
    response = send(client_for(world.agent1), "PATCH", f"{RELEASES}/{release.pk}", changes)
    body = assert_problem(response, status)
    assert field in {error["field"] for error in body["errors"]}
    assert Release.objects.filter(pk=release.pk).values().get() == before


def test_a_shipped_release_changes_only_its_name_and_notes(world: World) -> None:
    release = plan(world, "2.1")
    agent = client_for(world.agent1)
    url = f"{RELEASES}/{release.pk}"
    assert agent.post(f"{url}/ship").status_code == 200
    assert_problem(send(agent, "PATCH", url, {"planned_on": soon(50).isoformat()}), 409)
    renamed = send(agent, "PATCH", url, {"name": "Autumn", "notes": {"en": "Out."}})
    assert renamed.status_code == 200, renamed.content
    assert (renamed.json()["name"], renamed.json()["notes"]) == ("Autumn", {"en": "Out."})


def test_a_missing_release_is_404(world: World) -> None:
    agent = client_for(world.agent1)
    assert_problem(agent.get(f"{RELEASES}/999999"), 404)
    assert_problem(send(agent, "PATCH", f"{RELEASES}/999999", {"name": "x"}), 404)
    assert_problem(agent.post(f"{RELEASES}/999999/ship"), 404)


# --- tickets and shipping ----------------------------------------------------------------


def test_an_agent_plans_a_ticket_into_a_release_and_takes_it_out(
    world: World, alpha_ticket: Ticket
) -> None:
    release = plan(world, "2.1")
    agent = client_for(world.agent1)
    url = f"{RELEASES}/{release.pk}/tickets"
    response = send(agent, "POST", url, {"ticket_id": alpha_ticket.pk})
    assert response.status_code == 200, response.content
    assert response.json()["tickets"] == [
        {
            "id": alpha_ticket.pk,
            "number": alpha_ticket.number,
            "title": "Reports are slow",
            "status": "new",
        }
    ]
    assert_problem(send(agent, "POST", url, {"ticket_id": alpha_ticket.pk}), 409)  # already
    assert agent.delete(f"{url}/{alpha_ticket.pk}").status_code == 204
    assert_problem(agent.delete(f"{url}/{alpha_ticket.pk}"), 404)  # carried no more
    assert agent.get(f"{RELEASES}/{release.pk}").json()["tickets"] == []
    alpha_ticket.refresh_from_db()
    assert alpha_ticket.release_id is None


def test_a_release_takes_only_tickets_of_its_service(world: World) -> None:
    release = plan(world, "2.1")
    beta_ticket = world.ticket(world.beta)
    agent = client_for(world.agent1)
    url = f"{RELEASES}/{release.pk}/tickets"
    response = send(agent, "POST", url, {"ticket_id": beta_ticket.pk})
    assert assert_problem(response, 400)["errors"][0]["field"] == "ticket_id"
    assert_problem(send(agent, "POST", url, {"ticket_id": 999_999}), 404)
    assert_problem(send(agent, "POST", url, {"ticket_id": "1"}), 422)
    assert_problem(send(agent, "POST", url, {}), 422)
    beta_ticket.refresh_from_db()
    assert beta_ticket.release_id is None


@pytest.mark.parametrize("role", ["specialist", "user"])
def test_a_customer_may_not_take_a_ticket_out(
    world: World, alpha_ticket: Ticket, role: str
) -> None:
    release = plan(world, "2.1")
    release_add_ticket(actor=world.agent1, release_id=release.pk, ticket_id=alpha_ticket.pk)
    client = client_for(getattr(world.alpha, role))
    assert_problem(client.delete(f"{RELEASES}/{release.pk}/tickets/{alpha_ticket.pk}"), 403)
    alpha_ticket.refresh_from_db()
    assert alpha_ticket.release_id == release.pk


def test_shipping_releases_the_release_and_resolves_what_it_says(
    world: World, alpha_ticket: Ticket
) -> None:
    release = plan(world, "2.1", resolve_on_ship=True)
    release_add_ticket(actor=world.agent1, release_id=release.pk, ticket_id=alpha_ticket.pk)
    agent = client_for(world.agent1)
    response = agent.post(f"{RELEASES}/{release.pk}/ship")
    assert response.status_code == 200, response.content
    shipped = response.json()
    assert shipped["status"] == "released"
    assert shipped["shipped_at"] is not None
    assert shipped["tickets"][0]["status"] == "resolved"
    assert_problem(agent.post(f"{RELEASES}/{release.pk}/ship"), 409)
    assert_problem(agent.delete(f"{RELEASES}/{release.pk}/tickets/{alpha_ticket.pk}"), 409)


def test_a_cancelled_release_cannot_ship(world: World) -> None:
    release = plan(world, "2.1")
    agent = client_for(world.agent1)
    cancelled = send(agent, "PATCH", f"{RELEASES}/{release.pk}", {"status": "cancelled"})
    assert cancelled.json()["status"] == "cancelled"
    assert_problem(agent.post(f"{RELEASES}/{release.pk}/ship"), 409)
    assert Release.objects.get(pk=release.pk).shipped_at is None


# --- the ticket's release ----------------------------------------------------------------


def test_a_ticket_names_its_release(world: World, alpha_ticket: Ticket) -> None:
    other = world.ticket(world.alpha, title="Not planned")
    release = plan(world, "2.1", planned_on=soon(12))
    release_add_ticket(actor=world.agent1, release_id=release.pk, ticket_id=alpha_ticket.pk)
    expected = {"id": release.pk, "version": "2.1", "planned_on": soon(12).isoformat()}
    for person in (world.agent1, world.alpha.specialist, world.alpha.user):
        client = client_for(person)
        detail = client.get(f"/api/v1/tickets/{alpha_ticket.pk}").json()
        assert detail["release"] == {**expected, "status": "planned"}
        rows = {row["id"]: row for row in client.get("/api/v1/tickets").json()["items"]}
        assert rows[alpha_ticket.pk] == detail
        assert rows[other.pk]["release"] is None
    assert client_for(world.agent1).get(f"/api/v1/tickets/{other.pk}").json()["release"] is None


def test_the_ticket_list_joins_the_release_in_its_one_query(world: World) -> None:
    agent = client_for(world.agent1)
    agent.get("/api/v1/me")
    release = plan(world, "2.1")
    for _ in range(5):
        ticket = world.ticket(world.alpha)
        release_add_ticket(actor=world.agent1, release_id=release.pk, ticket_id=ticket.pk)
    world.ticket(world.beta)
    with CaptureQueriesContext(connection) as captured:
        response = agent.get("/api/v1/tickets?limit=50")
    assert response.status_code == 200
    assert len(captured) == 1
    releases = [row["release"] for row in response.json()["items"]]
    assert sum(1 for row in releases if row and row["id"] == release.pk) == 5
    assert releases.count(None) == 1
