"""The REST API v1, mounted at /api/v1/ (OpenAPI document at /api/v1/openapi.json)."""

from __future__ import annotations

from ninja import NinjaAPI

import sladesk
from sladesk.api import (
    administration,
    monitoring,
    problem_management,
    problems,
    sla,
    tickets,
    webhooks,
)
from sladesk.api.auth import SessionAuth, TokenAuth
from sladesk.api.rendering import JSONRenderer

api = NinjaAPI(
    title="sladesk API",
    version=sladesk.__version__,
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    renderer=JSONRenderer(),
)
problems.install(api)
api.add_router("/", tickets.router)
api.add_router("/", sla.router)
api.add_router("/", administration.router)
api.add_router("/", webhooks.router)
api.add_router("/", monitoring.router)
api.add_router("/", problem_management.router)
