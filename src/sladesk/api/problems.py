"""One mapping from errors to `application/problem+json` (RFC 9457) responses."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from sladesk.core.errors import DomainError

PROBLEM_TYPE = "https://sladesk.example/problems/"


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
            title=error.code.replace("_", " ").capitalize(),
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
            title="Invalid request",
            detail="The request does not match the schema.",
            errors=errors,
        )

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
        return problem(
            api,
            request,
            status=401,
            code="unauthenticated",
            title="Unauthenticated",
            detail="Send `Authorization: Bearer <token>`.",
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
        return problem(
            api,
            request,
            status=error.status_code,
            code="http",
            title="Error",
            detail=str(error),
        )
