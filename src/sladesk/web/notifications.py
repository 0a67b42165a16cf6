"""The notification centre: the bell's count, the list with deep links, mark read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from sladesk.notifications import selectors, services
from sladesk.notifications.rendering import summary_in
from sladesk.web.common import actor_of, domain_errors_as_404

PAGE_SIZE = 30


@login_required
def bell(request: HttpRequest) -> HttpResponse:
    """The bell with the unread count (polled by the layout, so no page pays for it)."""
    unread = selectors.notifications_unread_count(user=actor_of(request))
    return render(request, "web/_bell.html", {"unread": unread})


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    page = Paginator(selectors.notifications_of(user=user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    items = [(row, summary_in(row, user.language)) for row in page]
    unread = selectors.notifications_unread_count(user=user)
    return render(
        request, "web/notifications.html", {"page": page, "items": items, "unread": unread}
    )


@login_required
@require_POST
@domain_errors_as_404
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponseBase:
    """Mark one read and go where it points (its ticket, else the list)."""
    row = services.notification_mark_read(actor=actor_of(request), notification_id=notification_id)
    if row.ticket_id is not None:
        return redirect("web:ticket_detail", ticket_id=row.ticket_id)
    link = row.data.get("link")
    if isinstance(link, str) and url_has_allowed_host_and_scheme(link, allowed_hosts=None):
        return redirect(link)  # a path of ours (a monthly report's page)
    return redirect("web:notification_list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponseBase:
    services.notifications_mark_all_read(actor=actor_of(request))
    return redirect("web:notification_list")
