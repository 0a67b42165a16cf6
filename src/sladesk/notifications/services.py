"""Writing notifications into the outbox and delivering the due ones."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from sladesk.accounts.models import User
from sladesk.core import clock
from sladesk.notifications.choices import DeliveryChannel, NotificationKind, NotificationStatus
from sladesk.notifications.models import Notification
from sladesk.tickets.models import Comment, Ticket

if TYPE_CHECKING:
    from sladesk.accounts.models import Contract
    from sladesk.sla.models import SlaEvent

logger = logging.getLogger(__name__)


class DeliveryRefused(Exception):
    """A deliverer's answer that no retry can change (a removed subscription, a forbidden
    target): the notification fails at once."""


# Kinds that answer an inbound message by themselves: at most one per address per window,
# so that an autoresponder that hides what it is cannot draw us into a loop.
AUTO_REPLY_KINDS = frozenset({NotificationKind.ACKNOWLEDGEMENT})
MAX_ATTEMPTS = 8
CLAIM_LEASE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Recipient:
    """An address and the language its messages are written in."""

    address: str
    language: str

    @classmethod
    def of(cls, user: User) -> Recipient:
        return cls(address=user.email, language=user.language or settings.LANGUAGE_CODE)


def new_message_id() -> str:
    """A globally unique Message-ID (without angle brackets) in the desk's mail domain."""
    return f"sladesk.{uuid.uuid4().hex}@{settings.SLADESK_MAIL_DOMAIN}"


def own_addresses() -> set[str]:
    """Addresses of the desk itself: mail to or from them never starts a conversation."""
    from sladesk.channels.models import Mailbox

    addresses = {settings.SLADESK_MAIL_FROM.lower()}
    addresses.update(
        address.lower() for address in Mailbox.objects.values_list("address", flat=True)
    )
    return {address for address in addresses if address}


def _thread_headers(row: Notification) -> tuple[str, str]:
    """In-Reply-To and References that put a ticket's mail in one thread in mail clients:
    the customer's mail that opened the ticket, else our first message about it."""
    if row.ticket_id is None:
        return "", ""
    from sladesk.channels.models import InboundMail

    inbound_root = (
        InboundMail.objects.filter(ticket_id=row.ticket_id, created_ticket=True)
        .exclude(message_id="")
        .values_list("message_id", flat=True)
        .first()
    )
    our_root = (
        Notification.objects.filter(ticket_id=row.ticket_id, created_at__lte=row.created_at)
        .exclude(pk=row.pk)
        .order_by("created_at", "id")
        .values_list("message_id", flat=True)
        .first()
    )
    roots = [identifier for identifier in (inbound_root, our_root) if identifier]
    if not roots:
        return "", ""
    return roots[0], " ".join(f"<{identifier}>" for identifier in roots)


def notification_enqueue(
    *,
    kind: str,
    event_key: str,
    recipients: Iterable[Recipient],
    ticket: Ticket | None = None,
    comment: Comment | None = None,
    automatic: bool = True,
    channel: str = DeliveryChannel.EMAIL,
    data: dict[str, object] | None = None,
) -> list[Notification]:
    """Write outbox rows for one event, inside the caller's transaction.

    Call from the service that made the change, so that the rows commit or roll back with it.
    A second call for the same event and recipient writes nothing (unique key); the desk's own
    addresses never receive; an automatic answer to an address that had one within
    `SLADESK_MAIL_AUTO_REPLY_WINDOW` seconds is not written (loop protection)."""
    unique = {recipient.address.strip().lower(): recipient for recipient in recipients}
    if not unique:
        return []  # most events of tickets without a requester: no query at all
    own = own_addresses()
    now = clock.now()
    window_start = now - dt.timedelta(seconds=settings.SLADESK_MAIL_AUTO_REPLY_WINDOW)
    written = []
    for address, recipient in unique.items():
        if not address or address in own:
            continue
        if (
            kind in AUTO_REPLY_KINDS
            and Notification.objects.filter(
                recipient=address, kind__in=AUTO_REPLY_KINDS, created_at__gte=window_start
            ).exists()
        ):
            logger.info("no %s to %s: one was sent within the window", kind, address)
            continue
        try:
            with transaction.atomic():
                written.append(
                    Notification.objects.create(
                        channel=channel,
                        kind=kind,
                        event_key=event_key,
                        recipient=address,
                        language=recipient.language,
                        ticket=ticket,
                        comment=comment,
                        automatic=automatic,
                        message_id=new_message_id(),
                        data=data or {},
                        created_at=now,
                        next_attempt_at=now,
                    )
                )
        except IntegrityError:
            continue  # already planned for this event: at most once
    if written:
        transaction.on_commit(delivery_kick)
    return written


def delivery_kick() -> None:
    """Ask a worker to deliver now; the periodic job is the safety net."""
    from sladesk.notifications.tasks import notifications_deliver_task

    try:
        notifications_deliver_task.enqueue()
    except Exception:  # the periodic job delivers it anyway; the change is committed
        logger.exception("could not enqueue notification delivery")


def _claim_one(now: dt.datetime) -> Notification | None:
    """Take one due row for `CLAIM_LEASE`; concurrent workers skip each other's rows."""
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=NotificationStatus.PENDING, next_attempt_at__lte=now)
                | Q(status=NotificationStatus.SENDING, claimed_until__lt=now)
            )
            .order_by("next_attempt_at", "id")
            .first()
        )
        if row is None:
            return None
        row.status = NotificationStatus.SENDING
        row.claimed_until = now + CLAIM_LEASE
        row.attempts += 1
        row.save(update_fields=["status", "claimed_until", "attempts"])
    return row


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, ... at most 6 h between attempts."""
    return min(dt.timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), dt.timedelta(hours=6))


def notifications_deliver_due(*, limit: int = 100) -> int:
    """Deliver up to `limit` due notifications; returns how many were sent.

    A row is claimed (committed) before it is sent and marked sent right after; only a crash
    between the two sends it again after the lease, with the same Message-ID, so that the
    recipient's client shows it once."""
    from sladesk.notifications.delivery import DELIVERERS
    from sladesk.notifications.rendering import render

    sent = 0
    for _ in range(limit):
        now = clock.now()
        row = _claim_one(now)
        if row is None:
            break
        try:
            # E-mail is rendered once, from the state after the change committed.
            if row.channel == DeliveryChannel.EMAIL and not row.subject:
                row.subject, row.body = render(row)
                row.in_reply_to, row.references = _thread_headers(row)
            DELIVERERS[row.channel](row)
        except Exception as error:
            logger.warning("delivery of notification %s failed: %s", row.pk, error)
            row.last_error = f"{type(error).__name__}: {error}"[:2000]
            row.status = (
                NotificationStatus.FAILED
                if row.attempts >= MAX_ATTEMPTS or isinstance(error, DeliveryRefused)
                else NotificationStatus.PENDING
            )
            row.next_attempt_at = clock.now() + backoff(row.attempts)
            row.claimed_until = None
            row.save(
                update_fields=[
                    "subject",
                    "body",
                    "in_reply_to",
                    "references",
                    "last_error",
                    "status",
                    "next_attempt_at",
                    "claimed_until",
                ]
            )
            continue
        row.status = NotificationStatus.SENT
        row.sent_at = clock.now()
        row.claimed_until = None
        row.save(
            update_fields=[
                "subject",
                "body",
                "in_reply_to",
                "references",
                "status",
                "sent_at",
                "claimed_until",
            ]
        )
        sent += 1
    return sent


def notification_record_bounce(*, message_ids: Iterable[str], reason: str) -> int:
    """Mark the notifications a bounce answers (by their Message-IDs); returns how many."""
    identifiers = [identifier for identifier in message_ids if identifier]
    if not identifiers:
        return 0
    return Notification.objects.filter(message_id__in=identifiers, bounced_at=None).update(
        bounced_at=clock.now(), bounce_reason=reason[:2000]
    )


def notifications_for_sla_event(
    *, ticket: Ticket, event: SlaEvent, recipients: Iterable[User], label: str
) -> list[Notification]:
    """Tell the vendor-side people an SLA policy names about a warning or a breach; called by
    the SLA sweep inside the transaction that records the `SlaEvent` (so once per event)."""
    from sladesk.sla.choices import SlaEventKind

    kind = (
        NotificationKind.SLA_BREACH
        if event.kind == SlaEventKind.BREACH
        else NotificationKind.SLA_WARNING
    )
    return notification_enqueue(
        kind=kind,
        event_key=f"sla-event:{event.pk}",
        recipients=[Recipient.of(person) for person in recipients],
        ticket=ticket,
        data={"label": label},
    )


def notifications_for_contract_end(
    *, contract: Contract, recipients: Iterable[User]
) -> list[Notification]:
    """Tell the account manager and the customer's specialists that `contract` ends soon;
    called by the daily contract job inside the transaction that marks the warning sent.
    Once per term: the event key names the end date, so a renewal warns afresh. The mail is
    written here, in each recipient's language (the ticket renderer knows no contracts)."""
    from django.template.loader import render_to_string
    from django.utils import translation
    from django.utils.translation import gettext

    from sladesk.notifications.rendering import header_safe

    people = list(recipients)
    written = notification_enqueue(
        kind=NotificationKind.CONTRACT_WARNING,
        event_key=f"contract-end:{contract.pk}:{contract.ends_on.isoformat()}",
        recipients=[Recipient.of(person) for person in people],
        data={"contract_id": contract.pk, "ends_on": contract.ends_on.isoformat()},
    )
    values = {
        "number": contract.number,
        "organisation": contract.organisation.name,
        "ends_on": contract.ends_on.isoformat(),
        "zone": settings.TIME_ZONE,
    }
    for row in written:
        language = row.language if row.language in dict(settings.LANGUAGES) else "en"
        with translation.override(language):
            headline = gettext("Support contract %(number)s ends on %(ends_on)s") % values
            lines = [
                gettext("The support contract %(number)s of %(organisation)s ends on %(ends_on)s.")
                % values,
                gettext(
                    "Unless it is renewed, the customer's accounts are refused from the end of "
                    "that day (%(zone)s time)."
                )
                % values,
            ]
            row.subject = header_safe(headline)
            row.body = render_to_string(
                "notifications/email/message.txt",
                {"headline": headline, "lines": lines, "quote": "", "number": "", "title": ""},
            )
        row.save(update_fields=["subject", "body"])
    return written


def notifications_for_attention(
    *, ticket: Ticket, reason: str, key: str = ""
) -> list[Notification]:
    """Tell the ticket's line lead and the supervisors (or, for a follow-up reminder with
    `key`, the assignee, else the lead) that a ticket needs them; inside the caller's
    transaction, once per raise (the key names the moment it was raised)."""
    from sladesk.accounts.choices import Role

    if key:
        people = [ticket.assignee] if ticket.assignee is not None else []
    else:
        people = list(User.objects.filter(role=Role.SUPERVISOR, is_active=True))
    if (not people or not key) and ticket.line is not None and ticket.line.lead is not None:
        people.append(ticket.line.lead)
    return notification_enqueue(
        kind=NotificationKind.ATTENTION,
        event_key=key or f"attention:{ticket.pk}:{ticket.attention_at}",
        recipients=[Recipient.of(person) for person in {p.pk: p for p in people}.values()],
        ticket=ticket,
        data={"reason": reason},
    )
