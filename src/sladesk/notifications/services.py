"""Writing notifications into the outbox and delivering the due ones."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from sladesk.accounts.models import User
from sladesk.core import clock
from sladesk.notifications import rules
from sladesk.notifications.choices import (
    DeliveryChannel,
    DeliveryMode,
    NotificationKind,
    NotificationStatus,
)
from sladesk.notifications.models import ChatTarget, Notification
from sladesk.tickets.choices import CommentKind
from sladesk.tickets.models import Comment, Ticket


def note_data(note: Note) -> dict[str, object]:
    """A desk note as a notification keeps it, rendered per reader (`rendering`)."""
    return {"kind": note.kind, "params": note.stored_params()}


if TYPE_CHECKING:
    from sladesk.accounts.models import Contract
    from sladesk.reports.models import MonthlyReport
    from sladesk.sla.models import SlaEvent
    from sladesk.tickets.notes import Note

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


def own_addresses() -> frozenset[str]:
    """Addresses of the desk itself: mail to or from them never starts a conversation."""
    from sladesk.notifications.directory import directory

    return directory().own_addresses


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


DESK, EMAIL, CHAT = DeliveryChannel.DESK, DeliveryChannel.EMAIL, DeliveryChannel.CHAT


@dataclass
class _Planned:
    channel: str
    recipient: str
    language: str
    user: User | None
    mode: str
    customer: bool


def _digest_time(mode: str, person: User | None, now: dt.datetime) -> dt.datetime:
    """When a held notification goes out: the next full hour, or 08:00 of the person's next
    morning (in their zone)."""
    if mode == DeliveryMode.HOURLY:
        return now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    import zoneinfo

    try:
        zone = zoneinfo.ZoneInfo(person.time_zone if person else settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(zone)
    morning = local.replace(hour=8, minute=0, second=0, microsecond=0)
    if morning <= local:
        morning = (local + dt.timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    return morning.astimezone(dt.UTC)


def _planned_rows(
    kind: str, people: list[User], chat_targets: Iterable[ChatTarget], contacts: Iterable[Recipient]
) -> list[_Planned]:
    """Every (channel, recipient) `kind` reaches, by each person's preferences: the desk
    always, e-mail and their chat targets unless turned off; a line's chat targets and the
    addresses of senders without an account at once."""
    from sladesk.notifications.directory import directory
    from sladesk.notifications.preferences import modes_for

    modes = modes_for(users=people, kind=kind) if people else {}
    wants_chat = [p.pk for p in people if modes[p.pk].get(DeliveryChannel.CHAT) != DeliveryMode.OFF]
    of_user = directory().chat_of_user if wants_chat else {}
    targets = {pk: of_user.get(pk, ()) for pk in wants_chat}
    at_once = DeliveryMode.IMMEDIATE
    planned: list[_Planned] = []
    for person in people:
        language = person.language or settings.LANGUAGE_CODE
        email = modes[person.pk].get(DeliveryChannel.EMAIL, at_once)
        chat = modes[person.pk].get(DeliveryChannel.CHAT, at_once)
        customer = person.is_customer
        planned.append(_Planned(DESK, f"desk:{person.pk}", language, person, at_once, customer))
        if email != DeliveryMode.OFF:
            planned.append(_Planned(EMAIL, person.email, language, person, email, customer))
        planned.extend(
            _Planned(CHAT, target.recipient, language, person, chat, customer)
            for target in targets.get(person.pk, ())
        )
    language = settings.LANGUAGE_CODE
    planned.extend(
        _Planned(CHAT, t.recipient, language, None, at_once, False) for t in chat_targets
    )
    planned.extend(
        _Planned(EMAIL, c.address.strip().lower(), c.language, None, at_once, True)
        for c in contacts
    )
    return planned


def notify(
    *,
    kind: str,
    event_key: str,
    people: Iterable[User],
    ticket: Ticket | None = None,
    comment: Comment | None = None,
    data: dict[str, object] | None = None,
    contacts: Iterable[Recipient] = (),
    line_targets: Iterable[ChatTarget] = (),
    automatic: bool = True,
    fresh: bool = False,
) -> list[Notification]:
    """Tell `people` (and senders without an account, and a line's chat targets) of `kind`,
    inside the caller's transaction, on every channel their preferences keep.

    One `event_key` is one action: a second call with the same key writes no second row for
    a recipient but keeps the kind that says most (`rules.PRECEDENCE`), so that a resolution
    (a transition and a reply) is one notification. Customers never get a vendor-only kind
    nor an internal comment. `fresh` says no row can have this key yet (the first event of
    an action): nothing is looked up. Returns the rows written or changed."""
    everyone = {person.pk: person for person in people if person.is_active}
    if kind in rules.VENDOR_ONLY_KINDS:
        everyone = {pk: person for pk, person in everyone.items() if not person.is_customer}
        contacts = ()
    planned = _planned_rows(kind, list(everyone.values()), line_targets, contacts)
    if not planned:
        return []
    now = clock.now()
    rows = [] if fresh else Notification.objects.filter(event_key=event_key)
    existing = {(row.recipient, row.channel): row for row in rows}
    mail = {plan.recipient for plan in planned if plan.channel == DeliveryChannel.EMAIL}
    own = own_addresses() if mail else frozenset()
    # Loop protection guards the answers to inbound mail: the customer's side, not the team.
    answering = {p.recipient for p in planned if p.channel == DeliveryChannel.EMAIL and p.customer}
    answered = _answered_recently(answering, now) if kind in AUTO_REPLY_KINDS else set()
    written: list[Notification] = []
    new: list[Notification] = []
    for plan in planned:
        shown = comment
        if comment is not None and plan.customer and comment.kind != CommentKind.PUBLIC:
            shown = None  # internal notes never reach customers
        row = existing.get((plan.recipient, plan.channel))
        if row is not None:
            unsent = row.status in (NotificationStatus.PENDING, NotificationStatus.HELD)
            if rules.outranks(kind, row.kind) and (unsent or row.channel == DeliveryChannel.DESK):
                row.kind = kind
                row.data = {**row.data, **(data or {})}
                row.comment = shown or row.comment
                row.save(update_fields=["kind", "data", "comment"])
                written.append(row)
            elif shown is not None and row.comment_id is None:
                row.comment = shown
                row.automatic = row.automatic and automatic
                row.save(update_fields=["comment", "automatic"])
            continue
        if plan.channel == DeliveryChannel.EMAIL and (
            plan.recipient in own or plan.recipient in answered
        ):
            continue
        held = plan.mode in (DeliveryMode.HOURLY, DeliveryMode.DAILY)
        desk = plan.channel == DeliveryChannel.DESK
        new.append(
            Notification(
                channel=plan.channel,
                kind=kind,
                event_key=event_key,
                recipient=plan.recipient,
                user=plan.user,
                language=plan.language,
                ticket=ticket,
                comment=shown,
                automatic=automatic,
                message_id=new_message_id(),
                data=data or {},
                created_at=now,
                next_attempt_at=_digest_time(plan.mode, plan.user, now) if held else now,
                status=(
                    NotificationStatus.SENT
                    if desk
                    else NotificationStatus.HELD
                    if held
                    else NotificationStatus.PENDING
                ),
                sent_at=now if desk else None,
            )
        )
    if new:
        # The ticket's lock (or the caller's unique event) keeps keys apart; a clash all the
        # same must not undo the change that caused the notification.
        Notification.objects.bulk_create(new, ignore_conflicts=True)
        written.extend(new)
        if any(row.status == NotificationStatus.PENDING for row in new):
            transaction.on_commit(delivery_kick)
    return written


def _answered_recently(addresses: Iterable[str], now: dt.datetime) -> set[str]:
    """Those of `addresses` that had an automatic answer within the loop-protection window."""
    wanted = set(addresses)
    if not wanted:
        return set()
    window_start = now - dt.timedelta(seconds=settings.SLADESK_MAIL_AUTO_REPLY_WINDOW)
    recent = set(
        Notification.objects.filter(
            recipient__in=wanted, kind__in=AUTO_REPLY_KINDS, created_at__gte=window_start
        ).values_list("recipient", flat=True)
    )
    for address in recent:
        logger.info("no automatic answer to %s: one was sent within the window", address)
    return recent


def notifications_digest_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Gather the held notifications whose digest time has come into one digest per
    recipient and channel; returns how many digests were written.

    The items are locked while they are carried (other workers skip them) and marked sent in
    the digest's transaction; the digest's key names its first item, so no item is carried
    twice and no digest is written twice."""
    moment = now or clock.now()
    due = (
        Notification.objects.filter(status=NotificationStatus.HELD, next_attempt_at__lte=moment)
        .order_by()
        .values_list("recipient", "channel")
        .distinct()[:limit]
    )
    written = 0
    for recipient, channel in list(due):
        with transaction.atomic():
            items = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(
                    status=NotificationStatus.HELD,
                    recipient=recipient,
                    channel=channel,
                    next_attempt_at__lte=moment,
                )
                .order_by("created_at", "id")
            )
            if not items:
                continue
            first = items[0]
            digest = Notification.objects.create(
                channel=channel,
                kind=NotificationKind.DIGEST,
                event_key=f"digest:{first.pk}",
                recipient=recipient,
                user=first.user,
                language=first.language,
                message_id=new_message_id(),
                data={"items": [item.pk for item in items]},
                created_at=moment,
                next_attempt_at=moment,
            )
            Notification.objects.filter(pk__in=[item.pk for item in items]).update(
                status=NotificationStatus.SENT, digest=digest, sent_at=moment
            )
            written += 1
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

    notifications_digest_due()
    sent = 0
    for _ in range(limit):
        now = clock.now()
        row = _claim_one(now)
        if row is None:
            break
        try:
            # Rendered once, from the state after the change committed.
            if row.channel != DeliveryChannel.WEBHOOK and not row.subject:
                row.subject, row.body = render(row)
                row.in_reply_to, row.references = _thread_headers(row)
            DELIVERERS[row.channel](row)
        except Exception as error:
            logger.warning("delivery of notification %s failed: %s", row.pk, error)
            failed = row.attempts >= MAX_ATTEMPTS or isinstance(error, DeliveryRefused)
            _settle(
                row,
                status=NotificationStatus.FAILED if failed else NotificationStatus.PENDING,
                last_error=f"{type(error).__name__}: {error}"[:2000],
                next_attempt_at=clock.now() + backoff(row.attempts),
            )
            continue
        if _settle(row, status=NotificationStatus.SENT, sent_at=clock.now()):
            sent += 1
    return sent


def _settle(row: Notification, **outcome: object) -> bool:
    """Record how a claimed row's delivery went, if the claim is still this worker's (a
    send that outlived its lease may have been taken over: the other worker's outcome
    stands). A password reset's link is not kept once sent."""
    fields: dict[str, object] = {
        "subject": row.subject,
        "body": row.body,
        "in_reply_to": row.in_reply_to,
        "references": row.references,
        "claimed_until": None,
        **outcome,
    }
    if row.kind == NotificationKind.PASSWORD_RESET and outcome["status"] != "pending":
        fields["body"] = ""
    return bool(
        Notification.objects.filter(
            pk=row.pk, status=NotificationStatus.SENDING, claimed_until=row.claimed_until
        ).update(**fields)
    )


def notification_record_bounce(*, message_ids: Iterable[str], reason: str) -> int:
    """Mark the notifications a bounce answers (by their Message-IDs); returns how many."""
    identifiers = [identifier for identifier in message_ids if identifier]
    if not identifiers:
        return 0
    return Notification.objects.filter(message_id__in=identifiers, bounced_at=None).update(
        bounced_at=clock.now(), bounce_reason=reason[:2000]
    )


def notifications_for_sla_event(
    *, ticket: Ticket, event: SlaEvent, recipients: Iterable[User], note: Note
) -> list[Notification]:
    """Tell the vendor side of a warning or a breach: the people the SLA policy names and the
    ticket's parties of `rules.RULES`; called by the SLA sweep inside the transaction that
    records the `SlaEvent` (so once per event)."""
    from sladesk.notifications.participants import participants
    from sladesk.sla.choices import SlaEventKind

    kind = (
        NotificationKind.SLA_BREACH
        if event.kind == SlaEventKind.BREACH
        else NotificationKind.SLA_WARNING
    )
    parties = participants(ticket, rules.parties_for(kind))
    return notify(
        kind=kind,
        event_key=f"sla-event:{event.pk}",
        people=[*recipients, *parties.people],
        line_targets=parties.line_targets,
        ticket=ticket,
        data={"note": note_data(note)},
    )


def notifications_for_closing(
    *, ticket: Ticket, event: SlaEvent, closes_at: dt.datetime | None
) -> list[Notification]:
    """Tell the customer's side that a ticket waiting for them closes by itself the next
    working day; called by the SLA sweep inside the transaction of the `SlaEvent` (once)."""
    from sladesk.notifications.participants import participants

    kind = NotificationKind.CLOSES_TOMORROW
    parties = participants(ticket, rules.parties_for(kind))
    return notify(
        kind=kind,
        event_key=f"sla-event:{event.pk}",
        people=parties.people,
        contacts=parties.contacts,
        ticket=ticket,
        data={"closes_at": closes_at.isoformat() if closes_at else None},
    )


def notifications_for_contract_end(
    *, contract: Contract, recipients: Iterable[User]
) -> list[Notification]:
    """Tell the account manager and the customer's specialists that `contract` ends soon;
    called by the daily contract job inside the transaction that marks the warning sent.
    Once per term: the event key names the end date, so a renewal warns afresh."""
    return notify(
        kind=NotificationKind.CONTRACT_WARNING,
        event_key=f"contract-end:{contract.pk}:{contract.ends_on.isoformat()}",
        people=recipients,
        data={
            "contract_id": contract.pk,
            "number": contract.number,
            "organisation": contract.organisation.name,
            "ends_on": contract.ends_on.isoformat(),
        },
    )


def notifications_for_monthly_report(
    *, report: MonthlyReport, recipients: Iterable[User]
) -> list[Notification]:
    """Send a contract's monthly report (its PDF in each reader's language, attached) to
    the specialists and the account manager; inside the transaction that marks it mailed."""
    from django.urls import reverse

    contract = report.contract
    return notify(
        kind=NotificationKind.MONTHLY_REPORT,
        event_key=f"monthly-report:{report.pk}",
        people=recipients,
        data={
            "report_id": report.pk,
            "number": contract.number,
            "organisation": contract.organisation.name,
            "period": report.period,
            "link": reverse("web:report_contract", args=[contract.pk]) + f"?period={report.period}",
            "attachments": {
                language: {"name": name, "filename": f"{contract.number}-{report.period}.pdf"}
                for language, name in report.files.items()
            },
        },
    )


def notifications_for_attention(
    *, ticket: Ticket, reason: str, key: str = "", reason_note: Note | None = None
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
    return notify(
        kind=NotificationKind.ATTENTION,
        event_key=key or f"attention:{ticket.pk}:{ticket.attention_at}",
        people=people,
        ticket=ticket,
        data={"reason": reason, **({"note": note_data(reason_note)} if reason_note else {})},
    )


def notification_mark_read(*, actor: User, notification_id: int) -> Notification:
    """Mark one of `actor`'s own notifications read (another's is NotFound)."""
    from django.utils.translation import gettext as _

    from sladesk.core.errors import NotFound
    from sladesk.notifications.selectors import notifications_of

    row = notifications_of(user=actor).filter(pk=notification_id).first()
    if row is None:
        raise NotFound(_("No such notification."))
    if row.read_at is None:
        row.read_at = clock.now()
        row.save(update_fields=["read_at"])
    return row


def notifications_mark_all_read(*, actor: User) -> int:
    """Mark all of `actor`'s unread notifications read; returns how many."""
    from sladesk.notifications.selectors import notifications_of

    return notifications_of(user=actor, unread_only=True).order_by().update(read_at=clock.now())


def notifications_read_for_ticket(*, actor: User, ticket_id: int) -> int:
    """Opening a ticket reads `actor`'s notices about it (one UPDATE, none when all read)."""
    from sladesk.notifications.selectors import notifications_of

    return (
        notifications_of(user=actor, unread_only=True)
        .filter(ticket_id=ticket_id)
        .order_by()
        .update(read_at=clock.now())
    )


def notifications_prune(*, now: dt.datetime | None = None) -> int:
    """The daily job: forget notices read in the desk more than
    `SLADESK_NOTIFICATIONS_KEEP_DAYS` ago (unread ones and other channels' rows stay: those
    thread mail and answer bounces); returns how many were removed."""
    moment = now or clock.now()
    cutoff = moment - dt.timedelta(days=settings.SLADESK_NOTIFICATIONS_KEEP_DAYS)
    deleted, _by_model = Notification.objects.filter(
        channel=DeliveryChannel.DESK, read_at__lt=cutoff
    ).delete()
    return deleted


def notification_written(
    *, kind: str, event_key: str, user: User, subject: str, body: str
) -> Notification:
    """Mail already written for `user` (a password reset, whose link cannot be made again
    later), into the outbox inside the caller's transaction; sent by the worker as is."""
    row = Notification.objects.create(
        channel=DeliveryChannel.EMAIL,
        kind=kind,
        event_key=event_key,
        recipient=user.email,
        user=user,
        language=user.language,
        automatic=True,
        message_id=new_message_id(),
        subject=subject.strip(),
        body=body,
    )
    transaction.on_commit(delivery_kick)
    return row
