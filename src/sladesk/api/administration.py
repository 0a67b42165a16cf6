"""Administration endpoints (admin scope): the desk's configuration as data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from sladesk.accounts.models import Contract, Organisation, Service, SupportLine, User
from sladesk.accounts.services import AccountData, account_create
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
    is_active: bool = True


class OrganisationPatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=200)
    email_domains: str | None = Field(None, max_length=500)
    is_active: bool | None = None


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


class ContractIn(StrictIn):
    number: str = Field(min_length=1, max_length=50)
    organisation_id: int
    kind: str = Field("standard", max_length=20)
    starts_on: dt.date
    ends_on: dt.date
    included_lines: int = Field(3, ge=1, le=4)
    max_accounts: int = Field(2, ge=0, le=10_000)
    classification_scheme_id: int
    sla_policy_id: int | None = None


class ContractPatch(StrictIn):
    ends_on: dt.date | None = None
    included_lines: int | None = Field(None, ge=1, le=4)
    max_accounts: int | None = Field(None, ge=0, le=10_000)
    sla_policy_id: int | None = None


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    organisation_id: int
    is_active: bool
    blocked_reason: str


class UserIn(StrictIn):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
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
    response_cutoff: dt.time | None
    resolution_budget: dt.timedelta | None
    resolution_starts: str


class PreviewIn(StrictIn):
    spec: dict[str, Any]
    start: dt.datetime
    hours: float = Field(ge=0, le=100_000)
    cutoff: dt.time | None = None


class PreviewOut(Schema):
    due: dt.datetime
    cutoff_due: dt.datetime | None


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
    return save_payload(admin(request), get_or_404(Contract.objects.all(), contract_id), payload)


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


@router.post("/admin/calendar-preview", response=PreviewOut)
def calendar_preview(request: HttpRequest, payload: PreviewIn) -> dict[str, object]:
    """This spec, this start, this business duration -> the due instant (and the cut-off)."""
    admin(request)
    try:
        calendar = BusinessCalendar.from_spec(payload.spec)
        due = calendar.add(payload.start, dt.timedelta(hours=payload.hours))
        cutoff_due = calendar.cutoff_due(payload.start, payload.cutoff) if payload.cutoff else None
    except (CalendarError, TypeError, KeyError, OverflowError) as error:
        raise DomainError(str(error), field="spec") from error
    return {"due": due, "cutoff_due": cutoff_due}
