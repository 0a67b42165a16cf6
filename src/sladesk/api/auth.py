"""API authentication: `Authorization: Bearer <token>`, or the web UI's session with CSRF;
and the token scopes (read < write < admin) that writes and administration require."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer

from sladesk.accounts.choices import Role
from sladesk.accounts.models import ApiToken, User
from sladesk.accounts.selectors import account_access_denial
from sladesk.accounts.services import api_token_authenticate
from sladesk.core.errors import AccessBlocked, PermissionDenied

SCOPE_RANK = {ApiToken.Scope.READ: 0, ApiToken.Scope.WRITE: 1, ApiToken.Scope.ADMIN: 2}


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User:
        api_token = api_token_authenticate(token)  # raises InvalidToken or AccessBlocked
        request.api_token = api_token  # type: ignore[attr-defined]  # read by require_scope
        return api_token.user


class SessionAuth(APIKeyCookie):
    """The signed-in browser session; django-ninja enforces CSRF on unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if not user.is_authenticated:
            return None
        denial = account_access_denial(user)
        if denial:
            raise AccessBlocked(denial)
        return user


def actor(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]  # set by ninja after authentication
    if not isinstance(user, User):
        raise AccessBlocked(_("Not authenticated."))
    return user


def require_scope(request: HttpRequest, scope: str) -> User:
    """The acting user, if the token's scope (a session counts as write) allows `scope`."""
    user = actor(request)
    token = getattr(request, "api_token", None)
    granted = token.scope if token is not None else ApiToken.Scope.WRITE
    if SCOPE_RANK[ApiToken.Scope(granted)] < SCOPE_RANK[ApiToken.Scope(scope)]:
        raise PermissionDenied(_("This token's scope does not allow this."))
    if scope == ApiToken.Scope.ADMIN and user.role != Role.ADMINISTRATOR:
        raise PermissionDenied(_("Only an administrator may do this."))
    return user


def writer(request: HttpRequest) -> User:
    return require_scope(request, ApiToken.Scope.WRITE)
