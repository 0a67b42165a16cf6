"""Changes to organisations, contracts, accounts and tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sladesk.accounts.choices import (
    CUSTOMER_ROLES,
    VENDOR_ROLES,
    BlockReason,
    ContractStatus,
    Role,
)
from sladesk.accounts.models import ApiToken, Contract, Organisation, User
from sladesk.accounts.selectors import (
    account_access_denial,
    contract_covering,
    customer_accounts,
    today,
)
from sladesk.core.configcache import cached
from sladesk.core.errors import (
    AccessBlocked,
    Conflict,
    DomainError,
    InvalidToken,
    PermissionDenied,
)

CONTRACT_BLOCK_REASONS = (BlockReason.CONTRACT_ENDED, BlockReason.NO_CONTRACT)


def require_administrator(actor: User) -> None:
    if actor.role != Role.ADMINISTRATOR:
        raise PermissionDenied(_("Only an administrator may do this."))


def organisation_refresh_access(*, organisation: Organisation, on: dt.date | None = None) -> int:
    """Block or unblock the customer accounts of `organisation` by its contracts on `on`.

    Only contract-related blocks are touched: an account an administrator disabled stays so.
    Returns the number of accounts changed. Idempotent.
    """
    if organisation.is_vendor:
        return 0
    day = on or today()
    covered = contract_covering(organisation=organisation, on=day) is not None
    accounts = customer_accounts(organisation=organisation)
    if covered:
        return accounts.filter(blocked_reason__in=CONTRACT_BLOCK_REASONS).update(blocked_reason="")
    ever_covered = Contract.objects.filter(
        organisation=organisation,
        status__in=[ContractStatus.ACTIVE, ContractStatus.EXPIRED],
        starts_on__lte=day,
    ).exists()
    reason = BlockReason.CONTRACT_ENDED if ever_covered else BlockReason.NO_CONTRACT
    return (
        accounts.exclude(blocked_reason=reason)
        .exclude(blocked_reason=BlockReason.DISABLED)
        .update(blocked_reason=reason)
    )


def contracts_sweep(*, on: dt.date | None = None) -> int:
    """The daily job: expire contracts past their end, then re-derive every customer's access."""
    day = on or today()
    with transaction.atomic():
        Contract.objects.filter(status=ContractStatus.ACTIVE, ends_on__lt=day).update(
            status=ContractStatus.EXPIRED
        )
        changed = 0
        for organisation in Organisation.objects.filter(kind="customer"):
            changed += organisation_refresh_access(organisation=organisation, on=day)
    return changed


def contract_activate(*, actor: User, contract: Contract) -> Contract:
    """Mark a contract paid and active; its organisation's accounts are unblocked."""
    require_administrator(actor)
    if contract.status not in (ContractStatus.DRAFT, ContractStatus.EXPIRED):
        raise Conflict(_("Only a draft or expired contract can be activated."))
    with transaction.atomic():
        contract.status = ContractStatus.ACTIVE
        contract.save(update_fields=["status"])
        organisation_refresh_access(organisation=contract.organisation)
    return contract


def contract_renew(*, actor: User, contract: Contract, ends_on: dt.date) -> Contract:
    """Extend a contract's term (a renewal); blocked accounts regain access."""
    require_administrator(actor)
    if ends_on <= contract.ends_on:
        raise DomainError(_("A renewal must end after the current end date."), field="ends_on")
    with transaction.atomic():
        contract.ends_on = ends_on
        contract.status = ContractStatus.ACTIVE
        contract.save(update_fields=["ends_on", "status"])
        organisation_refresh_access(organisation=contract.organisation)
    return contract


@dataclass(frozen=True)
class AccountData:
    email: str
    full_name: str
    role: str
    language: str = ""  # the desk's default language (SLADESK_LANGUAGE)
    time_zone: str = "Europe/Moscow"
    phone: str = ""


def account_create(
    *, actor: User, organisation: Organisation, data: AccountData, password: str | None = None
) -> User:
    """Create a person; customer accounts count against the contract's maximum."""
    require_administrator(actor)
    if organisation.is_vendor != (data.role in VENDOR_ROLES):
        raise DomainError(_("This role does not belong to this organisation."), field="role")
    language = data.language or settings.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        raise DomainError(_("Choose a language the desk speaks."), field="language")
    with transaction.atomic():
        if data.role in CUSTOMER_ROLES:
            contract = contract_covering(organisation=organisation)
            limit = contract.max_accounts if contract else 0
            if contract and customer_accounts(organisation=organisation).count() >= limit:
                raise Conflict(
                    _("The contract allows %(limit)d accounts; ask for more.") % {"limit": limit}
                )
        if User.objects.filter(email__iexact=data.email).exists():
            raise Conflict(_("An account with this e-mail exists already."), field="email")
        user = User.objects.create_user(
            data.email,
            password,
            full_name=data.full_name,
            organisation=organisation,
            role=data.role,
            language=language,
            time_zone=data.time_zone,
            phone=data.phone,
        )
        organisation_refresh_access(organisation=organisation)
    user.refresh_from_db()
    return user


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(
    *,
    user: User,
    name: str,
    scope: str = ApiToken.Scope.READ,
    expires_at: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token; the raw value is returned once and never stored."""
    if scope not in ApiToken.Scope.values:
        raise DomainError(_("Unknown scope."), field="scope")
    if scope == ApiToken.Scope.ADMIN and user.role != Role.ADMINISTRATOR:
        raise PermissionDenied(_("Only administrators can hold admin tokens."))
    raw = "sld_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:12],
        digest=token_digest(raw),
        scope=scope,
        expires_at=expires_at,
    )
    return token, raw


def api_token_authenticate(raw: str) -> ApiToken:
    """The live token for `raw`; refuses unknown, revoked and expired tokens (InvalidToken)
    and those of blocked accounts (AccessBlocked)."""
    digest = token_digest(raw)
    try:
        # get(), not first(): the digest is unique, and first()'s ORDER BY costs PostgreSQL
        # a third more. Unknown tokens raise inside `cached` and are never kept.
        token = cached(
            ("api_token", digest),
            lambda: ApiToken.objects.select_related("user", "user__organisation").get(
                digest=digest, revoked_at__isnull=True
            ),
        )
    except ApiToken.DoesNotExist:
        raise InvalidToken(_("Invalid or expired token.")) from None
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        raise InvalidToken(_("Invalid or expired token."))
    denial = account_access_denial(token.user)
    if denial:
        raise AccessBlocked(denial)
    _token_touch(token, now)
    return token


_touched: dict[str, dt.datetime] = {}  # by digest: SQLite may reuse a deleted token's id


def _token_touch(token: ApiToken, now: dt.datetime) -> None:
    """Record when the token was last used, to the minute. Its cached copy keeps the value
    it was loaded with (updates of `last_used_at` do not invalidate the cache), so this
    process remembers its own writes."""
    last = max(filter(None, (token.last_used_at, _touched.get(token.digest))), default=None)
    if last is None or now - last > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        _touched[token.digest] = now
