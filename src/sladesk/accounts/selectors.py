"""Reads about organisations, people and contracts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from sladesk.accounts.choices import BlockReason, ContractStatus, OrganisationKind, Role
from sladesk.accounts.models import (
    ApiToken,
    Contract,
    ContractEvent,
    Organisation,
    Service,
    SupportLine,
    User,
)
from sladesk.core import clock
from sladesk.core.configcache import cached


def today() -> dt.date:
    """The desk's date now, in the desk's zone (SLADESK_TIME_ZONE) whoever asks, never the
    reader's own zone: a contract's days are the desk's days, the same for everyone."""
    return timezone.localtime(clock.now(), timezone.get_default_timezone()).date()


def contract_ends_at(contract: Contract) -> dt.datetime:
    """The first instant a contract no longer covers: the end of its `ends_on` day, that is
    midnight after it, in the desk's zone."""
    zone = timezone.get_default_timezone()
    return dt.datetime.combine(contract.ends_on + dt.timedelta(days=1), dt.time(), tzinfo=zone)


def contract_covering(*, organisation: Organisation, on: dt.date | None = None) -> Contract | None:
    """The active contract that gives `organisation` support on that date, if any."""
    return _contract_covering(organisation.pk, on or today())


def _contract_covering(organisation_id: int, day: dt.date) -> Contract | None:
    return cached(
        ("contract_covering", organisation_id, day),
        lambda: (
            Contract.objects.filter(
                organisation_id=organisation_id,
                status=ContractStatus.ACTIVE,
                starts_on__lte=day,
                ends_on__gte=day,
            )
            .select_related("classification_scheme")
            .order_by("-ends_on")
            .first()
        ),
    )


def organisation_block_reason(*, organisation_id: int, on: dt.date | None = None) -> BlockReason:
    """Why the accounts of a customer organisation may not use the desk on that date (the
    desk's today by default), or `BlockReason.NONE`: derived from its contracts whenever it
    is asked, so a contract blocks the moment it ends or is suspended and unblocks the
    moment it is renewed or resumed. Cached: no query while contracts are unchanged."""
    day = on or today()
    if _contract_covering(organisation_id, day) is not None:
        return BlockReason.NONE
    return cached(
        ("contract_block_reason", organisation_id, day),
        lambda: _uncovered_reason(organisation_id, day),
    )


def _uncovered_reason(organisation_id: int, day: dt.date) -> BlockReason:
    signed = list(
        Contract.objects.filter(organisation_id=organisation_id, starts_on__lte=day)
        .exclude(status=ContractStatus.DRAFT)
        .values_list("status", "ends_on")
    )
    if any(status == ContractStatus.SUSPENDED and ends_on >= day for status, ends_on in signed):
        return BlockReason.CONTRACT_SUSPENDED
    return BlockReason.CONTRACT_ENDED if signed else BlockReason.NO_CONTRACT


def customer_get(organisation_id: int | None) -> Organisation | None:
    """The customer organisation with this id, if there is one."""
    return cached(
        ("customer", organisation_id),
        lambda: Organisation.objects.filter(
            pk=organisation_id or 0, kind=OrganisationKind.CUSTOMER
        ).first(),
    )


def first_line() -> SupportLine | None:
    """Where new tickets start: the lowest vendor line (line 0 is the customer's own)."""
    return cached(
        ("first_line",),
        lambda: SupportLine.objects.filter(level__gte=1).order_by("level").first(),
    )


def vendor_organisation() -> Organisation:
    return Organisation.objects.get(kind=OrganisationKind.VENDOR)


def account_access_denial(user: User) -> str | None:
    """Why `user` may not use the desk right now, or None when they may.

    The one place that decides it: the login form, the session middleware and the API
    token check all ask here, on every request. An account an administrator disabled stays
    disabled; vendor staff are never blocked by contracts; a customer's account follows
    its organisation's contracts as they are now (`organisation_block_reason`), not the
    `blocked_reason` the daily job last wrote.
    """
    if not user.is_active or user.blocked_reason == BlockReason.DISABLED:
        return _("This account is disabled. Contact your administrator.")
    if not user.is_customer:
        return None
    reason = organisation_block_reason(organisation_id=user.organisation_id)
    if reason == BlockReason.CONTRACT_ENDED:
        return _(
            "Your organisation's support contract has ended, so this account is blocked. "
            "Support resumes once a new contract is signed."
        )
    if reason == BlockReason.CONTRACT_SUSPENDED:
        return _(
            "Your organisation's support contract is suspended, so this account is blocked. "
            "Support resumes once the contract is resumed."
        )
    if reason == BlockReason.NO_CONTRACT:
        return _(
            "Your organisation has no active support contract yet, so this account is not "
            "activated. It is activated once the contract is paid."
        )
    return None


def customer_accounts(*, organisation: Organisation) -> QuerySet[User]:
    return User.objects.filter(
        organisation=organisation, role__in=[Role.SPECIALIST, Role.CUSTOMER_USER], is_active=True
    )


def line_for_level(*, level: int) -> SupportLine:
    return SupportLine.objects.get(level=level)


def agents_of_line(*, line: SupportLine) -> QuerySet[User]:
    return line.members.filter(is_active=True)


def services_of(*, organisation: Organisation) -> QuerySet[Service]:
    return Service.objects.filter(organisation=organisation, is_active=True)


@dataclass(frozen=True)
class ContractOverview:
    """What a customer sees of their contract: term, lines, SLA targets, accounts left."""

    contract: Contract
    covering: bool
    accounts_used: int
    accounts_remaining: int
    targets: list[Any]


def contract_overview(*, user: User) -> ContractOverview | None:
    """The contract of `user`'s organisation: the covering one, else the latest signed."""
    from sladesk.sla.models import SlaTarget  # sla depends on accounts

    contract = contract_covering(organisation=user.organisation)
    covering = contract is not None
    if contract is None:
        contract = (
            Contract.objects.filter(organisation_id=user.organisation_id)
            .select_related("classification_scheme")
            .order_by("-ends_on")
            .first()
        )
    if contract is None:
        return None
    used = customer_accounts(organisation=user.organisation).count()
    targets = (
        list(
            SlaTarget.objects.filter(policy_id=contract.sla_policy_id).select_related(
                "ticket_class", "severity"
            )
        )
        if contract.sla_policy_id
        else []
    )
    return ContractOverview(
        contract=contract,
        covering=covering,
        accounts_used=used,
        accounts_remaining=max(contract.max_accounts - used, 0),
        targets=targets,
    )


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def customer_organisations() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrganisationKind.CUSTOMER, is_active=True)


def customer_people() -> QuerySet[User]:
    """Customer accounts an agent may name as the requester of a phone registration."""
    return (
        User.objects.filter(role__in=[Role.SPECIALIST, Role.CUSTOMER_USER], is_active=True)
        .select_related("organisation")
        .order_by("organisation__name", "email")
    )


def customer_services() -> QuerySet[Service]:
    return Service.objects.filter(is_active=True).select_related("organisation")


def contract_events(*, contract: Contract) -> QuerySet[ContractEvent]:
    """A contract's history, oldest first (the caller checked the actor may see it)."""
    return ContractEvent.objects.filter(contract=contract).order_by("at", "id")


def contract_end_warning_recipients(*, contract: Contract) -> list[User]:
    """Who is told that a contract is about to end: its account manager and the
    specialists of its organisation (active, not disabled)."""
    people = list(
        User.objects.filter(
            organisation_id=contract.organisation_id, role=Role.SPECIALIST, is_active=True
        )
        .exclude(blocked_reason=BlockReason.DISABLED)
        .order_by("email")
    )
    manager = contract.account_manager
    if manager is not None and manager.is_active and manager.is_vendor_staff:
        people.insert(0, manager)
    return people
