"""The domain errors every service raises; interfaces map them in one place each
(the API to problem responses, the web to form and page errors)."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the request; the message is safe to show to the actor."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The object does not exist or the actor may not know that it exists."""

    status_code = 404
    code = "not_found"


class PermissionDenied(DomainError):
    """The actor can see the object but may not perform this action on it."""

    status_code = 403
    code = "forbidden"


class Conflict(DomainError):
    """The action clashes with the object's current state (e.g. an illegal transition)."""

    status_code = 409
    code = "conflict"


class InvalidToken(DomainError):
    """A bearer token that is unknown, revoked or expired (RFC 6750: 401, not 403)."""

    status_code = 401
    code = "unauthenticated"


class AccessBlocked(DomainError):
    """The account may not use the desk at all (e.g. its contract ended)."""

    status_code = 403
    code = "account_blocked"
