"""A report as a customer downloads it: CSV, XLSX or PDF, all laid out by `report_tables`.

Words are translated when a file is made (`gettext`, not at import), so the reader's active
language applies. Cells stay numbers where they are numbers; None is an empty cell in CSV and
XLSX and a dash in the PDF. Text cells are user data (ticket titles, service names) and may
look like spreadsheet formulas: CSV prefixes such a text with an apostrophe, XLSX stores it as
a plain string with Excel's quote prefix (see `_xlsx_cell`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sladesk.reports import charts
from sladesk.reports.choices import Dimension
from sladesk.reports.figures import ClockFigures, SlaReport

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP's CSV injection list
INSTANT_FORMAT = "%Y-%m-%d %H:%M"
_SHEET_TITLE_UNSAFE = re.compile(r"[\[\]:*?/\\]")
_SHEET_TITLE_LENGTH = 31  # Excel's limit
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class ReportRenderError(Exception):
    """WeasyPrint could not make the PDF; the cause is chained. Not a DomainError: nothing
    the reader asked for was wrong, so it is a server failure (500), not a 4xx."""


@dataclass(frozen=True)
class Table:
    """One table of a report: `key` is stable (for code and tests), `title` and `header`
    are in the active language."""

    key: str
    title: str
    header: list[str]
    rows: list[list[object]]


def report_tables(report: SlaReport) -> list[Table]:
    """The report laid out as tables, summary first; every format renders these."""
    zone = ZoneInfo(report.zone)
    tables = [
        _summary(report),
        Table(
            "targets",
            _("SLA targets"),
            [
                _("SLA target"),
                _("Tickets"),
                _("First response: measured"),
                _("First response: met"),
                _("First response: met, %"),
                _("Resolution: measured"),
                _("Resolution: met"),
                _("Resolution: met, %"),
            ],
            [
                [
                    target.label,
                    target.tickets,
                    *_clock_cells(target.response),
                    *_clock_cells(target.resolution),
                ]
                for target in report.targets
            ],
        ),
    ]
    tables += [
        Table(
            f"breakdown_{breakdown.dimension}",
            breakdown.title,
            [breakdown.title, _("Registered"), _("Resolved"), _("Open at the end")],
            [[row.label, row.registered, row.resolved, row.open] for row in breakdown.rows],
        )
        for breakdown in report.breakdowns
    ]
    tables.append(
        Table(
            "breaches",
            _("Breaches"),
            [_("Ticket"), _("Title"), _("Clock"), _("Due at"), _("Met at")],
            [
                [
                    breach.number,
                    breach.title,
                    breach.clock_label,
                    _instant(breach.due_at, zone),
                    _instant(breach.met_at, zone),
                ]
                for breach in report.breaches
            ],
        )
    )
    tables.append(
        Table(
            "availability",
            _("Availability"),
            [_("Service"), _("Alerts"), _("Downtime, h"), _("Availability, %")],
            [
                # Two decimals: a month at 99.9 % is 0.72 h down, which one decimal would blur.
                [item.service, item.alerts, _hours(item.downtime_seconds, 2), item.percent]
                for item in report.availability
            ],
        )
    )
    return tables


def _summary(report: SlaReport) -> Table:
    response, resolution = report.response, report.resolution
    rows: list[list[object]] = [
        [_("Tickets registered"), report.tickets],
        [_("Tickets resolved"), report.resolved],
        [_("Tickets open at the end of the period"), report.open_at_end],
        [_("First response met, %"), response.met_percent],
        [_("Resolution met, %"), resolution.met_percent],
        [_("Median business time to first response, h"), _hours(response.median_seconds)],
        [_("90th percentile business time to first response, h"), _hours(response.p90_seconds)],
        [_("Median business time to resolution, h"), _hours(resolution.median_seconds)],
        [_("90th percentile business time to resolution, h"), _hours(resolution.p90_seconds)],
    ]
    for label, share_label, count in (
        (_("Reopened"), _("Reopened: share of the resolved, %"), report.reopened),
        (
            _("Resolved on the first line without escalation"),
            _("Resolved on the first line without escalation: share of the resolved, %"),
            report.first_line,
        ),
        (
            _("Resolved with a knowledge article"),
            _("Resolved with a knowledge article: share of the resolved, %"),
            report.with_article,
        ),
    ):
        rows += [[label, count], [share_label, report.share(count)]]
    return Table("summary", _("Summary"), [_("Figure"), _("Value")], rows)


def _clock_cells(clock: ClockFigures) -> list[object]:
    return [clock.measured, clock.met, clock.met_percent]


def _hours(seconds: int | None, digits: int = 1) -> float | None:
    return None if seconds is None else round(seconds / 3600, digits)


def _instant(moment: dt.datetime | None, zone: ZoneInfo) -> str | None:
    return None if moment is None else moment.astimezone(zone).strftime(INSTANT_FORMAT)


def _period(report: SlaReport) -> str:
    return f"{report.first.isoformat()} \N{EN DASH} {report.last.isoformat()}"


# CSV


def rows_csv(header: list[str], rows: Iterable[list[object]]) -> bytes:
    """One table as CSV: UTF-8 with a BOM (so Excel reads Cyrillic right), comma-separated."""
    buffer = io.StringIO()
    _write_csv(buffer, header, rows)
    return _csv_bytes(buffer)


def report_csv(report: SlaReport) -> bytes:
    """Every table: its title row, its header row, its rows; a blank row between tables."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for index, table in enumerate(report_tables(report)):
        if index:
            writer.writerow([])
        writer.writerow([_csv_cell(table.title)])
        _write_csv(buffer, table.header, table.rows)
    return _csv_bytes(buffer)


def _write_csv(buffer: io.StringIO, header: list[str], rows: Iterable[list[object]]) -> None:
    writer = csv.writer(buffer)
    writer.writerow([_csv_cell(name) for name in header])
    writer.writerows([_csv_cell(value) for value in row] for row in rows)


def _csv_bytes(buffer: io.StringIO) -> bytes:
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(value: object) -> object:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return value


def _plain(value: object) -> object:
    """None, a number or a date as it is; an instant as "YYYY-MM-DD HH:MM" in its own zone
    (the caller picks the reader's); anything else (a lazy translation, a choice) as text."""
    if isinstance(value, dt.datetime):
        return value.strftime(INSTANT_FORMAT)
    if value is None or isinstance(value, int | float | Decimal | dt.date | str):
        return value
    return str(value)


# XLSX


def rows_xlsx(title: str, header: list[str], rows: Iterable[list[object]]) -> bytes:
    """One table as a workbook of one worksheet named `title`."""
    workbook = _workbook()
    _fill_sheet(workbook.create_sheet(_sheet_title(title, set())), header, rows)
    return _xlsx_bytes(workbook)


def report_xlsx(report: SlaReport) -> bytes:
    """A worksheet per table; the first (the summary) also names organisation, contract,
    period and zone above its table."""
    workbook = _workbook()
    taken: set[str] = set()
    for index, table in enumerate(report_tables(report)):
        sheet = workbook.create_sheet(_sheet_title(table.title, taken))
        preamble: list[list[object]] = []
        if index == 0:
            preamble = [
                [_("Organisation"), report.organisation],
                [_("Contract"), report.contract],
                [_("Period"), _period(report)],
                [_("Time zone"), report.zone],
                [],
            ]
        _fill_sheet(sheet, table.header, table.rows, preamble=preamble)
    return _xlsx_bytes(workbook)


def _fill_sheet(
    sheet: Worksheet,
    header: list[str],
    rows: Iterable[list[object]],
    *,
    preamble: list[list[object]] | None = None,
) -> None:
    bold = Font(bold=True)
    widths: dict[int, int] = {}
    preamble = preamble or []
    header_row = len(preamble) + 1
    lines: list[list[object]] = [*preamble, [*header], *rows]
    for row_number, line in enumerate(lines, start=1):
        for column, value in enumerate(line, start=1):
            cell = sheet.cell(row=row_number, column=column)
            _xlsx_cell(cell, value)
            if row_number == header_row or (row_number < header_row and column == 1):
                cell.font = bold
            text = "" if value is None else str(cell.value)
            widths[column] = max(widths.get(column, 0), len(text))
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)


def _xlsx_cell(cell: Cell, value: object) -> None:
    """Numbers stay numbers. A text that looks like a formula is stored as a string cell
    (`data_type = "s"`, which openpyxl would otherwise make "f" for a leading "=") with
    Excel's quote prefix, so Excel never evaluates it, not even after the cell is edited,
    and `load_workbook(...)` reads back exactly the text (no apostrophe added)."""
    value = _plain(value)  # Excel has no zones: an instant is text in the caller's zone
    if isinstance(value, str):
        text: str = ILLEGAL_CHARACTERS_RE.sub("", value)  # e.g. a stray \x0b from mail
        cell.value = text
        if text.startswith(FORMULA_STARTS):
            cell.data_type = "s"
            cell.quotePrefix = True
        return
    cell.value = value


def _sheet_title(title: str, taken: set[str]) -> str:
    """A worksheet name Excel accepts: no []:*?/\\, no apostrophe at either end, at most 31
    characters, unique (ignoring case, as Excel does); `taken` is updated."""
    base = ILLEGAL_CHARACTERS_RE.sub("", _SHEET_TITLE_UNSAFE.sub("", title)).strip(" '")
    base = base[:_SHEET_TITLE_LENGTH].strip(" '") or _("Sheet")
    name, number = base, 1
    while name.casefold() in taken:
        number += 1
        suffix = f" ({number})"
        name = base[: _SHEET_TITLE_LENGTH - len(suffix)].rstrip(" '") + suffix
    taken.add(name.casefold())
    return name


def _workbook() -> Workbook:
    """A workbook without worksheets (openpyxl starts one with "Sheet")."""
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    return workbook


def _xlsx_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# PDF


def report_pdf(report: SlaReport) -> bytes:
    """The report as an A4 PDF: the summary, charts, then every table. Nothing is fetched:
    the template is self-contained and any URL WeasyPrint meets is refused."""
    import weasyprint  # slow to import (Pango, fonts): only when a PDF is asked for

    zone = ZoneInfo(report.zone)
    html = render_to_string(
        "reports/report_pdf.html",
        {
            "report": report,
            "period": _period(report),
            "generated_at": report.generated_at.astimezone(zone).strftime(INSTANT_FORMAT),
            "tables": [_pdf_table(table) for table in report_tables(report)],
            "charts": [mark_safe(chart) for chart in report_charts(report)],  # noqa: S308  # charts.py escapes every text
            # Placeholders of the catalogue's "Page %(number)s of %(total)s", filled by CSS.
            "page_number": mark_safe('<span class="page-number"></span>'),
            "page_count": mark_safe('<span class="page-count"></span>'),
        },
    )
    # No protocol allowed (not even file: or data:): a URL that ever slips into the page is
    # refused with a logged warning, never fetched.
    no_fetching = weasyprint.URLFetcher(allowed_protocols=())
    try:
        return weasyprint.HTML(string=html, base_url=None, url_fetcher=no_fetching).write_pdf()
    except Exception as error:
        raise ReportRenderError(f"could not render the report as PDF: {error}") from error


def _pdf_table(table: Table) -> dict[str, object]:
    """The table with every cell paired with its column's CSS class: "number" (aligned
    right), "text", or "text long" (may break anywhere, so a long URL in a ticket title
    cannot push the table off the page); the template prints None as a dash and numbers
    localised."""
    kinds = [_pdf_column_kind(column) for column in zip(*table.rows, strict=True)]
    kinds = kinds or ["text"] * len(table.header)
    return {
        "key": table.key,
        "title": table.title,
        "header": list(zip(table.header, kinds, strict=True)),
        "rows": [list(zip(row, kinds, strict=True)) for row in table.rows],
    }


def _pdf_column_kind(column: tuple[object, ...]) -> str:
    values = [cell for cell in column if cell is not None]
    if values and all(_is_number(cell) for cell in values):
        return "number"
    return "text long" if any(len(str(cell)) > 30 for cell in values) else "text"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def report_charts(report: SlaReport) -> list[str]:
    """SVG charts of the report (the PDF's and the report page's): met and breached of both
    clocks, and the tickets registered per class. Every text in them is escaped."""
    empty = _("No data")
    svgs = [
        charts.stacked_bar(
            [
                (_("Met"), clock.met, charts.PALETTE.met),
                (_("Breached"), clock.breached, charts.PALETTE.breached),
            ]
            if clock.measured
            else [],
            title=title,
            empty=empty,
        )
        for title, clock in (
            (_("First response"), report.response),
            (_("Resolution"), report.resolution),
        )
    ]
    svgs.extend(
        charts.bar_chart(
            [(row.label, row.registered) for row in breakdown.rows],
            title=_("Tickets registered by class"),
            empty=empty,
        )
        for breakdown in report.breakdowns
        if breakdown.dimension == Dimension.TICKET_CLASS
    )
    return svgs


def filename(report: SlaReport, fmt: str) -> str:
    """`sla-report-<contract>-<period>.<fmt>`, ASCII only (safe inside a quoted
    Content-Disposition): a contract number without Latin letters or digits gives its id."""
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"unknown export format {fmt!r}; known: {', '.join(CONTENT_TYPES)}")
    contract = _FILENAME_UNSAFE.sub("-", report.contract).strip("-.") or str(report.contract_id)
    period = _FILENAME_UNSAFE.sub("-", report.period).strip("-.")
    return f"sla-report-{contract}-{period}.{fmt}"


def export(report: SlaReport, fmt: str) -> tuple[bytes, str]:
    """The report in `fmt` ("csv", "xlsx" or "pdf") and its content type; ValueError for
    any other format."""
    makers = {"csv": report_csv, "xlsx": report_xlsx, "pdf": report_pdf}
    if fmt not in makers:
        raise ValueError(f"unknown export format {fmt!r}; known: {', '.join(CONTENT_TYPES)}")
    return makers[fmt](report), CONTENT_TYPES[fmt]
