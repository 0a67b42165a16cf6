"""The monthly report: built on the first working day of the month for the month before,
kept, mailed once (PDF in each reader's language) to the specialists and the account
manager; a PDF that cannot be built is retried, and nothing is mailed half."""

# ruff: noqa: RUF001  # Cyrillic and Czech names are the point of these tests

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
import weasyprint
from django.db import connection

from sladesk.accounts.choices import ContractStatus
from sladesk.notifications.choices import NotificationKind
from sladesk.notifications.models import Notification
from sladesk.notifications.services import notifications_deliver_due
from sladesk.reports.choices import MonthlyReportStatus
from sladesk.reports.models import MonthlyReport
from sladesk.reports.services import first_working_day, monthly_reports_due
from sladesk.sla.services import sla_install_examples
from tests.channels.conftest import SmtpRecorder
from tests.conftest import World
from tests.reports.conftest import pdf_text

MSK = ZoneInfo("Europe/Moscow")
NOVEMBER = dt.datetime(2026, 11, 10, 11, tzinfo=MSK)
# 2026-12-01 is a Tuesday, a working day in Russia; 2027-01-01..08 are holidays.
FIRST_WORKING_DAY = dt.datetime(2026, 12, 1, 9, tzinfo=MSK)


@pytest.fixture
def alpha(world: World) -> World:
    contract = world.alpha.contract
    contract.sla_policy = sla_install_examples()["moscow-categories"]
    contract.status = ContractStatus.ACTIVE
    contract.starts_on, contract.ends_on = dt.date(2026, 1, 1), dt.date(2027, 12, 31)
    contract.account_manager = world.lead
    contract.save()
    world.beta.contract.status = ContractStatus.DRAFT
    world.beta.contract.save()
    world.alpha.organisation.name = "ООО «Альфа-Сервис»"
    world.alpha.organisation.save()
    world.alpha.specialist.language = "ru"
    world.alpha.specialist.save()
    with time_machine.travel(NOVEMBER, tick=False):
        world.ticket(world.alpha, title="Не печатает принтер")
    return world


def test_the_first_working_day_follows_the_contract_calendar(alpha: World) -> None:
    contract = alpha.alpha.contract
    assert first_working_day(contract, dt.date(2026, 12, 15)) == dt.date(2026, 12, 1)
    assert first_working_day(contract, dt.date(2027, 1, 20)) == dt.date(2027, 1, 11)
    contract.sla_policy = None
    assert first_working_day(contract, dt.date(2026, 11, 3)) == dt.date(2026, 11, 2)


def test_the_report_is_built_kept_and_mailed_once_in_each_readers_language(
    alpha: World, smtp_server: SmtpRecorder, tmp_path: Path
) -> None:
    with time_machine.travel(FIRST_WORKING_DAY, tick=False):
        assert monthly_reports_due() == 1
        assert monthly_reports_due() == 0  # a second worker, or the next hour
        notifications_deliver_due()
    report = MonthlyReport.objects.get()
    assert (report.period, report.status) == ("2026-11", MonthlyReportStatus.MAILED)
    assert report.figures["tickets"] == 1
    assert sorted(report.files) == ["en", "ru"]
    mails = {
        item.recipients[0]: item.message
        for item in smtp_server.messages
        if "2026-11" in item.message["subject"]
    }
    assert sorted(mails) == ["lead@vendor.example", "specialist@alpha.example"]
    russian = mails["specialist@alpha.example"]
    (attachment,) = list(russian.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    text = pdf_text(attachment.get_content(), tmp_path)
    assert "ООО «Альфа-Сервис»" in text
    assert Notification.objects.filter(kind=NotificationKind.MONTHLY_REPORT).count() == 4
    # Desk (the bell) and e-mail for each of the two; nothing more on later runs.
    with time_machine.travel(FIRST_WORKING_DAY + dt.timedelta(days=3), tick=False):
        assert monthly_reports_due() == 0
    assert MonthlyReport.objects.count() == 1


def test_a_pdf_that_cannot_be_built_is_retried_and_nothing_is_mailed_half(
    alpha: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> bytes:
        raise OSError("fonts missing")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", broken)
    with time_machine.travel(FIRST_WORKING_DAY, tick=False):
        assert monthly_reports_due() == 0
    report = MonthlyReport.objects.get()
    assert (report.status, report.attempts) == (MonthlyReportStatus.FAILED, 1)
    assert "fonts missing" in report.last_error
    assert report.files == {}
    assert not Notification.objects.filter(kind=NotificationKind.MONTHLY_REPORT).exists()
    monkeypatch.undo()
    with time_machine.travel(FIRST_WORKING_DAY + dt.timedelta(hours=1), tick=False):
        assert monthly_reports_due() == 1
    report.refresh_from_db()
    assert (report.status, report.attempts, report.last_error) == (
        MonthlyReportStatus.MAILED,
        2,
        "",
    )


def test_no_report_is_built_before_the_first_working_day(alpha: World) -> None:
    with time_machine.travel(dt.datetime(2027, 1, 8, 12, tzinfo=MSK), tick=False):
        assert monthly_reports_due() == 0  # the New Year holidays: December's waits
    assert not MonthlyReport.objects.exists()
    with time_machine.travel(dt.datetime(2027, 1, 11, 8, tzinfo=MSK), tick=False):
        assert monthly_reports_due() == 1
    assert MonthlyReport.objects.get().period == "2026-12"


def test_a_contract_that_did_not_cover_the_month_gets_no_report(alpha: World) -> None:
    contract = alpha.alpha.contract
    contract.starts_on = dt.date(2026, 12, 1)
    contract.save()
    with time_machine.travel(FIRST_WORKING_DAY, tick=False):
        assert monthly_reports_due() == 0
    assert not MonthlyReport.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_build_and_mail_each_report_once(
    alpha: World, smtp_server: SmtpRecorder
) -> None:
    errors: list[BaseException] = []
    mailed: list[int] = []

    def work() -> None:
        try:
            with time_machine.travel(FIRST_WORKING_DAY, tick=False):
                mailed.append(monthly_reports_due())
        except BaseException as error:  # reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert sorted(mailed) == [0, 1]
    assert MonthlyReport.objects.get().status == MonthlyReportStatus.MAILED
    assert Notification.objects.filter(kind=NotificationKind.MONTHLY_REPORT).count() == 4
