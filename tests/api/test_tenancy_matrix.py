"""The tenancy matrix: every API route that takes an id, every customer role, an object of
another organisation -> 404 (or 403 for an action the role never has) and no foreign data.
Every route must have an example payload here: a new route without one fails the test."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sladesk.accounts.services import api_token_create
from tests.conftest import FOREIGN_SECRET, World

SECRET = FOREIGN_SECRET
MISSING = dict.fromkeys(
    [
        "ticket_id",
        "attachment_id",
        "organisation_id",
        "contract_id",
        "policy_id",
        "webhook_id",
        "delivery_id",
        "source_id",
        "problem_id",
        "case_id",
        "notification_id",
        "article_id",
        "release_id",
    ],
    999_999,
)

# (method, path) -> JSON body, or "upload" for multipart; None for no body.
PAYLOADS: dict[tuple[str, str], Any] = {
    ("post", "/api/v1/notifications/{notification_id}/read"): None,
    ("get", "/api/v1/tickets/{ticket_id}"): None,
    ("patch", "/api/v1/tickets/{ticket_id}"): {"title": "mine now"},
    ("post", "/api/v1/tickets/{ticket_id}/assign"): {"assignee_id": None},
    ("post", "/api/v1/tickets/{ticket_id}/escalate"): {"line_id": 1, "reason": "r"},
    ("post", "/api/v1/tickets/{ticket_id}/attention"): {"reason": "r"},
    ("post", "/api/v1/tickets/{ticket_id}/attention/clear"): {"text": "r"},
    ("get", "/api/v1/tickets/{ticket_id}/external-cases"): None,
    ("post", "/api/v1/tickets/{ticket_id}/external-cases"): {"note": "n", "vendor": "v"},
    ("patch", "/api/v1/tickets/{ticket_id}/external-cases/{case_id}"): {"note": "n"},
    ("post", "/api/v1/tickets/{ticket_id}/classify"): {"ticket_class_id": 1},
    ("post", "/api/v1/tickets/{ticket_id}/request-info"): {"text": "?"},
    ("post", "/api/v1/tickets/{ticket_id}/mark-reproduced"): {"text": "stand"},
    ("post", "/api/v1/tickets/{ticket_id}/resolve"): {"text": "done"},
    ("post", "/api/v1/tickets/{ticket_id}/close"): {"text": ""},
    ("post", "/api/v1/tickets/{ticket_id}/reopen"): {"text": "again"},
    ("post", "/api/v1/tickets/{ticket_id}/cancel"): {"text": "dup"},
    ("post", "/api/v1/tickets/{ticket_id}/watchers"): {"user_id": 1},
    ("post", "/api/v1/tickets/{ticket_id}/parent"): {"parent_id": None},
    ("put", "/api/v1/tickets/{ticket_id}/tags"): {"tags": ["x"]},
    ("get", "/api/v1/tickets/{ticket_id}/proposals"): None,
    ("post", "/api/v1/tickets/{ticket_id}/proposals"): {"reason": "r", "priority": "low"},
    ("post", "/api/v1/tickets/{ticket_id}/proposals/accept"): {"comment": ""},
    ("post", "/api/v1/tickets/{ticket_id}/proposals/reject"): {"comment": ""},
    ("get", "/api/v1/tickets/{ticket_id}/comments"): None,
    ("post", "/api/v1/tickets/{ticket_id}/comments"): {"body": "hello"},
    ("get", "/api/v1/tickets/{ticket_id}/events"): None,
    ("get", "/api/v1/tickets/{ticket_id}/sla-events"): None,
    ("get", "/api/v1/tickets/{ticket_id}/attachments"): None,
    ("post", "/api/v1/tickets/{ticket_id}/attachments"): "upload",
    ("get", "/api/v1/attachments/{attachment_id}/content"): None,
    ("patch", "/api/v1/admin/organisations/{organisation_id}"): {"name": "Taken over"},
    ("patch", "/api/v1/admin/contracts/{contract_id}"): {"max_accounts": 99},
    ("post", "/api/v1/admin/contracts/{contract_id}/activate"): {},
    ("post", "/api/v1/admin/contracts/{contract_id}/suspend"): {"note": "unpaid"},
    ("post", "/api/v1/admin/contracts/{contract_id}/resume"): {},
    ("post", "/api/v1/admin/contracts/{contract_id}/end"): {"note": ""},
    ("post", "/api/v1/admin/contracts/{contract_id}/renew"): {"ends_on": "2099-12-31"},
    ("get", "/api/v1/admin/contracts/{contract_id}/events"): None,
    ("get", "/api/v1/admin/sla-policies/{policy_id}/targets"): None,
    ("patch", "/api/v1/admin/webhooks/{webhook_id}"): {"url": "https://evil.example/"},
    ("delete", "/api/v1/admin/webhooks/{webhook_id}"): None,
    ("get", "/api/v1/admin/webhooks/{webhook_id}/deliveries"): None,
    ("post", "/api/v1/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): None,
    ("patch", "/api/v1/admin/alert-sources/{source_id}"): {"is_active": False},
    ("post", "/api/v1/admin/alert-sources/{source_id}/token"): None,
    ("get", "/api/v1/problems/{problem_id}"): None,
    ("patch", "/api/v1/problems/{problem_id}"): {"title": "mine now"},
    ("post", "/api/v1/problems/{problem_id}/analyse"): {"text": ""},
    ("post", "/api/v1/problems/{problem_id}/known-error"): {"text": "w"},
    ("post", "/api/v1/problems/{problem_id}/fix"): {"text": "f"},
    ("post", "/api/v1/problems/{problem_id}/close"): {"text": "c"},
    ("post", "/api/v1/problems/{problem_id}/reopen"): {"text": ""},
    ("get", "/api/v1/problems/{problem_id}/incidents"): None,
    ("post", "/api/v1/problems/{problem_id}/incidents"): {"ticket_id": 1},
    ("delete", "/api/v1/problems/{problem_id}/incidents/{ticket_id}"): None,
    ("get", "/api/v1/problems/{problem_id}/events"): None,
    ("get", "/api/v1/tickets/{ticket_id}/problems"): None,
    ("get", "/api/v1/kb/articles/{article_id}"): None,
    ("patch", "/api/v1/kb/articles/{article_id}"): {"title": "mine now", "version": 1},
    ("get", "/api/v1/kb/articles/{article_id}/versions"): None,
    ("post", "/api/v1/kb/articles/{article_id}/vote"): {"helpful": True},
    ("get", "/api/v1/organisations/{organisation_id}/configuration"): None,
    ("put", "/api/v1/organisations/{organisation_id}/configuration"): {"notes": "x", "version": 0},
    ("get", "/api/v1/releases/{release_id}"): None,
    ("patch", "/api/v1/releases/{release_id}"): {"name": "mine now"},
    ("post", "/api/v1/releases/{release_id}/tickets"): {"ticket_id": 1},
    ("delete", "/api/v1/releases/{release_id}/tickets/{ticket_id}"): None,
    ("post", "/api/v1/releases/{release_id}/ship"): None,
}


def call(client: Client, method: str, url: str, payload: Any) -> Any:
    if payload == "upload":
        return client.post(url, {"files": SimpleUploadedFile("x.txt", b"x")})
    if payload is None:
        return getattr(client, method)(url)
    return client.generic(method.upper(), url, json.dumps(payload), content_type="application/json")


@pytest.mark.parametrize("role", ["specialist", "user"])
def test_every_route_with_an_id_hides_another_organisations_objects(
    world: World, foreign: dict[str, int], role: str
) -> None:
    person = world.alpha.specialist if role == "specialist" else world.alpha.user
    _token, raw = api_token_create(user=person, name="t", scope="write")
    client = Client(headers={"authorization": f"Bearer {raw}"})
    document = client.get("/api/v1/openapi.json").json()
    walked = 0
    for path, operations in document["paths"].items():
        parameters = set(re.findall(r"{(\w+)}", path))
        for method in operations:
            if not parameters:
                continue
            assert (method, path) in PAYLOADS, f"{method.upper()} {path}: add an example payload"
            unknown = parameters - set(foreign)
            assert not unknown, f"{path} takes {unknown}: add it to the fixture"
            response = call(client, method, path.format(**foreign), PAYLOADS[(method, path)])
            missing = call(client, method, path.format(**MISSING), PAYLOADS[(method, path)])
            # 403 only for an action the role may never take; either way the answer is the
            # same as for an id that does not exist, so nothing about the object leaks.
            assert response.status_code in {403, 404}, (method, path, response.status_code)
            assert response.status_code == missing.status_code, (method, path)
            assert SECRET.encode() not in response.content
            assert b"beta" not in response.content.lower()
            walked += 1
    assert walked == len(PAYLOADS)


# Routes that take an id in the query: the same rule.
QUERY_ROUTES = [
    "/api/v1/reports/sla?contract_id={contract_id}&period=2026-11",
    "/api/v1/reports/sla?contract_id={contract_id}&period=2026-11&format=pdf",
    "/api/v1/sla/compliance?contract_id={contract_id}&start=2026-11-01&end=2026-11-30",
]


@pytest.mark.parametrize("role", ["specialist", "user"])
@pytest.mark.parametrize("route", QUERY_ROUTES)
def test_routes_with_an_id_in_the_query_hide_another_organisations_objects(
    world: World, foreign: dict[str, int], role: str, route: str
) -> None:
    person = world.alpha.specialist if role == "specialist" else world.alpha.user
    _token, raw = api_token_create(user=person, name="t")
    client = Client(headers={"authorization": f"Bearer {raw}"})
    response = client.get(route.format(**foreign))
    missing = client.get(route.format(**MISSING))
    assert response.status_code == missing.status_code == 404
    assert b"beta" not in response.content.lower()
