"""Editing a ticket's descriptive fields (everything else has its own action)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from django.db import transaction
from django.utils.translation import gettext as _

from sladesk.accounts.models import Service, User
from sladesk.core.errors import DomainError, PermissionDenied
from sladesk.tickets import lifecycle
from sladesk.tickets.choices import EventKind
from sladesk.tickets.models import Ticket
from sladesk.tickets.policy import forbidden
from sladesk.tickets.services import history
from sladesk.tickets.services.common import finish, lock_visible, require_open


@dataclass(frozen=True)
class TicketEdit:
    """Only the fields that are not None change."""

    title: str | None = None
    description: str | None = None
    contact: str | None = None
    service_id: int | None = None
    external_reference: str | None = None

    def given(self) -> dict[str, object]:
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }


def ticket_edit(*, actor: User, ticket_id: int, edit: TicketEdit) -> Ticket:
    """Change title, description, contact (both sides; customers only while the ticket is
    new), service and external reference (vendor). Each change is an event."""
    changes = edit.given()
    refused = forbidden(changes, vendor=actor.is_vendor_staff, creating=False)
    if refused:
        raise PermissionDenied(
            _("You may not change: %(fields)s.") % {"fields": ", ".join(refused)}
        )
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        require_open(ticket)
        if not actor.is_vendor_staff and ticket.status != lifecycle.Status.NEW:
            raise PermissionDenied(_("The ticket is being worked on; add a comment instead."))
        if "title" in changes and not str(changes["title"]).strip():
            raise DomainError(_("A title is required."), field="title")
        if (
            edit.service_id is not None
            and not Service.objects.filter(
                pk=edit.service_id, organisation_id=ticket.organisation_id, is_active=True
            ).exists()
        ):
            raise DomainError(_("Unknown service."), field="service_id")
        for name, value in changes.items():
            before = getattr(ticket, name)
            if name in history.TRACKED_FIELDS:
                history.change(ticket, actor, name, value)
            elif before != value:
                setattr(ticket, name, value)
                history.record(
                    ticket, actor, EventKind.FIELD_CHANGED, field=name, before=before, after=value
                )
        if ticket.release is not None and ticket.release.service_id != ticket.service_id:
            # A release carries tickets of its own service only: this one leaves it.
            history.change(
                ticket,
                actor,
                "release_id",
                None,
                kind=EventKind.RELEASE_UNPLANNED,
                data={"release_id": ticket.release.pk, "version": ticket.release.version},
            )
        finish(ticket, actor)
    return ticket
