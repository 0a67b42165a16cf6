"""The REST API v1, mounted at /api/v1/ (OpenAPI document at /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

import sladesk
from sladesk.api import (
    administration,
    knowledge,
    monitoring,
    notifications,
    problem_management,
    problems,
    releases,
    reports,
    sla,
    tickets,
    webhooks,
)
from sladesk.api.auth import SessionAuth, TokenAuth
from sladesk.api.problems import document_problems
from sladesk.api.rendering import JSONRenderer


class Api(NinjaAPI):
    """The API whose OpenAPI document also names the error answers of every operation."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document_problems(schema)
        return schema


api = Api(
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
api.add_router("/", notifications.router)
api.add_router("/", knowledge.router)
api.add_router("/", releases.router)
api.add_router("/", reports.router)
