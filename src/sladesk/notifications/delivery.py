"""Deliverers: one function per `DeliveryChannel`, each sending one notification or raising."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage, get_connection

from sladesk.notifications.chat import deliver_chat
from sladesk.notifications.choices import DeliveryChannel
from sladesk.notifications.models import Notification
from sladesk.notifications.rendering import header_safe
from sladesk.webhooks.services import deliver_webhook


def deliver_email(notification: Notification) -> None:
    """Send by SMTP (`SLADESK_SMTP_*`), with the headers that thread it in mail clients."""
    headers = {
        "Message-ID": f"<{notification.message_id}>",
        "Content-Language": notification.language,
    }
    if notification.in_reply_to:
        headers["In-Reply-To"] = f"<{notification.in_reply_to}>"
    if notification.references:
        headers["References"] = notification.references
    if notification.automatic:
        # RFC 3834 §5: automatic mail says so, and asks for no automatic answer.
        headers["Auto-Submitted"] = "auto-generated"
        headers["X-Auto-Response-Suppress"] = "All"
    message = EmailMessage(
        subject=header_safe(notification.subject),
        body=notification.body,
        from_email=settings.SLADESK_MAIL_FROM,
        to=[header_safe(notification.recipient)],
        headers=headers,
        connection=get_connection(timeout=30),
    )
    for name, filename in _attachments(notification):
        with default_storage.open(name, "rb") as stored:
            message.attach(filename, stored.read(), "application/pdf")
    message.send(fail_silently=False)


def _attachments(notification: Notification) -> list[tuple[str, str]]:
    """The stored files a notification carries (a monthly report's PDF), in the reader's
    language where there is one: `data["attachments"]` maps languages to files."""
    files = notification.data.get("attachments")
    if not isinstance(files, dict) or not files:
        return []
    chosen = files.get(notification.language) or files.get(settings.LANGUAGE_CODE)
    chosen = chosen or next(iter(files.values()))
    return [(str(chosen["name"]), str(chosen["filename"]))]


DELIVERERS: dict[str, Callable[[Notification], None]] = {
    DeliveryChannel.EMAIL: deliver_email,
    DeliveryChannel.CHAT: deliver_chat,
    DeliveryChannel.WEBHOOK: deliver_webhook,
}
