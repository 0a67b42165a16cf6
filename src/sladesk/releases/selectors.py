"""Reading releases. The support team sees every release; a customer's people see the
releases of their organisation's services that are not cancelled (a personal delivery
only by its organisation). This is the one rule: every page, feed and endpoint uses it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from sladesk.accounts.models import Service, User
from sladesk.core.errors import NotFound, PermissionDenied
from sladesk.releases.choices import (
    DEFECT_CLASS_CODES,
    FINAL_STATUSES,
    REQUEST_CLASS_CODES,
    ReleaseStatus,
)
from sladesk.releases.models import Release, RequestPlan
from sladesk.tickets import lifecycle
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


def release_of_ticket(*, user: User, ticket: Ticket) -> Release | None:
    """The release the ticket is planned for, if `user` may see it."""
    if ticket.release_id is None:
        return None
    return release_visible_queryset(user=user).filter(pk=ticket.release_id).first()


def releases_open_for(*, user: User, service_id: int | None) -> QuerySet[Release]:
    """The releases of the service that still take tickets, the soonest first."""
    if service_id is None:
        return Release.objects.none()
    return release_list(user=user, service_id=service_id).exclude(status__in=FINAL_STATUSES)


def roadmap_planned(*, user: User, limit: int) -> QuerySet[Ticket]:
    """The open tickets `user` may see that are planned into releases they may see, by
    planned date."""
    return (
        ticket_visible_queryset(user=user)
        .filter(
            status__in=lifecycle.OPEN_STATUSES,
            release__in=release_visible_queryset(user=user),
        )
        .select_related("release", "service")
        .order_by("release__planned_on", "release_id", "pk")[:limit]
    )


def roadmap_waiting(*, user: User, limit: int) -> QuerySet[Ticket]:
    """The open defects and requests `user` may see that no release carries yet."""
    return (
        ticket_visible_queryset(user=user)
        .filter(
            status__in=lifecycle.OPEN_STATUSES,
            release__isnull=True,
            ticket_class__code__in=DEFECT_CLASS_CODES | REQUEST_CLASS_CODES,
        )
        .select_related("ticket_class", "service")
        .order_by("pk")[:limit]
    )


def same_requests(*, ticket: Ticket) -> list[Ticket]:
    """The requests linked to `ticket` as the same as it (for the support team)."""
    return list(
        Ticket.objects.filter(request_plan__same_as=ticket)
        .select_related("organisation")
        .order_by("pk")
    )


def release_tickets(*, user: User, release: Release) -> QuerySet[Ticket]:
    """The tickets the release carries that `user` may see."""
    return ticket_visible_queryset(user=user).filter(release=release).order_by("pk")


def release_tickets_of(*, user: User, release_ids: Sequence[int]) -> QuerySet[Ticket]:
    """The tickets any of the releases carries that `user` may see (one query for a page
    of releases; `release_tickets` for one)."""
    return ticket_visible_queryset(user=user).filter(release_id__in=release_ids).order_by("pk")


# --- the product manager's backlog of requests -------------------------------------------

BACKLOG_LIMIT = 500


@dataclass(frozen=True)
class BacklogRow:
    """One request as the backlog shows it: the first of its group (the same request of
    several organisations), and how many organisations ask for it."""

    ticket: Ticket
    service: Service | None
    release: Release | None
    plan: RequestPlan | None
    organisations: int

    @property
    def path(self) -> str:
        return self.plan.path if self.plan else ""


def request_plan_of(*, user: User, ticket: Ticket) -> RequestPlan | None:
    """The ticket's plan, with its specification and first request, for one who may see
    the ticket (the caller loaded it through the visibility rule)."""
    del user  # the ticket is visible; the plan says nothing the ticket page does not
    return (
        RequestPlan.objects.select_related("specification", "same_as").filter(ticket=ticket).first()
    )


def request_backlog(
    *, user: User, service_id: int | None = None, limit: int = BACKLOG_LIMIT
) -> list[BacklogRow]:
    """The open requests (classes `REQUEST_CLASS_CODES`) grouped by their first request,
    the most organisations asking first, then the oldest. Support team only. Two queries:
    the groups counted, then their first tickets."""
    if not user.is_vendor_staff:
        raise PermissionDenied(_("Only the support team may do this."))
    requests = Ticket.objects.filter(
        ticket_class__code__in=REQUEST_CLASS_CODES, status__in=lifecycle.OPEN_STATUSES
    ).annotate(
        first_id=Coalesce(F("request_plan__same_as_id"), F("pk")),
        first_registered_at=Coalesce(F("request_plan__same_as__registered_at"), F("registered_at")),
        first_service_id=Coalesce(F("request_plan__same_as__service_id"), F("service_id")),
    )
    if service_id is not None:
        requests = requests.filter(first_service_id=service_id)
    groups = list(
        requests.order_by()
        .values("first_id", "first_registered_at")
        .annotate(organisations=Count("organisation_id", distinct=True))
        .order_by("-organisations", "first_registered_at", "first_id")[:limit]
    )
    firsts = Ticket.objects.select_related("service", "release", "request_plan").in_bulk(
        [group["first_id"] for group in groups]
    )
    rows = []
    for group in groups:
        ticket = firsts[group["first_id"]]
        rows.append(
            BacklogRow(
                ticket=ticket,
                service=ticket.service,
                release=ticket.release,
                plan=getattr(ticket, "request_plan", None),
                organisations=group["organisations"],
            )
        )
    return rows
