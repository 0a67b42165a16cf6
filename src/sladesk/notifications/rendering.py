"""The text of notifications, in the recipient's language."""

from __future__ import annotations

import re

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sladesk.notifications.choices import NotificationKind
from sladesk.notifications.models import Notification
from sladesk.tickets.choices import TicketStatus
from sladesk.tickets.models import Ticket
from sladesk.tickets.notes import note_render

# Line breaks and other control characters would end a header and start another
# (header injection); a subject or a name never needs them.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")


def header_safe(value: str) -> str:
    """One line, no control characters, at most 250 characters."""
    return _CONTROL.sub(" ", value).strip()[:250]


def _language(code: str) -> str:
    return code if code in dict(settings.LANGUAGES) else "en"


def render(notification: Notification) -> tuple[str, str]:
    """(subject, body) of `notification`, from the ticket's state when it is first sent."""
    with translation.override(_language(notification.language)):
        return _render(notification)


def summary_in(notification: Notification, language: str) -> str:
    """`summary` in `language` (the bell renders for the person reading it)."""
    with translation.override(_language(language)):
        return summary(notification)


def _local(moment: object) -> str:
    if moment is None:
        return _("not set")
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")  # type: ignore[arg-type]


def ticket_link(ticket: Ticket) -> str:
    """The ticket's page, for a reader who signs in first if need be."""
    path = reverse("web:ticket_detail", args=[ticket.pk])
    return f"{settings.SLADESK_PUBLIC_URL.rstrip('/')}{path}"


def _status_label(status: object) -> str:
    value = str(status or "")
    return str(TicketStatus(value).label) if value in TicketStatus.values else value


def _headline(notification: Notification) -> str:
    """The kind's short statement, in the active language."""
    kind = notification.kind
    data = notification.data
    if kind == NotificationKind.PROPOSAL_DECIDED:
        if data.get("accepted"):
            return _("Proposed change accepted")
        return _("Proposed change rejected")
    if kind == NotificationKind.STATUS:
        return _("Status: %(status)s") % {"status": _status_label(data.get("status"))}
    if kind in NotificationKind.values:
        return str(NotificationKind(kind).label)
    return _("Notification")


def _lines(notification: Notification, ticket: Ticket | None) -> list[str]:
    """What the message says beyond its headline (the ticket as it is now)."""
    kind = notification.kind
    data = notification.data
    if ticket is None:
        if kind == NotificationKind.CONTRACT_WARNING:
            values = {**data, "zone": settings.TIME_ZONE}
            return [
                _("The support contract %(number)s of %(organisation)s ends on %(ends_on)s.")
                % values,
                _(
                    "Unless it is renewed, the customer's accounts are refused from the end of "
                    "that day (%(zone)s time)."
                )
                % values,
            ]
        return []
    number = ticket.number
    if kind == NotificationKind.ACKNOWLEDGEMENT:
        if notification.user_id is not None and notification.user_id != ticket.requester_id:
            return [
                _("A new request is registered as %(number)s.") % {"number": number},
                _("Reaction is due by: %(due)s.") % {"due": _local(ticket.sla_response_due_at)},
                ticket_link(ticket),
            ]
        return [
            _("We registered your request as %(number)s.") % {"number": number},
            _("Reaction is due by: %(due)s.") % {"due": _local(ticket.sla_response_due_at)},
            _("Reply to this message to add information; keep the number in the subject."),
        ]
    if kind == NotificationKind.INFO_REQUESTED:
        return [_("Please answer the question below by replying to this message.")]
    if kind == NotificationKind.RESOLVED:
        return [
            _("The request is resolved."),
            _("Please confirm the resolution, or reopen the ticket if the problem remains:"),
            ticket_link(ticket),
        ]
    if kind == NotificationKind.PROPOSAL:
        return [
            _("The support team proposes to change the classification of %(number)s.")
            % {"number": number},
            _("Sign in to accept or reject the proposal:"),
            ticket_link(ticket),
        ]
    if kind == NotificationKind.CLASSIFIED:
        return [
            _("Class: %(class)s; severity: %(severity)s; priority: %(priority)s.")
            % {
                "class": ticket.ticket_class or "—",
                "severity": ticket.severity or "—",
                "priority": ticket.get_priority_display() or "—",
            }
        ]
    if kind == NotificationKind.ESCALATED:
        return [_("The ticket is now handled by line %(line)s.") % {"line": ticket.line or "—"}]
    if kind == NotificationKind.ASSIGNED:
        return [_("The ticket is assigned to you.")]
    if kind == NotificationKind.CLOSES_TOMORROW:
        return [
            _(
                "The ticket waits for your answer and closes by itself as solved on %(when)s. "
                "Reply to keep it open."
            )
            % {"when": _local(data.get("closes_at") and parse_datetime(str(data["closes_at"])))}
        ]
    if kind == NotificationKind.AUTO_CLOSED:
        return [_("There was no answer in time, so the ticket is closed as solved.")]
    if kind in (NotificationKind.SLA_WARNING, NotificationKind.SLA_BREACH):
        return [
            _desk_note(data) or str(data.get("label", "")),
            _("Due: %(due)s.") % {"due": _local(ticket.sla_next_due_at)},
        ]
    if kind == NotificationKind.ATTENTION:
        return [_desk_note(data) or str(data.get("reason", ""))]
    if kind == NotificationKind.STATUS:
        return [
            _("The status of %(number)s is now: %(status)s.")
            % {"number": number, "status": _status_label(data.get("status") or ticket.status)}
        ]
    return []


def _desk_note(data: dict[str, object]) -> str:
    """The desk note a notification carries, in the active language ("" without one)."""
    note = data.get("note")
    if not isinstance(note, dict):
        return ""
    params = note.get("params")
    return note_render(str(note.get("kind", "")), params if isinstance(params, dict) else {})


def summary(notification: Notification) -> str:
    """One line for the bell and a chat title, in the active language."""
    ticket = notification.ticket
    headline = _headline(notification)
    if ticket is None:
        if notification.kind == NotificationKind.CONTRACT_WARNING:
            return _("Support contract %(number)s ends on %(ends_on)s") % notification.data
        return headline
    return f"{ticket.number} · {headline}: {ticket.title}"


def _render(notification: Notification) -> tuple[str, str]:
    if notification.kind == NotificationKind.DIGEST:
        return _render_digest(notification)
    ticket = notification.ticket
    number = ticket.number if ticket else ""
    title = ticket.title if ticket else ""
    headline = _headline(notification)
    lines = _lines(notification, ticket)
    quote = notification.comment.text if notification.comment else ""
    if ticket is not None and notification.kind not in (
        NotificationKind.ACKNOWLEDGEMENT,
        NotificationKind.RESOLVED,
        NotificationKind.PROPOSAL,
    ):
        lines.append(ticket_link(ticket))
    if notification.kind == NotificationKind.CONTRACT_WARNING:
        subject = summary(notification)
    else:
        subject = f"[{number}] {headline}: {title}" if number else headline
    body = render_to_string(
        "notifications/email/message.txt",
        {"headline": headline, "lines": lines, "quote": quote, "number": number, "title": title},
    )
    return header_safe(subject), body


def _render_digest(notification: Notification) -> tuple[str, str]:
    items = list(
        Notification.objects.filter(digest=notification)
        .select_related("ticket")
        .order_by("created_at", "id")
    )
    count = len(items)
    headline = ngettext(
        "%(count)d update from the service desk", "%(count)d updates from the service desk", count
    ) % {"count": count}
    lines = [f"{_local(item.created_at)}  {summary(item)}" for item in items]
    body = render_to_string(
        "notifications/email/message.txt",
        {"headline": headline, "lines": lines, "quote": "", "number": "", "title": ""},
    )
    return header_safe(headline), body
