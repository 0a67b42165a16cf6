"""Registering a ticket, whatever the channel."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from sladesk.accounts.models import Organisation, Service, User
from sladesk.accounts.selectors import contract_covering, customer_get, first_line
from sladesk.core import clock
from sladesk.core.errors import DomainError, PermissionDenied
from sladesk.sla import services as sla_services
from sladesk.tickets.choices import Channel, EventKind, Level, Priority
from sladesk.tickets.models import Ticket
from sladesk.tickets.numbering import next_number_value
from sladesk.tickets.services import history
from sladesk.tickets.services.classification import resolve_classification
from sladesk.tickets.services.conversation import apply_tags

CUSTOMER_CHANNELS = frozenset({Channel.PORTAL, Channel.API, Channel.EMAIL, Channel.CHAT})


@dataclass(frozen=True)
class TicketRegistration:
    """What a channel knows about a new ticket; ids are checked against the actor's rights."""

    title: str
    description: str = ""
    channel: str = Channel.PORTAL
    organisation_id: int | None = None  # required for vendor staff; a customer's is their own
    requester_id: int | None = None
    contact: str = ""
    service_id: int | None = None
    ticket_class_id: int | None = None
    severity_id: int | None = None
    impact: str = ""
    urgency: str = ""
    tags: list[str] = field(default_factory=list)


def next_ticket_number() -> str:
    """Issue the next `PREFIX-YEAR-NNNNNN` (see tickets.numbering). The year is the desk's
    (SLADESK_TIME_ZONE), whoever registers: not the acting user's own zone."""
    prefix = settings.SLADESK_TICKET_PREFIX
    year = clock.desk_year()
    return f"{prefix}-{year}-{next_number_value(prefix, year):06d}"


def ticket_register(*, actor: User, data: TicketRegistration) -> Ticket:
    """Record a new ticket with the server's official registration time.

    Customers register for their own organisation only (portal, API, mail, chat); vendor
    staff register on a customer's behalf on any channel. A ticket of an organisation with
    no covering contract is still recorded, flagged `outside_contract`."""
    title = data.title.strip()
    if not title:
        raise DomainError(_("A title is required."), field="title")
    if data.impact and data.impact not in Level.values:
        raise DomainError(_("Unknown impact."), field="impact")
    if data.urgency and data.urgency not in Level.values:
        raise DomainError(_("Unknown urgency."), field="urgency")
    if data.channel not in Channel.values:
        raise DomainError(_("Unknown channel."), field="channel")
    requester: User | None
    if actor.is_vendor_staff:
        organisation = customer_get(data.organisation_id)
        if organisation is None:
            raise DomainError(_("Choose the customer organisation."), field="organisation")
        requester = None
        if data.requester_id is not None:
            requester = User.objects.filter(pk=data.requester_id, organisation=organisation).first()
            if requester is None:
                raise DomainError(
                    _("The requester must belong to the organisation."), field="requester"
                )
    else:
        if data.channel not in CUSTOMER_CHANNELS:
            raise PermissionDenied(_("Customers cannot register on this channel."))
        organisation, requester = actor.organisation, actor
    return _record(
        actor=actor,
        organisation=organisation,
        requester=requester,
        service=_service(organisation, data.service_id),
        title=title,
        data=data,
    )


def _service(organisation: Organisation, service_id: int | None) -> Service | None:
    """The organisation's active service `service_id` (None for none)."""
    if service_id is None:
        return None
    active = Service.objects.filter(organisation=organisation, is_active=True)
    service = active.filter(pk=service_id).first()
    if service is None:
        raise DomainError(_("Unknown service."), field="service")
    return service


def ticket_register_for_sender(
    *, organisation_id: int, data: TicketRegistration, flags: list[str]
) -> Ticket:
    """Record a ticket the desk itself registers for a sender with no account (e-mail from an
    unknown address, a monitoring system): no actor, `data.contact` says who wrote, `flags`
    become tags so that line 1 sees where it came from. Only channels call this; they
    decided the organisation (and the service, which must be the organisation's)."""
    title = data.title.strip()
    if not title:
        raise DomainError(_("A title is required."), field="title")
    if data.channel not in Channel.values:
        raise DomainError(_("Unknown channel."), field="channel")
    organisation = customer_get(organisation_id)
    if organisation is None:
        raise DomainError(_("Choose the customer organisation."), field="organisation")
    flagged = replace(data, tags=[*data.tags, *flags])
    return _record(
        actor=None,
        organisation=organisation,
        requester=None,
        service=_service(organisation, data.service_id),
        title=title,
        data=flagged,
    )


def _record(
    *,
    actor: User | None,
    organisation: Organisation,
    requester: User | None,
    service: Service | None,
    title: str,
    data: TicketRegistration,
) -> Ticket:
    with transaction.atomic():
        contract = contract_covering(organisation=organisation)
        ticket_class, severity, priority = resolve_classification(
            organisation=organisation,
            contract=contract,
            ticket_class_id=data.ticket_class_id,
            severity_id=data.severity_id,
            impact=data.impact,
            urgency=data.urgency,
        )
        now = clock.now()
        ticket = Ticket(
            number=next_ticket_number(),
            organisation=organisation,
            contract=contract,
            outside_contract=contract is None,
            channel=data.channel,
            requester=requester,
            contact=data.contact.strip(),
            service=service,
            title=title[:300],
            description=data.description,
            ticket_class=ticket_class,
            severity=severity,
            impact=data.impact,
            urgency=data.urgency,
            priority=priority or Priority.MEDIUM,
            line=first_line(),
            registered_at=now,
            updated_at=now,
        )
        # The SLA columns go into the INSERT: a new ticket's clocks need no history.
        sla_services.ticket_sla_prime(ticket, now=now)
        ticket.save(force_insert=True)
        history.record(
            ticket,
            actor,
            EventKind.REGISTERED,
            after=history.snapshot(ticket),
            data={"channel": data.channel},
        )
        if data.tags:
            apply_tags(ticket, actor, data.tags)
            ticket.updated_at = clock.now()
            Ticket.objects.filter(pk=ticket.pk).update(updated_at=ticket.updated_at)
    return ticket
