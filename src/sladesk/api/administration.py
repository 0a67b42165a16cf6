"""Administration endpoints (admin scope): the desk's configuration as data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field, StrictBool

from sladesk.accounts.choices import ContractStatus
from sladesk.accounts.models import (
    Contract,
    ContractEvent,
    Organisation,
    Service,
    SupportLine,
    User,
)
from sladesk.accounts.selectors import contract_events
from sladesk.accounts.services import (
    AccountData,
    account_create,
    contract_activate,
    contract_end,
    contract_renew,
    contract_resume,
    contract_suspend,
)
from sladesk.api.auth import require_scope
from sladesk.api.schemas import StrictIn
from sladesk.core.configuration import configuration_save
from sladesk.core.errors import DomainError, NotFound
from sladesk.sla.calendar import BusinessCalendar, CalendarError
from sladesk.sla.models import Calendar, SlaPolicy, SlaTarget
from sladesk.tickets.models import ClassificationScheme

router = Router(tags=["administration"])


def admin(request: HttpRequest) -> User:
    return require_scope(request, "admin")


def get_or_404(queryset: QuerySet[Any], pk: int) -> Any:
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Not found."))
    return found


def save_payload(actor: User, instance: Model, payload: Schema) -> Any:
    changes = payload.model_dump(exclude_unset=True)
    return configuration_save(actor=actor, instance=instance, changes=changes)


class OrganisationOut(Schema):
    id: int
    name: str
    code: str
    kind: str
    email_domains: str
    is_active: bool


class OrganisationIn(StrictIn):
    name: str = Field(min_length=1, max_length=200)
    code: str = Field(min_length=1, max_length=40, pattern=r"^[-a-zA-Z0-9_]+$")
    email_domains: str = Field("", max_length=500)
    is_active: StrictBool = True


class OrganisationPatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=200)
    email_domains: str | None = Field(None, max_length=500)
    is_active: StrictBool | None = None


class ServiceOut(Schema):
    id: int
    organisation_id: int
    name: str
    description: str
    is_active: bool


class ServiceIn(StrictIn):
    organisation_id: int
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)


class ContractOut(Schema):
    id: int
    number: str
    organisation_id: int
    kind: str
    status: str
    starts_on: dt.date
    ends_on: dt.date
    included_lines: int
    max_accounts: int
    classification_scheme_id: int
    sla_policy_id: int | None
    paid_on: dt.date | None
    activated_at: dt.datetime | None
    activated_by_id: int | None
    account_manager_id: int | None
    warn_days_before_end: int
    end_warned_for: dt.date | None


class ContractIn(StrictIn):
    """A new contract is a draft: it gives support once activated (POST .../activate)."""

    number: str = Field(min_length=1, max_length=50)
    organisation_id: int
    kind: str = Field("standard", max_length=20)
    starts_on: dt.date
    ends_on: dt.date
    included_lines: int = Field(3, ge=1, le=4)
    max_accounts: int = Field(2, ge=0, le=10_000)
    classification_scheme_id: int
    sla_policy_id: int | None = None
    account_manager_id: int | None = None
    warn_days_before_end: int = Field(30, ge=0, le=366)


class ContractPatch(StrictIn):
    # Accepted only as the current status: it changes through the action routes.
    status: str | None = Field(None, max_length=20)
    ends_on: dt.date | None = None
    included_lines: int | None = Field(None, ge=1, le=4)
    max_accounts: int | None = Field(None, ge=0, le=10_000)
    sla_policy_id: int | None = None
    account_manager_id: int | None = None
    warn_days_before_end: int | None = Field(None, ge=0, le=366)


class ContractActivateIn(StrictIn):
    paid_on: dt.date | None = None  # the desk's today when left out
    note: str = Field("", max_length=2000)


class ContractNoteIn(StrictIn):
    note: str = Field("", max_length=2000)


class ContractRenewIn(StrictIn):
    ends_on: dt.date
    note: str = Field("", max_length=2000)


class ContractEventOut(Schema):
    id: int
    kind: str
    actor_id: int | None
    at: dt.datetime
    before: dict[str, Any]
    after: dict[str, Any]
    note: str


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    organisation_id: int
    is_active: bool
    blocked_reason: str


class UserIn(StrictIn):
    # NEL (U+0085) named apart: the server's regex counts it as a space, the JSON Schema
    # (ECMA) regex of the clients does not, and both must refuse the same addresses.
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s\u0085]+@[^@\s\u0085]+$")
    full_name: str = Field("", max_length=200)
    role: str = Field(max_length=20)
    organisation_id: int
    language: str = Field("", max_length=10, description="Empty: the desk's default language.")
    time_zone: str = Field("Europe/Moscow", max_length=64)


class LineOut(Schema):
    id: int
    level: int
    name: str
    is_external: bool
    lead_id: int | None
    member_ids: list[int]

    @staticmethod
    def resolve_member_ids(line: SupportLine) -> list[int]:
        return [member.pk for member in line.members.all()]


class SchemeOut(Schema):
    id: int
    code: str
    name: str


class CalendarOut(Schema):
    id: int
    name: str
    spec: dict[str, Any]


class CalendarIn(StrictIn):
    name: str = Field(min_length=1, max_length=200)
    spec: dict[str, Any]


class PolicyOut(Schema):
    id: int
    name: str
    calendar_id: int
    pause_statuses: list[str]
    warning_percents: list[int]
    auto_close_working_days: int | None


class TargetOut(Schema):
    id: int
    policy_id: int
    ticket_class_id: int | None
    severity_id: int | None
    priority: str
    response_budget: dt.timedelta | None
    # A wall-clock time of the policy's calendar ("12:00"): no offset, so not a `time`.
    response_cutoff: str | None = Field(pattern=r"^\d{2}:\d{2}$")
    resolution_budget: dt.timedelta | None
    resolution_starts: str
    breach_note: str

    @staticmethod
    def resolve_response_cutoff(target: SlaTarget) -> str | None:
        cutoff = target.response_cutoff
        return cutoff.strftime("%H:%M") if cutoff is not None else None


class PreviewIn(StrictIn):
    spec: dict[str, Any]
    start: dt.datetime
    hours: float = Field(ge=0, le=100_000)
    cutoff: dt.time | None = None


class PreviewOut(Schema):
    due: dt.datetime
    cutoff_due: dt.datetime | None
    # The shortened pre-holiday days from the start's date to the latest due date, with
    # their hours; left out of the answer when there are none.
    shortened_days: dict[dt.date, list[list[str]]] = Field(default_factory=dict)


@router.get("/admin/organisations", response=list[OrganisationOut])
def organisations(request: HttpRequest) -> QuerySet[Organisation]:
    admin(request)
    return Organisation.objects.order_by("name")


@router.post("/admin/organisations", response={201: OrganisationOut})
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Status[Organisation]:
    return Status(201, save_payload(admin(request), Organisation(kind="customer"), payload))


@router.patch("/admin/organisations/{organisation_id}", response=OrganisationOut)
def update_organisation(
    request: HttpRequest, organisation_id: int, payload: OrganisationPatch
) -> Organisation:
    return save_payload(
        admin(request), get_or_404(Organisation.objects.all(), organisation_id), payload
    )


@router.get("/admin/services", response=list[ServiceOut])
def services(request: HttpRequest) -> QuerySet[Service]:
    admin(request)
    return Service.objects.order_by("organisation_id", "name")


@router.post("/admin/services", response={201: ServiceOut})
def create_service(request: HttpRequest, payload: ServiceIn) -> Status[Service]:
    return Status(201, save_payload(admin(request), Service(), payload))


@router.get("/admin/contracts", response=list[ContractOut])
def contracts(request: HttpRequest) -> QuerySet[Contract]:
    admin(request)
    return Contract.objects.order_by("organisation_id", "-starts_on")


@router.post("/admin/contracts", response={201: ContractOut})
def create_contract(request: HttpRequest, payload: ContractIn) -> Status[Contract]:
    return Status(201, save_payload(admin(request), Contract(), payload))


@router.patch("/admin/contracts/{contract_id}", response=ContractOut)
def update_contract(request: HttpRequest, contract_id: int, payload: ContractPatch) -> Contract:
    """Change a contract's terms. Its status moves only through the action routes, and a
    signed (not draft) contract's end date only by renewal: a 400 names them."""
    actor = admin(request)
    contract = get_or_404(Contract.objects.all(), contract_id)
    changes = payload.model_dump(exclude_unset=True)
    actions = f"/api/v1/admin/contracts/{contract.pk}"
    if changes.pop("status", contract.status) != contract.status:
        raise DomainError(
            _(
                "The status changes only through the actions: POST %(url)s/activate, "
                "%(url)s/suspend, %(url)s/resume, %(url)s/end or %(url)s/renew (with ends_on)."
            )
            % {"url": actions},
            field="status",
        )
    ends_on = changes.get("ends_on", contract.ends_on)
    if ends_on != contract.ends_on and contract.status != ContractStatus.DRAFT:
        raise DomainError(
            _("A signed contract's end date changes only by renewal: POST %(url)s/renew.")
            % {"url": actions},
            field="ends_on",
        )
    return configuration_save(actor=actor, instance=contract, changes=changes)


# The action bodies are optional: POST with no body is the same as `{}`.


@router.post("/admin/contracts/{contract_id}/activate", response=ContractOut)
def activate_contract(
    request: HttpRequest, contract_id: int, payload: ContractActivateIn | None = None
) -> Contract:
    """Draft -> active, once paid: records who, when and the payment date."""
    actor = admin(request)
    contract = get_or_404(Contract.objects.all(), contract_id)
    return contract_activate(
        actor=actor,
        contract=contract,
        paid_on=payload.paid_on if payload else None,
        note=payload.note if payload else "",
    )


def _noted_step(
    request: HttpRequest,
    contract_id: int,
    payload: ContractNoteIn | None,
    step: Callable[..., Contract],
) -> Contract:
    """One of the contract's steps that take only a note, by an administrator."""
    actor = admin(request)
    contract = get_or_404(Contract.objects.all(), contract_id)
    return step(actor=actor, contract=contract, note=payload.note if payload else "")


@router.post("/admin/contracts/{contract_id}/suspend", response=ContractOut)
def suspend_contract(
    request: HttpRequest, contract_id: int, payload: ContractNoteIn | None = None
) -> Contract:
    """Active -> suspended: the customer's accounts are refused from the next request."""
    return _noted_step(request, contract_id, payload, contract_suspend)


@router.post("/admin/contracts/{contract_id}/resume", response=ContractOut)
def resume_contract(
    request: HttpRequest, contract_id: int, payload: ContractNoteIn | None = None
) -> Contract:
    """Suspended -> active."""
    return _noted_step(request, contract_id, payload, contract_resume)


@router.post("/admin/contracts/{contract_id}/end", response=ContractOut)
def end_contract(
    request: HttpRequest, contract_id: int, payload: ContractNoteIn | None = None
) -> Contract:
    """Active or suspended -> ended, now (a term that runs out ends by itself)."""
    return _noted_step(request, contract_id, payload, contract_end)


@router.post("/admin/contracts/{contract_id}/renew", response=ContractOut)
def renew_contract(request: HttpRequest, contract_id: int, payload: ContractRenewIn) -> Contract:
    """Extend the term to `ends_on`; an ended contract becomes active again."""
    actor = admin(request)
    contract = get_or_404(Contract.objects.all(), contract_id)
    return contract_renew(
        actor=actor, contract=contract, ends_on=payload.ends_on, note=payload.note
    )


@router.get("/admin/contracts/{contract_id}/events", response=list[ContractEventOut])
def contract_history(request: HttpRequest, contract_id: int) -> QuerySet[ContractEvent]:
    """The contract's history, oldest first."""
    admin(request)
    return contract_events(contract=get_or_404(Contract.objects.all(), contract_id))


@router.get("/admin/users", response=list[UserOut])
def users(request: HttpRequest) -> QuerySet[User]:
    admin(request)
    return User.objects.order_by("email")


@router.post("/admin/users", response={201: UserOut})
def create_user(request: HttpRequest, payload: UserIn) -> Status[User]:
    actor = admin(request)  # before any lookup: a refusal must not tell which ids exist
    organisation = get_or_404(Organisation.objects.all(), payload.organisation_id)
    data = AccountData(**payload.model_dump(exclude={"organisation_id"}))
    return Status(201, account_create(actor=actor, organisation=organisation, data=data))


@router.get("/admin/lines", response=list[LineOut])
def lines(request: HttpRequest) -> QuerySet[SupportLine]:
    admin(request)
    return SupportLine.objects.prefetch_related("members").order_by("level")


@router.get("/admin/schemes", response=list[SchemeOut])
def schemes(request: HttpRequest) -> QuerySet[ClassificationScheme]:
    admin(request)
    return ClassificationScheme.objects.order_by("name")


@router.get("/admin/calendars", response=list[CalendarOut])
def calendars(request: HttpRequest) -> QuerySet[Calendar]:
    admin(request)
    return Calendar.objects.order_by("name")


@router.post("/admin/calendars", response={201: CalendarOut})
def create_calendar(request: HttpRequest, payload: CalendarIn) -> Status[Calendar]:
    return Status(201, save_payload(admin(request), Calendar(), payload))


@router.get("/admin/sla-policies", response=list[PolicyOut])
def policies(request: HttpRequest) -> QuerySet[SlaPolicy]:
    admin(request)
    return SlaPolicy.objects.order_by("name")


@router.get("/admin/sla-policies/{policy_id}/targets", response=list[TargetOut])
def targets(request: HttpRequest, policy_id: int) -> QuerySet[SlaTarget]:
    admin(request)
    return get_or_404(SlaPolicy.objects.all(), policy_id).targets.order_by("pk")


@router.post("/admin/calendar-preview", response=PreviewOut, exclude_defaults=True)
def calendar_preview(request: HttpRequest, payload: PreviewIn) -> dict[str, object]:
    """This spec, this start, this business duration -> the due instant (and the cut-off),
    and the shortened pre-holiday days on the way."""
    admin(request)
    try:
        calendar = BusinessCalendar.from_spec(payload.spec)
        due = calendar.add(payload.start, dt.timedelta(hours=payload.hours))
        cutoff_due = calendar.cutoff_due(payload.start, payload.cutoff) if payload.cutoff else None
        last = max(due, cutoff_due) if cutoff_due else due
        shortened = calendar.shortened_days(
            payload.start.astimezone(calendar.zone).date(), last.astimezone(calendar.zone).date()
        )
    except (CalendarError, TypeError, KeyError, OverflowError) as error:
        raise DomainError(str(error), field="spec") from error
    return {
        "due": due,
        "cutoff_due": cutoff_due,
        "shortened_days": {day: calendar.day_hours(day) for day in shortened},
    }
