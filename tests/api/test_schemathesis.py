"""schemathesis over the OpenAPI document, in-process against the WSGI app, as a customer
and as an agent: no server error and no response that breaks the schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from sladesk.accounts.services import api_token_create
from sladesk.api.routes import api
from tests.conftest import World

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
application = get_wsgi_application()


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
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.parametrize("role", ["customer", "agent"])
def test_the_api_never_errs_and_keeps_its_schema(
    case: Any, tokens: dict[str, str], role: str
) -> None:
    case.call_and_validate(
        app=application,
        headers={"Authorization": f"Bearer {tokens[role]}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
