"""One mapping from errors to `application/problem+json` (RFC 9457) responses."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from sladesk.core.errors import DomainError

PROBLEM_TYPE = "https://sladesk.example/problems/"
TITLES = {
    "invalid": gettext_lazy("Invalid"),
    "not_found": gettext_lazy("Not found"),
    "forbidden": gettext_lazy("Forbidden"),
    "conflict": gettext_lazy("Conflict"),
    "account_blocked": gettext_lazy("Account blocked"),
    "unauthenticated": gettext_lazy("Unauthenticated"),
}


def problem(
    api: NinjaAPI,
    request: HttpRequest,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = "application/problem+json"
    if status == 401:  # RFC 9110 §15.5.2: say how to authenticate
        response["WWW-Authenticate"] = 'Bearer realm="sladesk"'
    return response


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
        errors = [{"field": error.field, "message": error.message}] if error.field else None
        return problem(
            api,
            request,
            status=error.status_code,
            code=error.code,
            title=str(TITLES.get(error.code, error.code)),
            detail=error.message,
            errors=errors,
        )

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
        errors = [
            {
                "field": ".".join(str(part) for part in item.get("loc", [])),
                "message": item.get("msg", ""),
            }
            for item in error.errors
        ]
        return problem(
            api,
            request,
            status=422,
            code="validation",
            title=_("Invalid request"),
            detail=_("The request does not match the schema."),
            errors=errors,
        )

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
        return problem(
            api,
            request,
            status=401,
            code="unauthenticated",
            title=_("Unauthenticated"),
            detail=_("Send `Authorization: Bearer <token>`."),
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
        return problem(
            api,
            request,
            status=error.status_code,
            code="http",
            title=_("Error"),
            detail=str(error),
        )

    @api.exception_handler(OverflowError)
    def number_out_of_range(request: HttpRequest, error: OverflowError) -> HttpResponse:
        # A number no column can hold (SQLite refuses it as it binds the query); a service
        # that was writing rolls back with its transaction.
        return problem(
            api,
            request,
            status=400,
            code="invalid",
            title=str(TITLES["invalid"]),
            detail=_("A number in the request is out of range."),
        )


# The answers every operation may give besides its success: each is a problem document.
ERROR_STATUSES = {
    "400": "Invalid request (a field, a filter, a body that cannot be read)",
    "401": "No valid credentials (an unknown, revoked or expired token)",
    "403": "Not allowed for this account, scope or role (or the account is blocked)",
    "404": "Not found, or not visible to this account",
    "409": "Not possible in the object's current state",
    "422": "The request does not match the schema",
    "429": "Too many requests (see Retry-After)",
}
BODY_ERROR_STATUSES = {"413": "The request body is too large"}
PROBLEM_SCHEMA = {
    "type": "object",
    "title": "Problem",
    "description": "An error, as RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error answers to every operation of an OpenAPI document (in place)."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem = {
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    }
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            statuses = dict(ERROR_STATUSES)
            if method in ("post", "put", "patch"):
                statuses |= BODY_ERROR_STATUSES
            responses = operation.setdefault("responses", {})
            for status, description in statuses.items():
                responses.setdefault(status, {"description": description, **problem})
    return schema
