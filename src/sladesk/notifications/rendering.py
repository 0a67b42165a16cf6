"""The text of notifications, in the recipient's language."""

from __future__ import annotations

import re

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sladesk.notifications.choices import NotificationKind
from sladesk.notifications.models import Notification
from sladesk.tickets import lifecycle
from sladesk.tickets.choices import TicketStatus

# Line breaks and other control characters would end a header and start another
# (header injection); a subject or a name never needs them.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")


def header_safe(value: str) -> str:
    """One line, no control characters, at most 250 characters."""
    return _CONTROL.sub(" ", value).strip()[:250]


def render(notification: Notification) -> tuple[str, str]:
    """(subject, body) of `notification`, from the ticket's state when it is first sent."""
    language = notification.language if notification.language in dict(settings.LANGUAGES) else "en"
    with translation.override(language):
        return _render(notification)


def _local(moment: object) -> str:
    if moment is None:
        return _("not set")
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")  # type: ignore[arg-type]


def _render(notification: Notification) -> tuple[str, str]:
    ticket = notification.ticket
    number = ticket.number if ticket else ""
    title = ticket.title if ticket else ""
    lines: list[str] = []
    quote = ""
    if notification.kind == NotificationKind.ACKNOWLEDGEMENT and ticket is not None:
        headline = _("Your request is registered")
        lines = [
            _("We registered your request as %(number)s.") % {"number": number},
            _("Reaction is due by: %(due)s.") % {"due": _local(ticket.sla_response_due_at)},
            _("Reply to this message to add information; keep the number in the subject."),
        ]
    elif notification.kind == NotificationKind.REPLY and ticket is not None:
        headline = _("New reply")
        if ticket.status == lifecycle.Status.WAITING_FOR_CUSTOMER:
            headline = _("Information needed")
            lines = [_("Please answer the question below by replying to this message.")]
        elif ticket.status == lifecycle.Status.RESOLVED:
            headline = _("Resolved")
            lines = [_("The request is resolved. Reply to this message if the problem remains.")]
        quote = notification.comment.text if notification.comment else ""
    elif notification.kind == NotificationKind.STATUS and ticket is not None:
        headline = _("Status changed")
        status = str(notification.data.get("status") or ticket.status)
        label = TicketStatus(status).label if status in TicketStatus.values else status
        lines = [
            _("The status of %(number)s is now: %(status)s.") % {"number": number, "status": label}
        ]
    elif notification.kind in (NotificationKind.SLA_WARNING, NotificationKind.SLA_BREACH):
        headline = (
            _("SLA warning")
            if notification.kind == NotificationKind.SLA_WARNING
            else _("SLA breach")
        )
        lines = [
            str(notification.data.get("label", "")),
            _("Due: %(due)s.") % {"due": _local(ticket.sla_next_due_at if ticket else None)},
        ]
    elif notification.kind == NotificationKind.ATTENTION:
        headline = _("Needs your attention")
        lines = [str(notification.data.get("reason", ""))]
    else:
        headline = _("Notification")
    subject = f"[{number}] {headline}: {title}" if number else headline
    body = render_to_string(
        "notifications/email/message.txt",
        {"headline": headline, "lines": lines, "quote": quote, "number": number, "title": title},
    )
    return header_safe(subject), body
