"""Changes to organisations, contracts, accounts and tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from sladesk.accounts.choices import (
    CUSTOMER_ROLES,
    VENDOR_ROLES,
    BlockReason,
    ContractEventKind,
    ContractStatus,
    Role,
)
from sladesk.accounts.models import ApiToken, Contract, ContractEvent, Organisation, User
from sladesk.accounts.selectors import (
    account_access_denial,
    contract_covering,
    contract_end_warning_recipients,
    customer_accounts,
    organisation_block_reason,
    today,
)
from sladesk.core import clock
from sladesk.core.configcache import cached
from sladesk.core.errors import (
    AccessBlocked,
    Conflict,
    DomainError,
    InvalidToken,
    PermissionDenied,
)


def require_administrator(actor: User) -> None:
    if actor.role != Role.ADMINISTRATOR:
        raise PermissionDenied(_("Only an administrator may do this."))


def organisation_refresh_access(*, organisation: Organisation, on: dt.date | None = None) -> int:
    """Write the `blocked_reason` of `organisation`'s customer accounts from its contracts
    on `on` (the desk's today by default).

    Derived state for the administration's user list and filters: whether an account may
    use the desk is decided at each request (`account_access_denial`), not by this field.
    Only contract-related reasons are touched: an account an administrator disabled stays
    so. Returns the number of accounts changed. Idempotent.
    """
    if organisation.is_vendor:
        return 0
    reason = organisation_block_reason(organisation_id=organisation.pk, on=on)
    return (
        customer_accounts(organisation=organisation)
        .exclude(blocked_reason=BlockReason.DISABLED)
        .exclude(blocked_reason=reason)
        .update(blocked_reason=reason)
    )


def _contract_state(contract: Contract) -> dict[str, object]:
    """What a contract event keeps of the contract before and after the step."""
    return {
        "status": contract.status,
        "ends_on": contract.ends_on.isoformat(),
        "paid_on": contract.paid_on.isoformat() if contract.paid_on else None,
        "end_warned_for": (
            contract.end_warned_for.isoformat() if contract.end_warned_for else None
        ),
    }


def _contract_step(
    *,
    actor: User | None,
    contract: Contract,
    kind: ContractEventKind,
    allowed: Collection[str],
    refusal: str,
    apply: Callable[[Contract], list[str]],
    note: str = "",
) -> Contract:
    """Lock the contract, check its status is one of `allowed` (else Conflict(`refusal`)),
    let `apply` change it (returning the fields it changed; it may raise DomainError), save,
    append the event and rewrite the derived account state, all in one transaction.
    `contract` is refreshed and returned. The caller checked the actor's permission."""
    with transaction.atomic():
        locked = (
            Contract.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .get(pk=contract.pk)
        )
        if locked.status not in allowed:
            raise Conflict(refusal)
        before = _contract_state(locked)
        locked.save(update_fields=apply(locked))
        ContractEvent.objects.create(
            contract=locked,
            kind=kind,
            actor=actor,
            at=clock.now(),
            before=before,
            after=_contract_state(locked),
            note=note,
        )
        organisation_refresh_access(organisation=locked.organisation)
    contract.refresh_from_db()
    return contract


def contract_activate(
    *, actor: User, contract: Contract, paid_on: dt.date | None = None, note: str = ""
) -> Contract:
    """Activate a draft contract once it is paid (on `paid_on`, the desk's today by
    default), recording who and when; its organisation's accounts may sign in at once."""
    require_administrator(actor)

    def apply(locked: Contract) -> list[str]:
        if locked.ends_on < today():
            raise DomainError(
                _("The contract's term is already over; correct its end date first."),
                field="ends_on",
            )
        locked.status = ContractStatus.ACTIVE
        locked.paid_on = paid_on or today()
        locked.activated_at = clock.now()
        locked.activated_by = actor
        return ["status", "paid_on", "activated_at", "activated_by"]

    return _contract_step(
        actor=actor,
        contract=contract,
        kind=ContractEventKind.ACTIVATED,
        allowed=[ContractStatus.DRAFT],
        refusal=_("Only a draft contract can be activated; an ended one is renewed."),
        apply=apply,
        note=note,
    )


def _status_to(status: str) -> Callable[[Contract], list[str]]:
    """A step's change that only sets the status."""

    def apply(locked: Contract) -> list[str]:
        locked.status = status
        return ["status"]

    return apply


def contract_suspend(*, actor: User, contract: Contract, note: str = "") -> Contract:
    """Suspend an active contract (unpaid, in dispute): its customer accounts are refused
    from the next request until it is resumed."""
    require_administrator(actor)
    return _contract_step(
        actor=actor,
        contract=contract,
        kind=ContractEventKind.SUSPENDED,
        allowed=[ContractStatus.ACTIVE],
        refusal=_("Only an active contract can be suspended."),
        apply=_status_to(ContractStatus.SUSPENDED),
        note=note,
    )


def contract_resume(*, actor: User, contract: Contract, note: str = "") -> Contract:
    """Resume a suspended contract: it covers again for what is left of its term."""
    require_administrator(actor)
    return _contract_step(
        actor=actor,
        contract=contract,
        kind=ContractEventKind.RESUMED,
        allowed=[ContractStatus.SUSPENDED],
        refusal=_("Only a suspended contract can be resumed."),
        apply=_status_to(ContractStatus.ACTIVE),
        note=note,
    )


def contract_end(*, actor: User, contract: Contract, note: str = "") -> Contract:
    """End an active or suspended contract now, before its term is over; its customer
    accounts are refused from the next request. (A term that runs out ends by itself.)"""
    require_administrator(actor)
    return _contract_end(actor=actor, contract=contract, note=note)


def _contract_end(
    *, actor: User | None, contract: Contract, note: str, term_over_on: dt.date | None = None
) -> Contract:
    """End a contract; with `term_over_on` (the daily job) only if, under the row lock, its
    term is still over on that day: a renewal made meanwhile wins (Conflict)."""

    def apply(locked: Contract) -> list[str]:
        if term_over_on is not None and locked.ends_on >= term_over_on:
            raise Conflict(_("The contract was renewed meanwhile."))
        locked.status = ContractStatus.ENDED
        return ["status"]

    return _contract_step(
        actor=actor,
        contract=contract,
        kind=ContractEventKind.ENDED,
        allowed=[ContractStatus.ACTIVE, ContractStatus.SUSPENDED],
        refusal=_("Only an active or suspended contract can be ended."),
        apply=apply,
        note=note,
    )


def contract_renew(
    *, actor: User, contract: Contract, ends_on: dt.date, note: str = ""
) -> Contract:
    """Renew a contract by extending its term to `ends_on` (the same contract, a later end;
    the history keeps the earlier one). An ended contract becomes active again and its
    accounts regain access at once; a suspended one stays suspended. The end warning is
    re-armed for the new end."""
    require_administrator(actor)

    def apply(locked: Contract) -> list[str]:
        if ends_on <= locked.ends_on or ends_on < today():
            raise DomainError(
                _("A renewal must end after the current end date, and not in the past."),
                field="ends_on",
            )
        locked.ends_on = ends_on
        locked.end_warned_for = None
        if locked.status == ContractStatus.ENDED:
            locked.status = ContractStatus.ACTIVE
        return ["ends_on", "end_warned_for", "status"]

    return _contract_step(
        actor=actor,
        contract=contract,
        kind=ContractEventKind.RENEWED,
        allowed=[ContractStatus.ACTIVE, ContractStatus.SUSPENDED, ContractStatus.ENDED],
        refusal=_("A draft contract is activated, not renewed."),
        apply=apply,
        note=note,
    )


def contracts_warn_ending(*, on: dt.date | None = None) -> int:
    """Tell each active contract's account manager and its customer's specialists that it
    ends within its `warn_days_before_end` days (0: never), once per term: `end_warned_for`
    holds the end date told about, and a renewal, which moves the end, re-arms it. The
    outbox's unique key makes a repeated run write nothing. Returns the contracts told."""
    from sladesk.notifications.services import notifications_for_contract_end

    day = on or today()
    candidates = (
        Contract.objects.filter(
            status=ContractStatus.ACTIVE,
            starts_on__lte=day,
            ends_on__gte=day,
            warn_days_before_end__gt=0,
        )
        .exclude(end_warned_for=F("ends_on"))
        .only("pk", "ends_on", "warn_days_before_end")
    )
    due = [
        contract
        for contract in candidates
        if contract.ends_on - dt.timedelta(days=contract.warn_days_before_end) <= day
    ]
    told = 0
    for contract in due:
        with transaction.atomic():
            locked = (
                Contract.objects.select_for_update(of=("self",))
                .select_related("organisation", "account_manager")
                .get(pk=contract.pk)
            )
            if locked.end_warned_for == locked.ends_on or locked.status != ContractStatus.ACTIVE:
                continue  # another worker told them meanwhile, or it changed
            recipients = contract_end_warning_recipients(contract=locked)
            notifications_for_contract_end(contract=locked, recipients=recipients)
            before = _contract_state(locked)
            locked.end_warned_for = locked.ends_on
            locked.save(update_fields=["end_warned_for"])
            ContractEvent.objects.create(
                contract=locked,
                kind=ContractEventKind.END_WARNED,
                actor=None,
                at=clock.now(),
                before=before,
                after=_contract_state(locked),
                note=", ".join(person.email for person in recipients),
            )
        told += 1
    return told


def contracts_sweep(*, on: dt.date | None = None) -> int:
    """The daily job, for derived state and warnings only (access itself is decided at each
    request): mark contracts whose term is over as ended (the desk itself as the actor),
    rewrite every customer account's `blocked_reason`, and send the end warnings due.
    Returns the number of accounts whose `blocked_reason` changed. Idempotent."""
    day = on or today()
    over = Contract.objects.filter(
        status__in=[ContractStatus.ACTIVE, ContractStatus.SUSPENDED], ends_on__lt=day
    )
    for contract in over:
        try:
            _contract_end(
                actor=None, contract=contract, note=_("Its term is over."), term_over_on=day
            )
        except Conflict:
            continue  # renewed or ended by someone else since it was read
    changed = 0
    with transaction.atomic():
        for organisation in Organisation.objects.filter(kind="customer"):
            changed += organisation_refresh_access(organisation=organisation, on=day)
    contracts_warn_ending(on=day)
    return changed


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
