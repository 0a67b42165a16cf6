"""schemathesis over the OpenAPI document, in-process against the WSGI app, as a customer
and as an agent, with every check it has (status codes, content types, headers, response
schemas, authentication, positive data accepted and negative data refused), on valid and
on invalid requests. The budget is a fixed number of examples per operation (derandomized,
so a run is repeatable); raise SCHEMATHESIS_EXAMPLES for a deeper run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from sladesk.accounts.services import api_token_create
from tests.conftest import World

application = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
# A schema-valid request may still break a business rule (no organisation chosen, a field
# this role may not set): that is a 400 with its reason, not a rejected schema.
schema.config.checks.positive_data_acceptance.expected_statuses = [
    "2xx",
    "3xx",
    "400",
    "401",
    "403",
    "404",
    "409",
    "429",
]
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15"))


@pytest.fixture
def _connection_kept_open() -> Iterator[None]:
    """As Django's test client does: a finished request must not close the test's
    connection (and with it the test's transaction)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def tokens(world: World, _connection_kept_open: None) -> dict[str, str]:
    ticket = world.ticket(world.alpha)
    assert ticket.pk
    return {
        role: api_token_create(user=user, name="fuzz", scope="write")[1]
        for role, user in (("customer", world.alpha.specialist), ("agent", world.agent1))
    }


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.parametrize("role", ["customer", "agent"])
def test_the_api_never_errs_and_keeps_its_schema(
    case: Any, tokens: dict[str, str], role: str
) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {tokens[role]}"})
