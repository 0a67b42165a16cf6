"""What every web view shares: the acting user, domain errors as 404s, safe redirects."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from sladesk.accounts.models import User
from sladesk.core.errors import NotFound
from sladesk.tickets.services import Upload


def actor_of(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101  # @login_required ran first
    return user


def domain_errors_as_404(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """A NotFound from a selector or service is the page's 404, never a 500."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.message) from error

    return wrapper


def vendor_only(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Pages of the agent workspace: a customer is told nothing exists here (404)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not actor_of(request).is_vendor_staff:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def redirect_back(request: HttpRequest, fallback: str, **kwargs: Any) -> HttpResponseBase:
    """Back to the `next` the form carried when it is ours, else to `fallback`."""
    target = request.POST.get("next", "")
    # A path of this site only, used as it is (never taken for a view name to reverse).
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return redirect(fallback, **kwargs)


def uploads_of(request: HttpRequest, field: str = "attachments") -> list[Upload]:
    return [Upload.read(upload) for upload in request.FILES.getlist(field)]
