"""Reading releases. The support team sees every release; a customer's people see the
releases of their organisation's services that are not cancelled (a personal delivery
only by its organisation). This is the one rule: every page, feed and endpoint uses it."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from sladesk.accounts.models import User
from sladesk.core.errors import NotFound
from sladesk.releases.choices import ReleaseStatus
from sladesk.releases.models import Release
from sladesk.tickets.models import Ticket
from sladesk.tickets.selectors import ticket_visible_queryset


def release_visible_queryset(*, user: User | None) -> QuerySet[Release]:
    releases = Release.objects.select_related("service", "organisation")
    if user is None or not user.is_authenticated or not user.is_active:
        return releases.none()
    if user.is_vendor_staff:
        return releases
    if not user.is_customer or user.organisation_id is None:
        return releases.none()
    return releases.filter(
        Q(organisation__isnull=True) | Q(organisation_id=user.organisation_id),
        service__organisation_id=user.organisation_id,
    ).exclude(status=ReleaseStatus.CANCELLED)


def release_list(
    *, user: User, service_id: int | None = None, status: str = ""
) -> QuerySet[Release]:
    """What `user` may see, the soonest planned first."""
    releases = release_visible_queryset(user=user)
    if service_id is not None:
        releases = releases.filter(service_id=service_id)
    if status:  # one that is none of the statuses finds nothing
        releases = (
            releases.filter(status=status) if status in ReleaseStatus.values else releases.none()
        )
    return releases.order_by("planned_on", "id")


def release_get(*, user: User | None, release_id: int) -> Release:
    release = release_visible_queryset(user=user).filter(pk=release_id).first()
    if release is None:
        raise NotFound(_("No such release."))
    return release


def release_tickets(*, user: User, release: Release) -> QuerySet[Ticket]:
    """The tickets the release carries that `user` may see."""
    return ticket_visible_queryset(user=user).filter(release=release).order_by("pk")


def release_tickets_of(*, user: User, release_ids: Sequence[int]) -> QuerySet[Ticket]:
    """The tickets any of the releases carries that `user` may see (one query for a page
    of releases; `release_tickets` for one)."""
    return ticket_visible_queryset(user=user).filter(release_id__in=release_ids).order_by("pk")
