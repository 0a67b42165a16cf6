"""Administration over the API: admin scope and role, validation, calendar preview."""

from __future__ import annotations

import json

from django.test import Client

from sladesk.accounts.models import Contract, Organisation
from sladesk.accounts.services import api_token_create
from tests.conftest import World


def client_for(user: object, scope: str) -> Client:
    _token, raw = api_token_create(user=user, name="t", scope=scope)  # type: ignore[arg-type]
    return Client(headers={"authorization": f"Bearer {raw}"})


def post(client: Client, url: str, payload: object) -> object:
    return client.post(url, json.dumps(payload), content_type="application/json")


def test_an_administrator_sets_up_a_customer(world: World) -> None:
    client = client_for(world.admin, "admin")
    organisation = post(client, "/api/v1/admin/organisations", {"name": "Gamma", "code": "gamma"})
    assert organisation.status_code == 201
    gamma = organisation.json()["id"]
    contract = post(
        client,
        "/api/v1/admin/contracts",
        {
            "number": "G-1",
            "organisation_id": gamma,
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "classification_scheme_id": world.alpha.scheme.pk,
        },
    )
    assert contract.status_code == 201
    assert Contract.objects.get(number="G-1").organisation == Organisation.objects.get(code="gamma")
    backwards = post(
        client,
        "/api/v1/admin/contracts",
        {
            "number": "G-2",
            "organisation_id": gamma,
            "starts_on": "2026-12-31",
            "ends_on": "2026-01-01",
            "classification_scheme_id": world.alpha.scheme.pk,
        },
    )
    assert backwards.status_code == 400
    duplicate = post(client, "/api/v1/admin/organisations", {"name": "Gamma", "code": "gamma"})
    assert duplicate.status_code == 400


def test_administration_needs_the_admin_scope_and_role(world: World) -> None:
    assert client_for(world.admin, "write").get("/api/v1/admin/organisations").status_code == 403
    assert client_for(world.lead, "write").get("/api/v1/admin/organisations").status_code == 403
    assert client_for(world.alpha.specialist, "read").get("/api/v1/admin/users").status_code == 403
    assert client_for(world.admin, "admin").get("/api/v1/admin/users").status_code == 200


def test_the_calendar_preview_computes_a_due_time(world: World) -> None:
    client = client_for(world.admin, "admin")
    spec = {
        "timezone": "Europe/Moscow",
        "week": {d: [["10:00", "19:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
        | {"sat": [], "sun": []},
    }
    answer = post(
        client,
        "/api/v1/admin/calendar-preview",
        {
            "spec": spec,
            "start": "2026-11-06T12:30:00+03:00",
            "hours": 9,
            "cutoff": "12:00",
        },
    )
    assert answer.json() == {
        "due": "2026-11-09T12:30:00+03:00",
        "cutoff_due": "2026-11-09T19:00:00+03:00",
    }
    naive = post(
        client,
        "/api/v1/admin/calendar-preview",
        {"spec": spec, "start": "2026-11-06T12:30:00", "hours": 1},
    )
    assert naive.status_code == 400
    empty = post(
        client,
        "/api/v1/admin/calendar-preview",
        {"spec": {"timezone": "UTC", "week": {}}, "start": "2026-11-06T12:30:00Z", "hours": 1},
    )
    assert empty.status_code == 400
