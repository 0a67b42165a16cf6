"""Administrators' view of the desk's mail: the messages the catcher kept (when no SMTP
server is configured), and a banner on every workspace page when notifications fail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.views.decorators.cache import never_cache

from sladesk.accounts.models import User
from sladesk.notifications import catcher, health
from sladesk.notifications.choices import DeliveryChannel
from sladesk.web.common import actor_of

PAGE_SIZE = 50


def _administrator(request: HttpRequest) -> User:
    """The acting administrator; anyone else is told there is no such page (404)."""
    user = actor_of(request)
    if not user.is_staff:
        raise Http404
    return user


@never_cache
@login_required
def mail_list(request: HttpRequest) -> HttpResponse:
    """Caught messages, newest first: date, recipients, subject."""
    _administrator(request)
    page = Paginator(catcher.caught_names(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/mail_list.html",
        {
            "page": page,
            "messages_caught": catcher.caught_summaries(list(page.object_list)),
            "catcher_active": catcher.catcher_active(),
            "folder": catcher.mail_folder(),
            "smtp_host": settings.EMAIL_HOST,
        },
    )


@never_cache
@login_required
def mail_detail(request: HttpRequest, name: str) -> HttpResponse:
    """One caught message as it was sent: its headers, its text, its attachments' names."""
    _administrator(request)
    message = catcher.caught_message(name)
    if message is None:
        raise Http404
    return render(request, "web/mail_detail.html", {"message": message})


def _banner(user: Any) -> dict[str, Any]:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_staff", False):
        return {}
    report = health.failing_notifications_cached()
    labels = dict(DeliveryChannel.choices)
    return {
        "failures": report,
        "channels": [
            {"label": labels.get(channel.channel, channel.channel), "channel": channel}
            for channel in report.channels
        ],
        "failed_url": reverse("admin:notifications_notification_changelist")
        + "?status__exact=failed",
        "catcher_active": catcher.catcher_active(),
    }


def admin_banner(request: HttpRequest) -> dict[str, Any]:
    """Context processor: `admin_banner` for `web/_admin_banner.html`, computed only when a
    template reads it, and only for administrators (others: empty, no query)."""
    return {"admin_banner": SimpleLazyObject(lambda: _banner(getattr(request, "user", None)))}
