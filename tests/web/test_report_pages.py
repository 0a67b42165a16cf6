"""The report pages: the dashboard (the lead's home, refreshing itself), a contract's report
with its charts, tables and files, the kept monthly reports, exports of a ticket list with
its filters; who may open which."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable

import openpyxl
import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sladesk.reports.facts import figures_catch_up
from sladesk.reports.models import MonthlyReport
from sladesk.sla.services import sla_install_examples, sla_sweep
from sladesk.tickets import services
from tests.conftest import World, signed_in

NOW = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)


def queries_for(request: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        request()
    return len(captured.captured_queries)


@pytest.fixture
def busy(world: World) -> World:
    world.alpha.contract.sla_policy = sla_install_examples()["moscow-categories"]
    world.alpha.contract.save()
    with time_machine.travel(NOW - dt.timedelta(days=3), tick=False):
        for number in range(3):
            ticket = world.ticket(world.alpha, title=f"Printer {number}")
            services.ticket_assign(
                actor=world.agent1, ticket_id=ticket.pk, assignee_id=world.agent1.pk
            )
        world.ticket(world.beta, title="Beta's outage")
    with time_machine.travel(NOW, tick=False):
        sla_sweep()
    return world


def test_leads_land_on_the_dashboard_and_agents_on_their_queues(busy: World) -> None:
    assert signed_in(busy.lead).get("/").url == reverse("web:dashboard")
    assert signed_in(busy.agent1).get("/").url == reverse("web:ticket_list")


def test_the_dashboard_shows_the_work_open_now_and_refreshes_itself(busy: World) -> None:
    client = signed_in(busy.lead)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("web:dashboard")).content.decode()
        partial = client.get(reverse("web:dashboard"), headers={"HX-Request": "true"})
    assert 'hx-trigger="every 30s"' in page
    assert 'data-kpi="open">4<' in page
    assert 'data-kpi="breached">3<' in page  # Alpha's cut-off passed; Beta has no SLA
    assert 'xmlns="http://www.w3.org/2000/svg" role="img"' in page
    assert "Printer 0" in page
    assert "<html" not in partial.content.decode()
    assert 'data-table="agents"' in partial.content.decode()


def test_the_dashboard_costs_the_same_queries_however_much_is_open(busy: World) -> None:
    client = signed_in(busy.lead)
    figures_catch_up()  # the worker's minute: the page then only checks that none is left
    few = queries_for(lambda: client.get(reverse("web:dashboard")))
    with time_machine.travel(NOW, tick=False):
        for _ in range(6):
            ticket = busy.ticket(busy.beta)
            services.ticket_assign(actor=busy.agent1, ticket_id=ticket.pk, assignee_id=busy.lead.pk)
    figures_catch_up()
    many = queries_for(lambda: client.get(reverse("web:dashboard")))
    assert many == few
    assert many <= 16


def test_customers_have_no_dashboard_and_end_users_no_reports(busy: World) -> None:
    assert signed_in(busy.alpha.specialist).get(reverse("web:dashboard")).status_code == 404
    assert signed_in(busy.alpha.user).get(reverse("web:report_list")).status_code == 404
    contract = reverse("web:report_contract", args=[busy.alpha.contract.pk])
    assert signed_in(busy.alpha.user).get(contract).status_code == 404


def test_a_specialist_goes_straight_to_their_contracts_report(busy: World) -> None:
    client = signed_in(busy.alpha.specialist)
    answer = client.get(reverse("web:report_list"))
    assert answer.url == reverse("web:report_contract", args=[busy.alpha.contract.pk])
    with time_machine.travel(NOW, tick=False):
        page = client.get(answer.url, {"period": "2026-11"}).content.decode()
    assert 'data-kpi="tickets">3<' in page
    assert "Beta" not in page
    assert page.count("<svg") >= 2
    for fmt in ("csv", "xlsx", "pdf"):
        assert f'data-export="{fmt}"' in page


def test_a_bad_period_is_said_and_the_month_now_shown(busy: World) -> None:
    client = signed_in(busy.lead)
    url = reverse("web:report_contract", args=[busy.alpha.contract.pk])
    with time_machine.travel(NOW, tick=False):
        page = client.get(url, {"period": "2026-13"})
        export = client.get(
            reverse("web:report_export", args=[busy.alpha.contract.pk, "csv"]),
            {"start": "2020-01-01", "end": "2026-11-30"},
        )
    assert page.status_code == 200
    assert "is not a month" in page.content.decode()
    assert 'data-kpi="tickets">3<' in page.content.decode()
    assert export.status_code == 400
    assert b"at most 366 days" in export.content


def test_the_report_downloads_as_csv_xlsx_and_pdf(busy: World) -> None:
    client = signed_in(busy.alpha.specialist)
    contract_id = busy.alpha.contract.pk
    with time_machine.travel(NOW, tick=False):
        files = {
            fmt: client.get(reverse("web:report_export", args=[contract_id, fmt]))
            for fmt in ("csv", "xlsx", "pdf")
        }
        unknown = client.get(reverse("web:report_export", args=[contract_id, "docx"]))
    assert "Tickets registered,3" in files["csv"].content.decode("utf-8-sig")
    assert openpyxl.load_workbook(io.BytesIO(files["xlsx"].content)).sheetnames
    assert files["pdf"].content.startswith(b"%PDF")
    assert unknown.status_code == 404


def test_a_kept_monthly_report_downloads_for_its_contracts_people_only(busy: World) -> None:
    name = default_storage.save("reports/2026-10/alpha-en.pdf", ContentFile(b"%PDF-1.7 kept"))
    report = MonthlyReport.objects.create(
        contract=busy.alpha.contract, period="2026-10", status="mailed", files={"en": name}
    )
    url = reverse("web:monthly_report_download", args=[report.pk])
    answer = signed_in(busy.alpha.specialist).get(url)
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == b"%PDF-1.7 kept"
    assert signed_in(busy.beta.specialist).get(url).status_code == 404
    with time_machine.travel(NOW, tick=False):
        page = signed_in(busy.lead).get(
            reverse("web:report_contract", args=[busy.alpha.contract.pk])
        )
    assert 'data-monthly="2026-10"' in page.content.decode()


def test_a_ticket_list_exports_with_its_filters(busy: World) -> None:
    agent = signed_in(busy.agent1)
    answer = agent.get(
        reverse("web:ticket_export", args=["csv"]),
        {"organisation": busy.alpha.organisation.pk, "q": "Printer 1"},
    )
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Number"
    assert [row[1] for row in rows[1:]] == ["Printer 1"]
    customer = signed_in(busy.alpha.specialist)
    book = openpyxl.load_workbook(
        io.BytesIO(customer.get(reverse("web:ticket_export", args=["xlsx"])).content)
    )
    titles = [row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert sorted(titles) == ["Printer 0", "Printer 1", "Printer 2"]
    queue = agent.get(reverse("web:ticket_list")).content.decode()
    assert 'data-export="xlsx"' in queue


@pytest.mark.parametrize(
    "value",
    ["\x00", "-1", "99999999999999999999999", "<script>x</script>", "2026-1", "٣٠٢٦-11", " "],
)
def test_hostile_periods_get_a_page_or_a_4xx_never_a_server_error(busy: World, value: str) -> None:
    client = signed_in(busy.lead)
    contract_id = busy.alpha.contract.pk
    for query in ({"period": value}, {"start": value, "end": value}, {"start": value}):
        page = client.get(reverse("web:report_contract", args=[contract_id]), query)
        export = client.get(reverse("web:report_export", args=[contract_id, "pdf"]), query)
        assert page.status_code == 200
        assert export.status_code in {200, 400}
        assert b"<script>x</script>" not in page.content


def test_report_pages_keep_the_strict_content_security_policy(busy: World) -> None:
    from tests.web.test_security_headers import INLINE_HANDLER, INLINE_SCRIPT, STRICT_POLICY

    for person, path in (
        (busy.lead, reverse("web:dashboard")),
        (busy.lead, reverse("web:report_contract", args=[busy.alpha.contract.pk])),
        (busy.alpha.specialist, reverse("web:report_contract", args=[busy.alpha.contract.pk])),
    ):
        response = signed_in(person).get(path)
        assert response["Content-Security-Policy"] == STRICT_POLICY
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html)
        assert not INLINE_HANDLER.search(html)
