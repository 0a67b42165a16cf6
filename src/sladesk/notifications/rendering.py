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
from sladesk.releases.models import Release
from sladesk.tickets.choices import EventKind, TicketStatus
from sladesk.tickets.models import Ticket
from sladesk.tickets.notes import MISSING, note_render

# The desk's note in each open ticket a shipped release carries (`releases.services`).
SHIPPED_NOTE = "release_shipped"
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
    if kind == NotificationKind.RELEASE and (headline := _release_headline(data)):
        return headline
    if kind in NotificationKind.values:
        return str(NotificationKind(kind).label)
    return _("Notification")


def _lines(notification: Notification, ticket: Ticket | None) -> list[str]:
    """What the message says beyond its headline (the ticket as it is now)."""
    kind = notification.kind
    data = notification.data
    if ticket is None:
        if kind == NotificationKind.MONTHLY_REPORT:
            link = f"{settings.SLADESK_PUBLIC_URL.rstrip('/')}{data.get('link', '')}"
            return [
                _(
                    "The service report of contract %(number)s (%(organisation)s) for "
                    "%(period)s is attached as a PDF."
                )
                % data,
                _("Its figures and tables, also as CSV and XLSX: %(link)s") % {"link": link},
            ]
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
    if kind == NotificationKind.RELEASE:
        return _release_lines(notification, ticket)
    return []


def _release_of(data: dict[str, object]) -> dict[str, str]:
    """What a release notification says of the release (as the event recorded it), each value
    a text ("…" where the event had none)."""
    release = data.get("release")
    values = release if isinstance(release, dict) else {}
    return {
        name: str(values.get(name) or MISSING)
        for name in ("event", "release_id", "version", "planned_on", "before", "after")
    }


def _release_headline(data: dict[str, object]) -> str:
    """The news of a release event in the active language ("" for an unknown event)."""
    values = _release_of(data)
    event = values["event"]
    if event == EventKind.RELEASE_PLANNED:
        return _("Planned for version %(version)s (planned for %(planned_on)s)") % values
    if event == EventKind.RELEASE_UNPLANNED:
        return _("Taken out of version %(version)s: not planned yet") % values
    if event == EventKind.RELEASE_DATE_CHANGED:
        return _("Version %(version)s moved to %(after)s") % values
    if event == EventKind.RELEASE_SHIPPED:
        return _("Version %(version)s is released") % values
    return ""


def _release_lines(notification: Notification, ticket: Ticket) -> list[str]:
    """The release's service and, once shipped, its notes in the reader's language; for a
    ticket the shipping resolved, what a resolution asks of the customer."""
    values = _release_of(notification.data)
    release = (
        Release.objects.filter(pk=values["release_id"]).select_related("service").first()
        if values["release_id"].isdigit()
        else None
    )
    service = release.service if release else ticket.service
    values["service"] = service.name if service else MISSING
    event = values["event"]
    if event == EventKind.RELEASE_PLANNED:
        return [
            _(
                "The ticket is planned for version %(version)s of %(service)s, to be released "
                "on %(planned_on)s."
            )
            % values
        ]
    if event == EventKind.RELEASE_UNPLANNED:
        return [
            _(
                "The ticket is taken out of version %(version)s of %(service)s and is not "
                "planned for a release yet."
            )
            % values
        ]
    if event == EventKind.RELEASE_DATE_CHANGED:
        return [
            _(
                "Version %(version)s of %(service)s, which carries this ticket, is now planned "
                "for %(after)s instead of %(before)s."
            )
            % values
        ]
    if event != EventKind.RELEASE_SHIPPED:
        return []
    # The desk's note of the shipping says the same (`_render` does not quote it again).
    lines = [
        _("Version %(version)s of %(service)s is released, and it includes this ticket.") % values
    ]
    notes = (
        release.notes_in(translation.get_language() or settings.LANGUAGE_CODE) if release else ""
    )
    if notes:
        lines += [_("Release notes:"), notes]
    if ticket.status == TicketStatus.RESOLVED:
        lines += [
            _("The request is resolved."),
            _("Please confirm the resolution, or reopen the ticket if the problem remains:"),
        ]
    return lines


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
        if notification.kind == NotificationKind.MONTHLY_REPORT:
            return _("Service report %(period)s: %(organisation)s") % notification.data
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
    comment = notification.comment
    quote = comment.text if comment else ""
    if notification.kind == NotificationKind.RELEASE and comment and comment.note == SHIPPED_NOTE:
        quote = ""  # the release's lines say it first
    if ticket is not None and notification.kind not in (
        NotificationKind.ACKNOWLEDGEMENT,
        NotificationKind.RESOLVED,
        NotificationKind.PROPOSAL,
    ):
        lines.append(ticket_link(ticket))
    if notification.kind in (NotificationKind.CONTRACT_WARNING, NotificationKind.MONTHLY_REPORT):
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
