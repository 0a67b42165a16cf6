"""E-mail intake: store the raw message first, then turn it into a ticket or a comment.

`inbound_mail_store` commits the raw bytes on their own (the point after which a source may
forget the message); `inbound_mail_process` does everything else in one transaction, so that
a crash leaves the message pending for a retry, never half-applied."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sladesk.accounts.choices import OrganisationKind
from sladesk.accounts.models import Organisation, User
from sladesk.channels import retries
from sladesk.channels.choices import InboundSource, InboundStatus, UnknownSenderPolicy
from sladesk.channels.email.isolation import parse_isolated
from sladesk.channels.email.parsing import (
    InboundMessage,
    MailParseError,
    ParseLimits,
    content_hash,
    parse,
    peek_message_id,
    sender_authentication,
)
from sladesk.channels.email.threading import domain_of, ticket_numbers
from sladesk.channels.models import InboundMail, Mailbox
from sladesk.core import clock
from sladesk.core.errors import DomainError, PermissionDenied
from sladesk.tickets import lifecycle
from sladesk.tickets.choices import Channel, CommentKind
from sladesk.tickets.models import Ticket
from sladesk.tickets.notes import Note
from sladesk.tickets.services.common import finish, transition
from sladesk.tickets.services.conversation import Upload, add_comment, ticket_attach, ticket_comment
from sladesk.tickets.services.registration import (
    TicketRegistration,
    ticket_register,
    ticket_register_for_sender,
)

logger = logging.getLogger(__name__)

FLAG_UNVERIFIED = "unverified-sender"
UNAUTHENTICATED = "sender not authenticated"  # how the sender check's quarantine reads


class MessageTooLarge(DomainError):
    """A message over `SLADESK_MAIL_MAX_BYTES`: refused, nothing stored. The source must
    say so to the sender (`mail-in` exits 65, a permanent failure the MTA bounces)."""

    status_code = 413
    code = "too_large"


@dataclass(frozen=True)
class Stored:
    """The row of a stored message; `created` is false when it had been stored before."""

    mail: InboundMail
    created: bool


def _limits() -> ParseLimits:
    return ParseLimits(max_raw_bytes=settings.SLADESK_MAIL_MAX_BYTES)


def inbound_mail_store(
    *, raw: bytes, source: str = InboundSource.PIPE, mailbox: Mailbox | None = None
) -> Stored:
    """Commit the raw message (its own transaction; call outside any other).

    The same message again (same Message-ID, or the same bytes when it has none) returns the
    first row: the unique `dedup_key` holds against concurrent pollers too. A message over
    the size cap is refused with `MessageTooLarge` and nothing is stored: the raw bytes are
    kept whole or not at all, and the source tells the sender (or keeps the message)."""
    if len(raw) > settings.SLADESK_MAIL_MAX_BYTES:
        raise MessageTooLarge(
            _("The message is larger than %(limit)d bytes.")
            % {"limit": settings.SLADESK_MAIL_MAX_BYTES}
        )
    digest = content_hash(raw)
    message_id = peek_message_id(raw)
    basis = f"id:{message_id}" if message_id else f"raw:{digest}"
    key = hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()
    row = InboundMail(
        mailbox=mailbox,
        source=source,
        dedup_key=key,
        raw=raw,
        size=len(raw),
        content_hash=digest,
        message_id=(message_id or "")[:1000],
        received_at=clock.now(),
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        existing = InboundMail.objects.filter(dedup_key=key).first()
        if existing is None:  # lost the race to a row that then rolled back: try once more
            with transaction.atomic():
                row.save()
            return Stored(mail=row, created=True)
        return Stored(mail=existing, created=False)
    return Stored(mail=row, created=True)


def inbound_mail_process(*, inbound_mail_id: int) -> InboundMail:
    """Process one pending message: ticket, comment, ignore or quarantine, with its status.

    Three steps, so that hostile mail never holds the database: the attempt is counted and
    the row claimed (a lease, `claimed_until`) in a transaction of its own and committed;
    the bytes are parsed outside any transaction, in a child process killed at
    `SLADESK_MAIL_PARSE_SECONDS`; then the decisions run in one transaction holding the
    row's lock. A message whose parse outran the limit is quarantined. One that crashed the
    parser, or any other error, leaves it pending (the attempt counted); a message still
    pending after `retries.MAX_PROCESS_ATTEMPTS` attempts is quarantined, even when its
    earlier attempts killed the whole intake process and recorded nothing else."""
    raw = _claim(inbound_mail_id)
    if raw is None:
        return InboundMail.objects.get(pk=inbound_mail_id)
    try:
        parsed: InboundMessage | MailParseError
        try:
            parsed = parse_isolated(
                raw, limits=_limits(), seconds=settings.SLADESK_MAIL_PARSE_SECONDS, parser=parse
            )
        except MailParseError as error:
            parsed = error
        with transaction.atomic():
            mail = (
                InboundMail.objects.select_for_update(skip_locked=True)
                .filter(pk=inbound_mail_id, status=InboundStatus.PENDING)
                .first()
            )
            if mail is None:
                return InboundMail.objects.get(pk=inbound_mail_id)
            if isinstance(parsed, MailParseError):
                _quarantine(mail, parsed.reason)
            else:
                _process(mail, parsed)
            mail.processed_at = clock.now()
            mail.claimed_until = None
            mail.save()
            return mail
    except Exception as error:
        logger.exception("processing inbound mail %s failed", inbound_mail_id)
        InboundMail.objects.filter(pk=inbound_mail_id).update(claimed_until=None)
        retries.failure_count(InboundMail, inbound_mail_id, error, counted=True)
        raise


def _claim(inbound_mail_id: int) -> bytes | None:
    """Count an attempt on the pending, unclaimed row and claim it (committed before any
    work); None when there is nothing to do. A row whose attempts are used up is quarantined
    here: the earlier ones ended without a word (the process was killed)."""
    now = clock.now()
    with transaction.atomic():
        mail = (
            InboundMail.objects.select_for_update(skip_locked=True)
            .filter(pk=inbound_mail_id, status=InboundStatus.PENDING)
            .exclude(claimed_until__gt=now)
            .first()
        )
        if mail is None:
            return None
        if mail.attempts >= retries.MAX_PROCESS_ATTEMPTS:
            _quarantine(
                mail,
                f"processing did not finish in {mail.attempts} attempts"
                + (f" (last: {mail.reason})" if mail.reason else ""),
            )
            mail.reason = mail.reason[:2000]
            mail.claimed_until = None
            mail.save(update_fields=["status", "reason", "claimed_until"])
            return None
        mail.attempts += 1
        # Long enough for the parse and the decisions; a process that dies lets it lapse.
        lease = max(settings.SLADESK_MAIL_PARSE_SECONDS, 0) * 2 + 300
        mail.claimed_until = now + dt.timedelta(seconds=lease)
        mail.save(update_fields=["attempts", "claimed_until"])
        return bytes(mail.raw)


def inbound_mail_reprocess(*, actor: User, inbound_mail_id: int) -> InboundMail:
    """An administrator sends a quarantined or ignored message through intake again; one
    the sender check held, they vouch for by doing so (the check no longer holds it back)."""
    if not actor.is_staff:
        raise PermissionDenied(_("Only an administrator may reprocess mail."))
    with transaction.atomic():
        mail = (
            InboundMail.objects.select_for_update()
            .filter(
                pk=inbound_mail_id, status__in=[InboundStatus.QUARANTINED, InboundStatus.IGNORED]
            )
            .first()
        )
        if mail is None:
            raise DomainError(_("Only quarantined or ignored mail can be reprocessed."))
        # Sent through again after the sender check held it: the administrator vouches for
        # the sender. Held for anything else, it still has to pass that check.
        mail.sender_vouched = mail.sender_vouched or mail.reason.startswith(UNAUTHENTICATED)
        mail.status, mail.attempts, mail.reason = InboundStatus.PENDING, 0, ""
        mail.claimed_until = None
        mail.save(update_fields=["sender_vouched", "status", "attempts", "reason", "claimed_until"])
    return inbound_mail_process(inbound_mail_id=inbound_mail_id)


def inbound_mail_process_pending(*, limit: int = 200) -> int:
    """Retry messages left pending (a crash, the database away); returns how many were done."""
    return retries.pending_process(
        InboundMail, lambda pk: inbound_mail_process(inbound_mail_id=pk), limit=limit
    )


# --- deciding -------------------------------------------------------------------------------


def _quarantine(mail: InboundMail, reason: str) -> None:
    mail.status = InboundStatus.QUARANTINED
    mail.reason = reason


def _ignore(mail: InboundMail, reason: str) -> None:
    mail.status = InboundStatus.IGNORED
    mail.reason = reason


def _process(mail: InboundMail, message: InboundMessage) -> None:
    sender = message.from_address.email.lower() if message.from_address else ""
    mail.sender = sender[:320]
    mail.subject = message.subject[:300]
    if message.headers_of_interest.is_bounce:
        from sladesk.notifications.services import notification_record_bounce

        answered = notification_record_bounce(
            message_ids=_our_ids_in(mail, message), reason=message.visible_text[:2000]
        )
        _ignore(mail, f"bounce (answers {answered} notification(s))")
        return
    if not sender:
        _quarantine(mail, "no single, unambiguous From address")
        return
    from sladesk.notifications.services import own_addresses

    if sender in own_addresses():
        _ignore(mail, "sent by the desk itself")
        return
    user = User.objects.filter(email__iexact=sender, is_active=True).first()
    doubt = _sender_doubt(mail, message, sender)
    if user is not None and doubt:
        # A known person's name, unproven; before the rate check, whose allowance is theirs.
        _quarantine(mail, doubt)
        return
    if _over_rate(mail, sender):
        _quarantine(mail, "too many messages from this sender")
        return
    ticket = _thread(message)
    if ticket is not None:
        if _is_participant(ticket, user, sender):
            if doubt:
                _quarantine(mail, doubt)
                return
            _reply(mail, message, ticket, user)
            return
        if message.is_auto_generated:
            _ignore(mail, "automatic message to a ticket from a non-participant")
            return
        _quarantine(mail, f"unverified: {sender} is not a participant of {ticket.number}")
        return
    if message.is_auto_generated:
        _ignore(mail, "automatic message (auto-reply, list or bulk mail)")
        return
    _new_ticket(mail, message, user, sender)


def _sender_doubt(mail: InboundMail, message: InboundMessage, sender: str) -> str:
    """Why the From header is not to be believed, or "" when it is: the mailbox (or, piped
    without one, the settings) names no server to ask, the server's Authentication-Results
    passed, or an administrator vouched for the message. Only mail that would speak as a
    known person or a ticket's contact is held to it: an unknown sender gains nothing by
    forging, and is flagged unverified anyway."""
    authserv_id = mail.mailbox.authserv_id if mail.mailbox else settings.SLADESK_MAIL_AUTHSERV_ID
    if not authserv_id:
        return ""
    found = sender_authentication(
        message.headers_of_interest.authentication_results,
        authserv_id=authserv_id,
        from_domain=domain_of(sender),
    )
    mail.authentication = found.summary[:300]
    if found.passed or mail.sender_vouched:
        return ""
    return f"{UNAUTHENTICATED} ({found.summary})"[:2000]


def _over_rate(mail: InboundMail, sender: str) -> bool:
    since = clock.now() - dt.timedelta(hours=1)
    recent = (
        InboundMail.objects.filter(sender=sender, received_at__gte=since)
        .exclude(pk=mail.pk)
        .exclude(status=InboundStatus.PENDING)
        # Forgeries in the sender's name must not use up the sender's own allowance.
        .exclude(reason__startswith=UNAUTHENTICATED)
        .count()
    )
    return recent >= settings.SLADESK_MAIL_RATE_PER_SENDER


def _our_ids_in(mail: InboundMail, message: InboundMessage) -> list[str]:
    """Message-IDs of ours a bounce refers to: its threading headers, or the returned
    message's headers inside the report."""
    from sladesk.notifications.models import Notification

    candidates = set(message.in_reply_to) | set(message.references)
    domain = settings.SLADESK_MAIL_DOMAIN.encode()
    raw = bytes(mail.raw)
    start = 0
    while (found := raw.find(b"<sladesk.", start)) != -1:
        end = raw.find(b">", found)
        if end == -1 or end - found > 200:
            break
        token = raw[found + 1 : end]
        if token.endswith(b"@" + domain):
            candidates.add(token.decode("ascii", "replace"))
        start = end
    return list(
        Notification.objects.filter(message_id__in=candidates).values_list("message_id", flat=True)
    )


def _thread(message: InboundMessage) -> Ticket | None:
    """The ticket a message continues: a number in the subject, else a Message-ID of ours in
    In-Reply-To/References, else the ticket an earlier inbound message of the thread made."""
    numbers = ticket_numbers(message.subject, settings.SLADESK_TICKET_PREFIX)
    if numbers:
        ticket = Ticket.objects.filter(number__in=numbers).order_by("-registered_at").first()
        if ticket is not None:
            return ticket
    identifiers = [*message.in_reply_to, *reversed(message.references)]
    if not identifiers:
        return None
    from sladesk.notifications.models import Notification

    ticket_id = (
        Notification.objects.filter(message_id__in=identifiers, ticket__isnull=False)
        .values_list("ticket_id", flat=True)
        .first()
    ) or (
        InboundMail.objects.filter(message_id__in=identifiers, ticket__isnull=False)
        .values_list("ticket_id", flat=True)
        .first()
    )
    return Ticket.objects.filter(pk=ticket_id).first() if ticket_id else None


def _is_participant(ticket: Ticket, user: User | None, sender: str) -> bool:
    """Requester, watcher, a person of the ticket's organisation, its assignee, or the address
    that registered it without an account."""
    if user is None:
        return bool(ticket.requester_id is None and ticket.contact.strip().lower() == sender)
    return (
        ticket.requester_id == user.pk
        or ticket.assignee_id == user.pk
        or (user.is_customer and user.organisation_id == ticket.organisation_id)
        or ticket.watchers.filter(pk=user.pk).exists()
    )


def _uploads(message: InboundMessage) -> tuple[list[Upload], list[str]]:
    limit = settings.SLADESK_ATTACHMENT_MAX_BYTES
    kept = [
        Upload(filename=item.filename, content=item.payload)
        for item in message.attachments
        if len(item.payload) <= limit
    ]
    dropped = [item.filename for item in message.attachments if len(item.payload) > limit]
    return kept, dropped


def _body(message: InboundMessage, dropped: list[str]) -> str:
    body = message.visible_text.strip() or message.text.strip()
    if message.html_withheld:
        body += "\n\n" + _(
            "The HTML body was not shown (%(reason)s); it is kept among the attachments."
        ) % {"reason": message.html_withheld}
    if dropped:
        body += "\n\n" + _("Attachments over the size limit were not kept: %(names)s") % {
            "names": ", ".join(dropped)
        }
    return body.strip()


def _reply(mail: InboundMail, message: InboundMessage, ticket: Ticket, user: User | None) -> None:
    uploads, dropped = _uploads(message)
    body = _body(message, dropped) or _("(empty message)")
    terminal = ticket.status in lifecycle.TERMINAL_STATUSES
    if user is None or message.is_auto_generated or terminal:
        # No account, an automatic message, or a closed ticket: recorded, without the
        # lifecycle effects of a reply (an auto-reply must never reopen a ticket), but for
        # the contact's answer to a question.
        if terminal and not message.is_auto_generated and user is not None:
            _new_ticket(mail, message, user, user.email)
            return
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        kind = CommentKind.INTERNAL if message.is_auto_generated else CommentKind.PUBLIC
        comment = add_comment(locked, user, kind, body, uploads)
        if user is None:
            # The comment has no author account, so the outbox took the sender for another
            # participant: they are not told of their own message (uncommitted, never sent).
            from sladesk.notifications.models import Notification

            Notification.objects.filter(
                comment=comment,
                recipient=(message.from_address.email if message.from_address else "").lower(),
            ).delete()
        if (
            user is None
            and not message.is_auto_generated
            and locked.status == lifecycle.Status.WAITING_FOR_CUSTOMER
        ):
            # The contact without an account answered what we asked: the ticket resumes.
            transition(locked, None, lifecycle.Action.CUSTOMER_REPLY)
        finish(locked, None)
    else:
        try:
            comment = ticket_comment(actor=user, ticket_id=ticket.pk, body=body, uploads=uploads)
        except DomainError as error:
            _quarantine(mail, f"could not add the reply to {ticket.number}: {error.message}")
            return
    mail.ticket = ticket
    mail.comment = comment
    mail.status = InboundStatus.PROCESSED
    mail.reason = f"reply to {ticket.number}"


def _organisation_for(sender: str) -> Organisation | None:
    domain = domain_of(sender)
    if not domain:
        return None
    for organisation in Organisation.objects.filter(
        kind=OrganisationKind.CUSTOMER, is_active=True, email_domains__icontains=domain
    ):
        if domain in organisation.domain_list():
            return organisation
    return None


def _unknown_sender_policy(mail: InboundMail) -> tuple[str, Organisation | None]:
    """What becomes of an unknown sender's message: the mailbox's policy and organisation,
    or for a message piped in without a mailbox, the settings'."""
    if mail.mailbox:
        return mail.mailbox.unknown_sender_policy, mail.mailbox.default_organisation
    default = Organisation.objects.filter(
        code=settings.SLADESK_MAIL_DEFAULT_ORGANISATION or None,
        kind=OrganisationKind.CUSTOMER,
        is_active=True,
    ).first()
    return settings.SLADESK_MAIL_UNKNOWN_SENDERS, default


def _new_ticket(mail: InboundMail, message: InboundMessage, user: User | None, sender: str) -> None:
    uploads, dropped = _uploads(message)
    data = TicketRegistration(
        title=message.subject.strip() or _("(no subject)"),
        description=_body(message, dropped),
        channel=Channel.EMAIL,
        contact=sender,
    )
    if user is not None and user.is_customer:
        ticket = ticket_register(actor=user, data=data)
        actor: User | None = user
    else:
        organisation = None if user is not None else _organisation_for(sender)
        if organisation is None:
            policy, default = _unknown_sender_policy(mail)
            if policy != UnknownSenderPolicy.CREATE or default is None:
                _quarantine(mail, f"unknown sender {sender}")
                return
            organisation = default
        ticket = ticket_register_for_sender(
            organisation_id=organisation.pk, data=data, flags=[FLAG_UNVERIFIED]
        )
        actor = None
    if uploads:
        if actor is not None:
            ticket_attach(actor=actor, ticket_id=ticket.pk, uploads=uploads)
        else:
            attachments = Note("email_attachments")
            add_comment(ticket, None, CommentKind.SYSTEM, uploads=uploads, note=attachments)
    mail.ticket = ticket
    mail.created_ticket = True
    mail.status = InboundStatus.PROCESSED
    mail.reason = f"new ticket {ticket.number}"
