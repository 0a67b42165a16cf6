from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django_htmx.http import HttpResponseClientRedirect

from sladesk.accounts.selectors import account_access_denial


class AccountAccessMiddleware:
    """Ends the session of an account that became blocked after it signed in (its contract
    ended or was suspended a second ago, or an administrator disabled it), and shows the
    reason on the sign-in page. Asked on every request; the API's session and token checks
    answer a problem instead (`sladesk.api.auth`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.path.startswith("/api/"):
            denial = account_access_denial(user)
            if denial:
                logout(request)
                messages.error(request, denial)
                if getattr(request, "htmx", False):
                    # A fragment swap would put the sign-in page inside the page.
                    return HttpResponseClientRedirect(reverse("web:login"))
                return redirect("web:login")
        return self.get_response(request)


class UserPreferencesMiddleware:
    """Speaks the signed-in person's language and shows times in their own zone.

    The language cookie (the switch in the page header, in this browser) wins over the saved
    preference; without it, the preference wins over the browser's Accept-Language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = getattr(request.user, "language", "")
        if (
            language
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and translation.check_for_language(language)
        ):
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        zone_name = getattr(request.user, "time_zone", None)
        if zone_name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(zone_name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)
