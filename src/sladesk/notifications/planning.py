"""Which notifications a ticket event calls for. The rows are written when the event is, in
the same transaction: a connected post_save of `TicketEvent`, because every ticket service
appends its events through `tickets.services.history` and the outbox must see all of them.

The events of one action (one service call, on one loaded ticket) share one key, so that
each person hears of the action once, in the words of the kind that says most."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from sladesk.notifications import rules
from sladesk.notifications.choices import NotificationKind
from sladesk.notifications.participants import participants
from sladesk.notifications.services import notify
from sladesk.tickets import lifecycle
from sladesk.tickets.choices import CommentKind, EventKind
from sladesk.tickets.models import Comment, Ticket, TicketEvent
from sladesk.tickets.services import history

_STATUS_KINDS = {
    lifecycle.Action.REQUEST_INFO.value: NotificationKind.INFO_REQUESTED,
    lifecycle.Action.CUSTOMER_REPLY.value: NotificationKind.INFO_PROVIDED,
    lifecycle.Action.RESOLVE.value: NotificationKind.RESOLVED,
    lifecycle.Action.REOPEN.value: NotificationKind.REOPENED,
    # Taking a ticket into work says nothing the assignment did not say.
    lifecycle.Action.START.value: None,
}
_EVENT_KINDS: dict[str, str] = {
    EventKind.REGISTERED: NotificationKind.ACKNOWLEDGEMENT,
    EventKind.CLASSIFIED: NotificationKind.CLASSIFIED,
    EventKind.PROPOSAL_MADE: NotificationKind.PROPOSAL,
    EventKind.PROPOSAL_ACCEPTED: NotificationKind.PROPOSAL_DECIDED,
    EventKind.PROPOSAL_REJECTED: NotificationKind.PROPOSAL_DECIDED,
    EventKind.ESCALATED: NotificationKind.ESCALATED,
    EventKind.EXTERNAL_CASE_OPENED: NotificationKind.EXTERNAL_CASE,
    EventKind.EXTERNAL_CASE_UPDATED: NotificationKind.EXTERNAL_CASE,
    EventKind.REPRODUCED: NotificationKind.REPRODUCED,
    EventKind.AUTO_CLOSED: NotificationKind.AUTO_CLOSED,
    EventKind.RELEASE_PLANNED: NotificationKind.RELEASE,
    EventKind.RELEASE_UNPLANNED: NotificationKind.RELEASE,
    EventKind.RELEASE_DATE_CHANGED: NotificationKind.RELEASE,
    EventKind.RELEASE_SHIPPED: NotificationKind.RELEASE,
    # Raising to the lead tells the lead and the supervisors itself
    # (`notifications_for_attention`), with the reason.
}


def connect() -> None:
    post_save.connect(_on_event, sender=TicketEvent, dispatch_uid="notifications_plan")


def _on_event(sender: type[TicketEvent], instance: TicketEvent, created: bool, **_: Any) -> None:
    if created:
        plan(instance)


def kind_of(event: TicketEvent) -> str | None:
    """The notification kind `event` calls for, or None."""
    if event.kind == EventKind.COMMENTED:
        return {
            CommentKind.PUBLIC: NotificationKind.REPLY,
            CommentKind.INTERNAL: NotificationKind.NOTE,
        }.get(event.data.get("kind", ""))
    if event.kind == EventKind.STATUS_CHANGED:
        return _STATUS_KINDS.get(event.data.get("action", ""), NotificationKind.STATUS)
    if event.kind == EventKind.ASSIGNED:
        return NotificationKind.ASSIGNED if event.after is not None else None
    return _EVENT_KINDS.get(event.kind)


def _action_key(state: dict[str, Any], ticket: Ticket, event: TicketEvent) -> str:
    """One key for the events of one action (`history.action_state`): the first event's id."""
    first = state.setdefault("first_event", event.pk)
    return f"ticket-action:{ticket.pk}:{first}"


def plan(event: TicketEvent) -> None:
    """Write the notifications `event` calls for (in the event's transaction).

    An assignment changes who the parties are (the line's members hear while nobody is
    assigned): the action's news so far is told again to the parties as they are now."""
    kind = kind_of(event)
    ticket = event.ticket
    state = history.action_state(ticket)
    key = _action_key(state, ticket, event)
    if event.kind == EventKind.REGISTERED:
        state["registering"] = True  # a ticket has no watchers in its registration
    if event.actor_id is not None:
        state.setdefault("actor", event.actor_id)
    best: tuple[str, TicketEvent] | None = state.get("best")
    if event.kind == EventKind.ASSIGNED and best is not None and best[0] != kind:
        _tell(best[0], best[1], key, state)
    if kind is None:
        return
    if best is None or rules.outranks(kind, best[0]):
        state["best"] = (kind, event)
    _tell(kind, event, key, state)


def _tell(kind: str, event: TicketEvent, key: str, state: dict[str, Any]) -> None:
    ticket = event.ticket
    comment = None
    data: dict[str, object] = {}
    if event.kind == EventKind.COMMENTED:
        comment = Comment.objects.filter(pk=event.data.get("comment_id")).first()
        if comment is None:
            return
    elif kind == NotificationKind.STATUS:
        data["status"] = event.after
    elif kind == NotificationKind.PROPOSAL_DECIDED:
        data["accepted"] = event.kind == EventKind.PROPOSAL_ACCEPTED
    elif kind == NotificationKind.EXTERNAL_CASE:
        data["case"] = {k: v for k, v in event.data.items() if isinstance(v, str | int)}
    elif kind == NotificationKind.RELEASE:
        # What happened to which version, as it was then (the release may be renamed later).
        data["release"] = {
            "event": event.kind,
            **{k: v for k, v in event.data.items() if isinstance(v, str | int)},
        }
    parties = participants(
        ticket, rules.parties_for(kind), watchers=not state.get("registering", False)
    )
    # The desk's own words in a person's action (the note a shipped release writes) are part
    # of that person's action.
    actor = event.actor_id if event.actor_id is not None else state.get("actor")
    # Nobody hears of their own action, except the requester of their own registration (the
    # acknowledgement carries the number and the due time).
    people = [
        person
        for person in parties.people
        if person.pk != actor
        or (kind == NotificationKind.ACKNOWLEDGEMENT and person.pk == ticket.requester_id)
    ]
    fresh = not state.get("told", False)
    state["told"] = True  # rows with this key exist from now on
    notify(
        fresh=fresh,
        kind=kind,
        event_key=key,
        people=people,
        contacts=parties.contacts,
        line_targets=parties.line_targets,
        ticket=ticket,
        comment=comment,
        data=data,
        automatic=comment is None,
    )
