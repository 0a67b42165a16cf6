"""The OpenAPI document says what the API does: every operation names its error answers as
problem documents, times of day are plain strings, and lax coercions are refused."""

from __future__ import annotations

import json

from sladesk.sla.services import sla_install_examples
from tests.api.test_api_behaviour import client_for, post
from tests.conftest import World


def test_every_operation_documents_its_errors_as_problems(world: World) -> None:
    document = client_for(world.agent1).get("/api/v1/openapi.json").json()
    assert "Problem" in document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("400", "401", "403", "404", "409", "422", "429"):
                assert status in responses, (method, path, status)
                assert "application/problem+json" in responses[status]["content"]
            if method in ("post", "put", "patch"):
                assert "413" in responses, (method, path)


def test_lax_coercions_are_refused(world: World) -> None:
    agent = client_for(world.agent1)
    assert agent.get("/api/v1/tickets?updated_to=0.5").status_code == 422
    assert agent.get("/api/v1/tickets?registered_from=1700000000").status_code == 422
    assert agent.get("/api/v1/tickets?updated_to=2026-11-03T10:00:00%2B03:00").status_code == 200
    admin = client_for(world.admin, scope="admin")
    url = f"/api/v1/admin/organisations/{world.beta.organisation.pk}"
    refused = admin.patch(url, json.dumps({"is_active": 0}), content_type="application/json")
    assert refused.status_code == 422
    assert refused["Content-Type"] == "application/problem+json"
    kept = admin.patch(url, json.dumps({"is_active": False}), content_type="application/json")
    assert kept.status_code == 200
    ticket = world.ticket(world.alpha)
    comment = post(
        client_for(world.agent1),
        f"/api/v1/tickets/{ticket.pk}/comments",
        {"body": "x", "internal": 1},
    )
    assert comment.status_code == 422  # type: ignore[attr-defined]


def test_a_cut_off_is_a_time_of_day_without_an_offset(world: World) -> None:
    policy = sla_install_examples()["moscow-categories"]
    admin = client_for(world.admin, scope="admin")
    rows = admin.get(f"/api/v1/admin/sla-policies/{policy.pk}/targets").json()
    cutoffs = {row["response_cutoff"] for row in rows} - {None}
    assert cutoffs == {"12:00"}
    document = admin.get("/api/v1/openapi.json").json()
    field = document["components"]["schemas"]["TargetOut"]["properties"]["response_cutoff"]
    assert "time" not in json.dumps(field)
