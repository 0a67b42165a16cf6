"""Report exports: CSV, XLSX and PDF hold the report's figures, survive Cyrillic and Czech,
never turn user text into spreadsheet formulas, and the PDF fetches nothing. No database."""

# ruff: noqa: RUF001  # Cyrillic and Czech names are the point of these tests

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import io
import logging
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

from sladesk.reports import exports
from sladesk.reports.choices import Dimension
from sladesk.reports.exports import (
    CONTENT_TYPES,
    ReportRenderError,
    export,
    filename,
    report_charts,
    report_csv,
    report_pdf,
    report_tables,
    report_xlsx,
    rows_csv,
    rows_xlsx,
)
from sladesk.reports.figures import (
    Availability,
    Breach,
    Breakdown,
    BreakdownRow,
    ClockFigures,
    SlaReport,
    TargetFigures,
    percent,
)
from tests.reports.conftest import pdf_text

ORGANISATION = "ООО Ромашка"
SERVICE = "Účetnictví"
FORMULA = '=HYPERLINK("http://evil.example/","click")'
TEMPLATE = Path(exports.__file__).parent / "templates" / "reports" / "report_pdf.html"


def clock(measured: int, met: int, median: int | None, p90: int | None) -> ClockFigures:
    return ClockFigures(measured, met, percent(met, measured), median, p90)


@pytest.fixture
def report() -> SlaReport:
    utc = dt.UTC
    return SlaReport(
        contract_id=7,
        contract="SD-2025/014",
        organisation=ORGANISATION,
        period="2025-03",
        first=dt.date(2025, 3, 1),
        last=dt.date(2025, 3, 31),
        zone="Europe/Moscow",
        generated_at=dt.datetime(2025, 4, 1, 3, 0, tzinfo=utc),
        tickets=40,
        resolved=32,
        open_at_end=8,
        response=clock(38, 35, 1800, 5400),
        resolution=clock(30, 24, 5400, 36000),
        reopened=3,
        first_line=20,
        with_article=8,
        targets=[
            TargetFigures("Incident / critical", 5, clock(5, 4, 600, 900), clock(0, 0, None, None)),
            TargetFigures("Request / normal", 33, clock(33, 31, 1900, 5000), clock(30, 24, 1, 2)),
        ],
        breakdowns=[
            Breakdown(
                Dimension.TICKET_CLASS,
                "Class",
                [BreakdownRow("Incident", 25, 20, 5), BreakdownRow("Request", 15, 12, 3)],
            ),
            Breakdown(Dimension.SEVERITY, "Severity", [BreakdownRow("Critical", 5, 5, 0)]),
            Breakdown(Dimension.PRIORITY, "Priority", [BreakdownRow("+ VIP", 2, 1, 1)]),
            Breakdown(Dimension.LINE, "Line", [BreakdownRow("Line 1", 40, 32, 8)]),
            Breakdown(Dimension.CHANNEL, "Channel", [BreakdownRow("E-mail", 40, 32, 8)]),
        ],
        breaches=[
            Breach(
                number="SD-101",
                title=FORMULA,
                clock="resolution",
                clock_label="resolution",
                ticket_class="incident",
                line="1",
                due_at=dt.datetime(2025, 3, 10, 7, 0, tzinfo=utc),
                met_at=dt.datetime(2025, 3, 10, 9, 30, tzinfo=utc),
            ),
            Breach(
                number="SD-102",
                title="Не печатает принтер",
                clock="response",
                clock_label="first response",
                ticket_class="",
                line="0",
                due_at=None,
                met_at=None,
            ),
        ],
        availability=[Availability(SERVICE, 2, 2592, 99.903)],
    )


def csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def summary_value(report: SlaReport, index: int) -> tuple[str, object]:
    label, value = report_tables(report)[0].rows[index]
    return str(label), value


def weasyprint_complaints(caplog: pytest.LogCaptureFixture) -> list[str]:
    """WeasyPrint's warnings but the one about this host's fonts (no HarfBuzz-Subset)."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("weasyprint") and "HarfBuzz" not in record.getMessage()
    ]


def test_the_tables_lay_out_every_part_of_the_report(report: SlaReport) -> None:
    tables = {table.key: table for table in report_tables(report)}
    assert list(tables) == [
        "summary",
        "targets",
        "breakdown_ticket_class",
        "breakdown_severity",
        "breakdown_priority",
        "breakdown_line",
        "breakdown_channel",
        "breaches",
        "availability",
    ]
    summary = dict(tables["summary"].rows)  # type: ignore[arg-type]  # label, value pairs
    assert list(summary.values()) == [
        40,
        32,
        8,
        report.response.met_percent,
        report.resolution.met_percent,
        0.5,  # 1800 s
        1.5,
        1.5,
        10.0,
        3,
        report.share(3),
        20,
        62.5,
        8,
        25.0,
    ]
    assert tables["targets"].rows[0] == ["Incident / critical", 5, 5, 4, 80.0, 0, 0, None]
    assert tables["breakdown_ticket_class"].title == "Class"
    assert tables["breakdown_ticket_class"].rows == [
        ["Incident", 25, 20, 5],
        ["Request", 15, 12, 3],
    ]
    # Instants in the report's zone (Moscow is UTC+3), a breach not yet met has no met time.
    assert tables["breaches"].rows == [
        ["SD-101", FORMULA, "resolution", "2025-03-10 10:00", "2025-03-10 12:30"],
        ["SD-102", "Не печатает принтер", "first response", None, None],
    ]
    assert tables["availability"].rows == [[SERVICE, 2, 0.72, 99.903]]


def test_the_csv_decodes_as_utf8_with_a_bom_and_holds_the_figures(report: SlaReport) -> None:
    body = report_csv(report)
    assert body.startswith(codecs.BOM_UTF8)
    rows = csv_rows(body)
    tables = report_tables(report)
    assert rows[0] == [tables[0].title]
    assert rows[1] == tables[0].header
    label, value = summary_value(report, 3)
    assert [label, str(value)] == [label, str(report.response.met_percent)]
    assert [label, str(value)] in rows
    assert [SERVICE, "2", "0.72", "99.903"] in rows
    assert ["SD-102", "Не печатает принтер", "first response", "", ""] in rows
    # Title, header and rows per table, a blank row between tables.
    assert rows.count([]) == len(tables) - 1
    assert len(rows) == sum(2 + len(table.rows) for table in tables) + len(tables) - 1


def test_a_text_cell_that_looks_like_a_formula_gets_an_apostrophe_in_the_csv(
    report: SlaReport,
) -> None:
    rows = csv_rows(report_csv(report))
    assert ["SD-101", "'" + FORMULA, "resolution", "2025-03-10 10:00", "2025-03-10 12:30"] in rows
    assert ["'+ VIP", "2", "1", "1"] in rows
    lazy = gettext_lazy("=1+1")  # a choice's label is lazy, not a str, and guarded all the same
    cells = [["+7 999"], ["-x"], ["@SUM(A1)"], ["\tx"], ["\rx"], [lazy], [-5], [None]]
    generic = csv_rows(rows_csv(["a"], cells))
    assert generic == [
        ["a"],
        ["'+7 999"],
        ["'-x"],
        ["'@SUM(A1)"],
        ["'\tx"],
        ["'\rx"],
        ["'=1+1"],
        ["-5"],
        [""],
    ]


def test_the_xlsx_summary_sheet_holds_the_same_numbers_as_the_report(report: SlaReport) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(report_xlsx(report)))
    tables = report_tables(report)
    assert workbook.sheetnames == [table.title for table in tables]
    sheet = workbook.worksheets[0]
    assert [sheet["A1"].value, sheet["B1"].value] == [gettext("Organisation"), ORGANISATION]
    assert sheet["B2"].value == report.contract
    assert sheet["B3"].value == "2025-03-01 – 2025-03-31"
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=7, values_only=True)}
    assert values == dict(tables[0].rows)  # type: ignore[arg-type]  # label, value pairs
    label, _value = summary_value(report, 3)
    assert values[label] == report.response.met_percent
    assert isinstance(values[summary_value(report, 0)[0]], int)
    header = next(sheet.iter_rows(min_row=6, max_row=6))
    assert [cell.value for cell in header] == tables[0].header
    assert all(cell.font.bold for cell in header)


def test_a_text_cell_that_looks_like_a_formula_stays_text_in_the_xlsx(report: SlaReport) -> None:
    body = report_xlsx(report)
    sheet = openpyxl.load_workbook(io.BytesIO(body))[gettext("Breaches")]
    cell = sheet["B2"]
    assert cell.value == FORMULA
    assert cell.data_type == "s"
    assert cell.quotePrefix
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        assert sheets
        assert not any(b"<f>" in archive.read(name) for name in sheets)


def test_worksheet_titles_are_trimmed_cleaned_and_unique(report: SlaReport) -> None:
    twins = dataclasses.replace(
        report,
        breakdowns=[
            dataclasses.replace(breakdown, title="Tickets: by [class]/*type?* of the contract")
            for breakdown in report.breakdowns[:2]
        ],
    )
    names = openpyxl.load_workbook(io.BytesIO(report_xlsx(twins))).sheetnames
    assert names[2] == "Tickets by classtype of the con"[:31]
    assert names[3].endswith(" (2)")
    assert all(len(name) <= 31 and not set("[]:*?/\\") & set(name) for name in names)
    assert len({name.casefold() for name in names}) == len(names)


def test_a_generic_xlsx_keeps_numbers_as_numbers_and_none_empty() -> None:
    moment = dt.datetime(2025, 3, 1, 9, 5, tzinfo=dt.UTC)
    rows = [["SD-1", 1.5, None, gettext_lazy("Open")], ["SD-2", 3, moment, "-"]]
    body = rows_xlsx("Tickets", ["Number", "Hours", "Closed", "Status"], rows)
    sheet = openpyxl.load_workbook(io.BytesIO(body))["Tickets"]
    assert list(sheet.iter_rows(values_only=True)) == [
        ("Number", "Hours", "Closed", "Status"),
        ("SD-1", 1.5, None, "Open"),
        ("SD-2", 3, "2025-03-01 09:05", "-"),
    ]
    assert sheet["D3"].quotePrefix
    assert sheet["A1"].font.bold


def test_the_pdf_shows_cyrillic_and_czech_names_and_every_table(
    report: SlaReport, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        body = report_pdf(report)
    assert body.startswith(b"%PDF")
    assert not weasyprint_complaints(caplog)  # nothing refused to load, no CSS ignored
    text = pdf_text(body, tmp_path)
    for expected in (ORGANISATION, SERVICE, report.contract, "Europe/Moscow", "Не печатает"):
        assert expected in text
    for table in report_tables(report):
        assert table.title in text
    assert "—" in text  # the target whose resolution nobody measured
    assert "Page 1 of" in text
    assert "2025-04-01 06:00" in text  # generated at, in the report's zone


def test_the_pdf_template_loads_nothing_from_outside() -> None:
    source = TEMPLATE.read_text(encoding="utf-8")
    for external in ("url(", "@import", "src=", "href=", "<link", "@font-face"):
        assert external not in source


def test_the_pdf_refuses_to_fetch_a_url_it_meets(
    report: SlaReport, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    page = '<p>x</p><img src="http://192.0.2.1/logo.png"><img src="file:///etc/passwd">'
    monkeypatch.setattr(exports, "render_to_string", lambda *args, **kwargs: page)
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        body = report_pdf(report)
    assert body.startswith(b"%PDF")
    complaints = weasyprint_complaints(caplog)
    assert len(complaints) == 2
    assert all("disallowed protocol" in complaint for complaint in complaints)


def test_a_weasyprint_failure_becomes_a_report_render_error(
    report: SlaReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    import weasyprint

    def fail(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("pango is gone")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", fail)
    with pytest.raises(ReportRenderError, match="pango is gone") as raised:
        report_pdf(report)
    assert isinstance(raised.value.__cause__, RuntimeError)


def test_the_words_are_translated_when_the_file_is_made(report: SlaReport, tmp_path: Path) -> None:
    with translation.override("ru"):
        tables = report_tables(report)
        expected = [gettext("Summary"), gettext("Figure"), gettext("Value")]
        csv_body = report_csv(report)
        pdf_body = report_pdf(report)
        first_cell = openpyxl.load_workbook(io.BytesIO(report_xlsx(report))).worksheets[0]["A1"]
        organisation = gettext("Organisation")
    assert [tables[0].title, *tables[0].header] == expected
    assert csv_rows(csv_body)[:2] == [expected[:1], expected[1:]]
    assert first_cell.value == organisation
    assert ORGANISATION in pdf_text(pdf_body, tmp_path)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_export_gives_the_body_and_its_content_type(report: SlaReport, fmt: str) -> None:
    body, content_type = export(report, fmt)
    assert content_type == CONTENT_TYPES[fmt]
    assert body.startswith({"csv": codecs.BOM_UTF8, "xlsx": b"PK", "pdf": b"%PDF"}[fmt])


def test_an_unknown_format_raises_value_error(report: SlaReport) -> None:
    with pytest.raises(ValueError, match="docx"):
        export(report, "docx")
    with pytest.raises(ValueError, match="docx"):
        filename(report, "docx")


def test_the_file_name_is_ascii_and_names_contract_and_period(report: SlaReport) -> None:
    assert filename(report, "xlsx") == "sla-report-SD-2025-014-2025-03.xlsx"
    cyrillic = dataclasses.replace(report, contract="Д/15", period="2025-03-01..2025-03-15")
    assert filename(cyrillic, "pdf") == "sla-report-15-2025-03-01..2025-03-15.pdf"
    nameless = dataclasses.replace(report, contract="Договор")
    assert filename(nameless, "csv") == "sla-report-7-2025-03.csv"


def test_the_charts_show_both_clocks_and_the_classes(report: SlaReport) -> None:
    svgs = report_charts(report)
    assert len(svgs) == 3
    assert all(svg.startswith("<svg") for svg in svgs)
    assert "Met: 35" in svgs[0]
    assert "Breached: 6" in svgs[1]
    assert ">Incident<" in svgs[2]
    unmeasured = dataclasses.replace(report, response=clock(0, 0, None, None), breakdowns=[])
    assert len(report_charts(unmeasured)) == 2
    assert "No data" in report_charts(unmeasured)[0]
