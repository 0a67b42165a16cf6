"""Which notifications a ticket event calls for. The rows are written when the event is, in
the same transaction: a connected post_save of `TicketEvent`, because every ticket service
appends its events through `tickets.services.history` and the outbox must see all of them."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from sladesk.accounts.models import User
from sladesk.notifications.choices import NotificationKind
from sladesk.notifications.services import Recipient, notification_enqueue
from sladesk.tickets import lifecycle
from sladesk.tickets.choices import CommentKind, EventKind
from sladesk.tickets.models import Comment, Ticket, TicketEvent

# Transitions that come with a public comment (whose notification says it all) or that the
# recipient caused themselves.
_QUIET_ACTIONS = frozenset(
    {
        lifecycle.Action.REQUEST_INFO.value,
        lifecycle.Action.RESOLVE.value,
        lifecycle.Action.CUSTOMER_REPLY.value,
        lifecycle.Action.START.value,
    }
)


def connect() -> None:
    post_save.connect(_on_event, sender=TicketEvent, dispatch_uid="notifications_plan")


def _on_event(sender: type[TicketEvent], instance: TicketEvent, created: bool, **_: Any) -> None:
    if created:
        plan(instance)


def _requester(ticket: Ticket) -> list[Recipient]:
    if ticket.requester is not None and ticket.requester.is_active:
        return [Recipient.of(ticket.requester)]
    if "@" in ticket.contact and " " not in ticket.contact.strip():
        from django.conf import settings

        return [Recipient(address=ticket.contact.strip(), language=settings.LANGUAGE_CODE)]
    return []


def _participants(ticket: Ticket) -> list[User]:
    people = [ticket.requester, ticket.assignee, *ticket.watchers.all()]
    return [person for person in people if person is not None and person.is_active]


def plan(event: TicketEvent) -> None:
    """Write the notifications `event` calls for (in the event's transaction)."""
    ticket = event.ticket
    key = f"ticket-event:{event.pk}"
    if event.kind == EventKind.REGISTERED:
        notification_enqueue(
            kind=NotificationKind.ACKNOWLEDGEMENT,
            event_key=key,
            recipients=_requester(ticket),
            ticket=ticket,
        )
    elif event.kind == EventKind.COMMENTED and event.data.get("kind") == CommentKind.PUBLIC:
        comment = Comment.objects.filter(pk=event.data.get("comment_id")).first()
        if comment is None:
            return
        recipients = [
            Recipient.of(person) for person in _participants(ticket) if person.pk != event.actor_id
        ]
        if ticket.requester is None:  # registered for a sender who has no account
            recipients += _requester(ticket)
        notification_enqueue(
            kind=NotificationKind.REPLY,
            event_key=key,
            recipients=recipients,
            ticket=ticket,
            comment=comment,
            automatic=False,
        )
    elif event.kind == EventKind.STATUS_CHANGED and event.data.get("action") not in _QUIET_ACTIONS:
        recipients = [
            recipient
            for recipient in _requester(ticket)
            if ticket.requester_id is None or ticket.requester_id != event.actor_id
        ]
        notification_enqueue(
            kind=NotificationKind.STATUS,
            event_key=key,
            recipients=recipients,
            ticket=ticket,
            data={"status": event.after},
        )
