"""Monitoring intake: a notification's alerts are stored first, then each opens, reopens or
annotates the incident of its fingerprint.

`alert_notification_receive` commits every alert of a notification before it acts on any
(the point after which the sender may forget them); `inbound_alert_process` does the rest
in one transaction holding the source's lock, so two notifications of one source never race
to open two incidents for one alert, and a crash leaves the alert pending for a retry."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sladesk.accounts.models import User
from sladesk.accounts.services import token_digest
from sladesk.channels import retries
from sladesk.channels.choices import InboundStatus
from sladesk.channels.models import AlertSource, InboundAlert
from sladesk.channels.monitoring.alerts import (
    Alert,
    AlertPayloadError,
    AlertStatus,
    IncidentState,
    Step,
    impact_of,
    next_step,
    parse_notification,
    read_alert,
)
from sladesk.core import clock
from sladesk.core.errors import DomainError, NotFound, PermissionDenied
from sladesk.tickets import lifecycle
from sladesk.tickets.choices import Channel, CommentKind
from sladesk.tickets.models import Ticket
from sladesk.tickets.services.common import finish, transition
from sladesk.tickets.services.conversation import add_comment
from sladesk.tickets.services.registration import TicketRegistration, ticket_register_for_sender

logger = logging.getLogger(__name__)

TAG_MONITORING = "monitoring"
# Beside the users' "sld_", a token shows which kind it is.
TOKEN_PREFIX = "slm_"  # noqa: S105  # a prefix, not a secret


class AlertPayloadRejected(DomainError):
    """A notification that is not one the desk can read; it is kept, quarantined."""


def alert_source_issue_token(*, actor: User, source_id: int) -> str:
    """A new token for the source (the old one stops working); returned once, never stored."""
    if not actor.is_staff:
        raise PermissionDenied(_("Only an administrator may issue alert source tokens."))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    updated = AlertSource.objects.filter(pk=source_id).update(
        token_prefix=raw[:12], token_digest=token_digest(raw)
    )
    if not updated:
        raise NotFound(_("No such alert source."))
    return raw


def alert_source_authenticate(raw: str) -> AlertSource | None:
    """The active source whose token is `raw`, else None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    return (
        AlertSource.objects.filter(token_digest=token_digest(raw), is_active=True)
        .select_related("organisation")
        .first()
    )


def _dedup_key(source: AlertSource, alert: Alert) -> str:
    # A sender that gives no start time cannot be told from its own repeats by the key:
    # every copy is stored, and `next_step` makes the repeats change nothing.
    moment = alert.starts_at.isoformat() if alert.starts_at else uuid.uuid4().hex
    basis = f"{source.pk}\x00{alert.fingerprint}\x00{alert.status}\x00{moment}"
    return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()


def alert_notification_receive(*, source: AlertSource, payload: Any) -> list[InboundAlert]:
    """Store and act on the alerts of one notification (call outside any transaction).

    A payload that cannot be read is stored quarantined and refused with the reason
    (`AlertPayloadRejected`). An alert stored before (a redelivery) is returned as it is."""
    try:
        alerts = parse_notification(payload)
    except AlertPayloadError as error:
        with transaction.atomic():
            InboundAlert.objects.create(
                source=source,
                dedup_key=uuid.uuid4().hex,
                payload=payload if isinstance(payload, dict | list) else {"body": str(payload)},
                status=InboundStatus.QUARANTINED,
                reason=str(error),
                received_at=clock.now(),
            )
        raise AlertPayloadRejected(
            _("The notification cannot be read: %(reason)s.") % {"reason": error}
        ) from error
    rows = _store(source, list(zip(payload["alerts"], alerts, strict=True)))
    for row in rows:
        if row.status != InboundStatus.PENDING:
            continue
        try:
            inbound_alert_process(inbound_alert_id=row.pk)
        except Exception:  # counted on the row; the worker retries it
            logger.warning("inbound alert %s left pending", row.pk)
        row.refresh_from_db()
    return rows


def _store(source: AlertSource, alerts: list[tuple[Any, Alert]]) -> list[InboundAlert]:
    """Each alert as received, read (its fingerprint, status, title) for finding it again."""
    now = clock.now()
    rows = []
    with transaction.atomic():
        AlertSource.objects.filter(pk=source.pk).update(last_received_at=now)
        for item, alert in alerts:
            key = _dedup_key(source, alert)
            row = InboundAlert(
                source=source,
                dedup_key=key,
                fingerprint=alert.fingerprint,
                alert_status=alert.status,
                title=alert.title,
                payload=item,
                starts_at=alert.starts_at,
                received_at=now,
            )
            try:
                with transaction.atomic():
                    row.save()
            except IntegrityError:
                row = InboundAlert.objects.get(dedup_key=key)
            rows.append(row)
    return rows


def inbound_alert_process(*, inbound_alert_id: int) -> InboundAlert:
    """Act on one pending alert, in one transaction holding its source's lock.

    An unexpected error rolls everything back and leaves the alert pending (its attempts
    counted); after `retries.MAX_PROCESS_ATTEMPTS` it is quarantined with the error."""
    try:
        with transaction.atomic():
            row = InboundAlert.objects.filter(pk=inbound_alert_id).first()
            if row is None or row.source_id is None:
                raise NotFound(_("No such alert."))
            source = AlertSource.objects.select_for_update().get(pk=row.source_id)
            row = InboundAlert.objects.select_for_update().get(pk=inbound_alert_id)
            if row.status != InboundStatus.PENDING:
                return row
            _process(source, row)
            row.processed_at = clock.now()
            row.save()
            return row
    except NotFound:
        raise
    except Exception as error:
        logger.exception("processing inbound alert %s failed", inbound_alert_id)
        retries.failure_count(InboundAlert, inbound_alert_id, error)
        raise


def inbound_alert_process_pending(*, limit: int = 200) -> int:
    """Retry alerts left pending (a crash, the database away); returns how many were done."""
    return retries.pending_process(
        InboundAlert, lambda pk: inbound_alert_process(inbound_alert_id=pk), limit=limit
    )


# --- deciding -------------------------------------------------------------------------------


def _incident(source: AlertSource, row: InboundAlert) -> tuple[Ticket | None, AlertStatus | None]:
    """The incident of the row's fingerprint and the status its alert was last seen in."""
    earlier = (
        InboundAlert.objects.filter(
            source=source,
            fingerprint=row.fingerprint,
            status=InboundStatus.PROCESSED,
            ticket__isnull=False,
        )
        .exclude(pk=row.pk)
        .order_by("-processed_at", "-id")
        .first()
    )
    if earlier is None or earlier.ticket_id is None:
        return None, None
    ticket = Ticket.objects.select_for_update().filter(pk=earlier.ticket_id).first()
    return ticket, AlertStatus(earlier.alert_status)


def _state(ticket: Ticket | None) -> IncidentState:
    if ticket is None or ticket.status in lifecycle.TERMINAL_STATUSES:
        return IncidentState.NONE
    if ticket.status == lifecycle.Status.RESOLVED:
        return IncidentState.RESOLVED
    return IncidentState.OPEN


def _process(source: AlertSource, row: InboundAlert) -> None:
    alert = AlertStatus(row.alert_status)
    ticket, last = _incident(source, row)
    step = next_step(alert, incident=_state(ticket), last=last)
    row.status = InboundStatus.PROCESSED
    if step == Step.NOTHING:
        row.status = InboundStatus.IGNORED
        row.reason = (
            f"repeat of what {ticket.number} knows" if ticket else "resolved, no open incident"
        )
        return
    if step == Step.OPEN:
        if _over_storm_limit(source):
            row.status = InboundStatus.QUARANTINED
            row.reason = f"over {source.max_new_tickets_per_hour} new incidents an hour"
            return
        row.ticket = _open(source, row)
        row.created_ticket = True
        row.reason = f"new incident {row.ticket.number}"
        return
    assert ticket is not None  # noqa: S101  # every other step has an incident
    if step == Step.REOPEN:
        transition(ticket, None, lifecycle.Action.REOPEN)
        note = _("The alert fires again: %(title)s") % {"title": row.title}
    elif step == Step.NOTE_FIRING:
        note = _("The alert fires again: %(title)s") % {"title": row.title}
    else:
        note = _("The alert has resolved: %(title)s") % {"title": row.title}
    add_comment(ticket, None, CommentKind.SYSTEM, note)
    finish(ticket, None)
    row.ticket = ticket
    row.reason = f"{step} {ticket.number}"


def _over_storm_limit(source: AlertSource) -> bool:
    since = clock.now() - dt.timedelta(hours=1)
    opened = InboundAlert.objects.filter(
        source=source, created_ticket=True, received_at__gte=since
    ).count()
    return opened >= source.max_new_tickets_per_hour


def _open(source: AlertSource, row: InboundAlert) -> Ticket:
    alert = read_alert(row.payload, row.alert_status)
    impact = impact_of(alert.severity)
    data = TicketRegistration(
        title=alert.title,
        description=alert.description,
        channel=Channel.MONITORING,
        contact=source.name,
        service_id=source.service_id,
        ticket_class_id=source.ticket_class_id,
        impact=impact,
        urgency=impact,
    )
    return ticket_register_for_sender(
        organisation_id=source.organisation_id, data=data, flags=[TAG_MONITORING]
    )
