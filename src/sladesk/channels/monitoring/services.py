"""Monitoring intake: a notification's alerts are stored first, then each opens, reopens or
annotates the incident of its fingerprint.

`alert_notification_receive` commits every alert of a notification before it acts on any
(the point after which the sender may forget them); `inbound_alert_process` does the rest
in one transaction holding the source's lock, so two notifications of one source never race
to open two incidents for one alert, and a crash leaves the alert pending for a retry."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
import uuid
from dataclasses import replace
from functools import partial
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
from sladesk.tickets.notes import Note
from sladesk.tickets.services.common import finish, reopen
from sladesk.tickets.services.conversation import add_comment
from sladesk.tickets.services.registration import TicketRegistration, ticket_register_for_sender

logger = logging.getLogger(__name__)

TAG_MONITORING = "monitoring"
STORM = "over the source's limit of new incidents"  # how a storm's quarantine reads
SEEN = (InboundStatus.PROCESSED, InboundStatus.IGNORED)
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
                # As JSON text in ASCII: whatever it holds (a NUL, a lone surrogate) is kept.
                payload={"body": json.dumps(payload)[:1_000_000]},
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
                # Held back by a storm, a repeat of the alert (still firing) tries again.
                InboundAlert.objects.filter(
                    dedup_key=key, status=InboundStatus.QUARANTINED, reason__startswith=STORM
                ).update(status=InboundStatus.PENDING, attempts=0, reason="")
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
            if row is None:
                raise NotFound(_("No such alert."))
            # No source (deleted since): the filter finds none.
            source = AlertSource.objects.select_for_update().filter(pk=row.source_id or 0).first()
            row = InboundAlert.objects.select_for_update().get(pk=inbound_alert_id)
            if row.status != InboundStatus.PENDING:
                return row
            if source is None:
                row.status, row.reason = InboundStatus.QUARANTINED, "its source was deleted"
            else:
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


def inbound_alert_reprocess(*, actor: User, inbound_alert_id: int) -> InboundAlert:
    """An administrator sends a quarantined or ignored alert through again (its source's
    limit raised, its class fixed)."""
    if not actor.is_staff:
        raise PermissionDenied(_("Only an administrator may reprocess alerts."))
    updated = InboundAlert.objects.filter(
        pk=inbound_alert_id,
        status__in=[InboundStatus.QUARANTINED, InboundStatus.IGNORED],
        source__isnull=False,
    ).update(status=InboundStatus.PENDING, attempts=0, reason="")
    if not updated:
        raise DomainError(_("Only quarantined or ignored alerts of a source can be reprocessed."))
    return inbound_alert_process(inbound_alert_id=inbound_alert_id)


def inbound_alert_process_pending(*, limit: int = 200) -> int:
    """Retry alerts left pending (a crash, the database away); returns how many were done."""
    return retries.pending_process(
        InboundAlert, lambda pk: inbound_alert_process(inbound_alert_id=pk), limit=limit
    )


# --- deciding -------------------------------------------------------------------------------


def _incident(source: AlertSource, row: InboundAlert) -> tuple[Ticket | None, AlertStatus | None]:
    """The latest incident of the row's fingerprint (locked), if it is the source's
    organisation's, and the status its alert was last seen in."""
    seen = (
        InboundAlert.objects.filter(source=source, fingerprint=row.fingerprint, status__in=SEEN)
        .exclude(pk=row.pk)
        .order_by("-processed_at", "-id")
    )
    last = seen.values_list("alert_status", flat=True).first()
    # An incident of another organisation is not this one's, whatever the source served before.
    ticket_id = (
        seen.filter(ticket__organisation_id=source.organisation_id)
        .values_list("ticket_id", flat=True)
        .first()
    )
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first() if ticket_id else None
    return ticket, AlertStatus(last) if last in tuple(AlertStatus) else None


def _stale(source: AlertSource, row: InboundAlert) -> bool:
    """A firing alert whose episode was seen resolved already (delivered late, or retried
    after its resolve): nothing is open to report."""
    if row.alert_status != AlertStatus.FIRING or row.starts_at is None:
        return False
    return InboundAlert.objects.filter(
        source=source,
        fingerprint=row.fingerprint,
        status__in=SEEN,
        alert_status=AlertStatus.RESOLVED,
        starts_at__gte=row.starts_at,
    ).exists()


def _state(ticket: Ticket | None) -> IncidentState:
    if ticket is None or ticket.status in lifecycle.TERMINAL_STATUSES:
        return IncidentState.NONE
    if ticket.status == lifecycle.Status.RESOLVED:
        return IncidentState.RESOLVED
    return IncidentState.OPEN


def _process(source: AlertSource, row: InboundAlert) -> None:
    if _stale(source, row):
        row.status = InboundStatus.IGNORED
        row.reason = "firing, but resolved since"
        return
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
            row.reason = f"{STORM} ({source.max_new_tickets_per_hour} an hour)"
            return
        row.ticket = _open(source, row)
        row.created_ticket = True
        row.reason = f"new incident {row.ticket.number}"
        return
    assert ticket is not None  # noqa: S101  # every other step has an incident
    if step == Step.REOPEN:
        reopen(ticket, None)
    kind = "alert_resolved" if step == Step.NOTE_RESOLVED else "alert_fires_again"
    add_comment(ticket, None, CommentKind.SYSTEM, note=Note(kind, {"title": row.title}))
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
    """A new incident. A service or class the source names that no longer fits (switched
    off, not in the contract's scheme) is left out, and the incident says so, rather than
    every alert failing until an administrator notices."""
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
    register = partial(
        ticket_register_for_sender, organisation_id=source.organisation_id, flags=[TAG_MONITORING]
    )
    try:
        with transaction.atomic():
            return register(data=data)
    except DomainError as error:
        if error.field not in ("service", "ticket_class"):
            raise
        ticket = register(data=replace(data, service_id=None, ticket_class_id=None))
        # The reason is a message of the desk: translated when read where it is still the
        # source text (the intake speaks English unless SLADESK_LANGUAGE says otherwise).
        note = Note("alert_scope_dropped", {"reason": error.message})
        add_comment(ticket, None, CommentKind.SYSTEM, note=note)
        return ticket
