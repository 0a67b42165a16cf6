"""Monthly reports: on the first working day of a month the worker builds each active
contract's report for the month before, keeps it (figures and a PDF per recipient language)
and mails it to the customer's specialists and the vendor's account manager, once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import translation

from sladesk.accounts.choices import ContractStatus, Role
from sladesk.accounts.models import Contract, User
from sladesk.core import clock
from sladesk.reports import exports, periods
from sladesk.reports.choices import MonthlyReportStatus
from sladesk.reports.figures import SlaReport
from sladesk.reports.models import MonthlyReport
from sladesk.reports.selectors import contract_zone, sla_report
from sladesk.sla.models import calendar_engine

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def first_working_day(contract: Contract, day: dt.date) -> dt.date:
    """The first day of `day`'s month on which the contract's calendar opens (Monday to
    Friday without a calendar)."""
    first = periods.month_first(day)
    policy = contract.sla_policy
    if policy is None:
        while first.weekday() >= 5:
            first += dt.timedelta(days=1)
        return first
    engine = calendar_engine(policy.calendar.spec)
    midnight = dt.datetime.combine(first, dt.time(0), engine.zone)
    return engine.next_open(midnight).astimezone(engine.zone).date()


def report_json(report: SlaReport) -> dict[str, object]:
    """The report as JSON the database keeps (instants and dates as ISO 8601)."""
    return json.loads(json.dumps(dataclasses.asdict(report), cls=DjangoJSONEncoder))


def recipients_of(contract: Contract) -> list[User]:
    """The organisation's active specialists and the contract's account manager."""
    people = list(
        User.objects.filter(
            organisation_id=contract.organisation_id, role=Role.SPECIALIST, is_active=True
        ).order_by("pk")
    )
    manager = contract.account_manager
    if manager is not None and manager.is_active:
        people.append(manager)
    return people


def monthly_reports_due(*, now: dt.datetime | None = None) -> int:
    """Create the month's report rows whose day has come (any worker; each once by the
    unique contract and period) and build and mail those pending; returns how many were
    mailed. A worker that was down catches up later in the month."""
    moment = now or clock.now()
    contracts = Contract.objects.filter(status=ContractStatus.ACTIVE).select_related(
        "sla_policy__calendar"
    )
    for contract in contracts:
        today = moment.astimezone(contract_zone(contract)).date()
        period = periods.previous_month(today)
        month = periods.month(period, contract_zone(contract))
        covered = contract.starts_on <= month.last and contract.ends_on >= month.first
        if not covered or today < first_working_day(contract, today):
            continue
        try:
            with transaction.atomic():
                MonthlyReport.objects.create(contract=contract, period=period, created_at=moment)
        except IntegrityError:
            continue  # built already, or by another worker
    mailed = 0
    waiting = MonthlyReport.objects.filter(
        status__in=[MonthlyReportStatus.PENDING, MonthlyReportStatus.FAILED],
        attempts__lt=MAX_ATTEMPTS,
    ).values_list("pk", flat=True)
    for report_id in list(waiting):
        mailed += monthly_report_deliver(report_id=report_id)
    return mailed


def monthly_report_deliver(*, report_id: int) -> bool:
    """Build one report's PDFs and mail them, in one transaction holding the report row (a
    worker holding it is skipped). A PDF that cannot be built leaves the report failed
    with the error, to be tried again; nothing is mailed until every PDF is built."""
    from sladesk.notifications.services import notifications_for_monthly_report

    with transaction.atomic():
        report = (
            MonthlyReport.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                pk=report_id,
                status__in=[MonthlyReportStatus.PENDING, MonthlyReportStatus.FAILED],
                attempts__lt=MAX_ATTEMPTS,
            )
            .select_related("contract__organisation", "contract__account_manager")
            .select_related("contract__sla_policy__calendar")
            .first()
        )
        if report is None:
            return False
        contract = report.contract
        figures = sla_report(
            contract=contract, period=periods.month(report.period, contract_zone(contract))
        )
        people = recipients_of(contract)
        languages = sorted({person.language for person in people} | {settings.LANGUAGE_CODE})
        files: dict[str, str] = {}
        try:
            for language in languages:
                with translation.override(language):
                    body = exports.report_pdf(figures)
                files[language] = default_storage.save(
                    f"reports/{report.period}/{contract.pk}-{language}.pdf", ContentFile(body)
                )
        except exports.ReportRenderError as error:
            for name in files.values():
                default_storage.delete(name)
            report.attempts += 1
            report.status = MonthlyReportStatus.FAILED
            report.last_error = str(error)[:2000]
            report.save(update_fields=["attempts", "status", "last_error"])
            logger.error("monthly report %s of %s failed: %s", report.period, contract, error)
            return False
        now = clock.now()
        report.figures = report_json(figures)
        report.files = files
        report.status = MonthlyReportStatus.MAILED
        report.attempts += 1
        report.last_error = ""
        report.built_at = report.mailed_at = now
        report.save()
        notifications_for_monthly_report(report=report, recipients=people)
    return True
