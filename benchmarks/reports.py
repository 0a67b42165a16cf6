"""The support team's dashboard and a contract's monthly SLA report over a million tickets on
PostgreSQL.

Run: `python benchmarks/reports.py [--tickets 1000000] [--database-url URL] [--fresh]
[--runs 20] [--repeat 3] [--period YYYY-MM] [--explain]`. The database
(`postgres://postgres@127.0.0.1:5432/sladesk_bench_reports` by default, data directory
`/tmp/bench-reports`) is seeded by `seed_tickets.seed` unless it already holds that load.
Timed, as the page views call them: `reports.dashboard.dashboard_for(actor=<a supervisor>)`
and `reports.selectors.sla_report(contract=..., period=<last full month>)` for the busiest
contract and for the tenth busiest. Each full run opens a new database connection, calls
every operation once to warm up, then `--runs` times; once more inside
`CaptureQueriesContext` for its queries. The figures are the median over `--repeat` full
runs of each run's median and p95. When a target is missed (or with `--explain`) the
slowest query of the operation is shown with EXPLAIN ANALYZE. Writes benchmarks/RESULTS.md
under "## Reports at a million tickets"."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import seed_tickets  # found through the path above

HEADING = "## Reports at a million tickets"
DASHBOARD_TARGET_MS = 300.0
REPORT_TARGET_MS = 1000.0
HELPDESK = "django-helpdesk's dashboard takes 2.9 s at 100,000 tickets"


@dataclass
class Operation:
    label: str
    call: Callable[[], Any]
    target_ms: float
    counted: str  # what it counts, for the table
    medians: list[float]
    p95s: list[float]
    queries: int = 0
    slowest_ms: float = 0.0
    slowest_sql: str = ""


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _full_run(operations: list[Operation], runs: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.close()  # a new session: its statements prepared afresh, as a new worker's
    for operation in operations:
        operation.call()  # warm-up
        times = []
        for _run in range(runs):
            started = time.perf_counter()
            operation.call()
            times.append((time.perf_counter() - started) * 1000)
        operation.medians.append(statistics.median(times))
        operation.p95s.append(_p95(times))
        print(
            f"  {operation.label}: median {operation.medians[-1]:.1f} ms,"
            f" p95 {operation.p95s[-1]:.1f} ms (first {times[0]:.1f}, last {times[-1]:.1f})",
            flush=True,
        )
        with CaptureQueriesContext(connection) as captured:
            operation.call()
        operation.queries = len(captured.captured_queries)
        slowest = max(captured.captured_queries, key=lambda query: float(query["time"]))
        operation.slowest_ms = float(slowest["time"]) * 1000
        operation.slowest_sql = slowest["sql"]


def _explain(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")  # a query we captured
        return [row[0] for row in cursor.fetchall()]


def _plan_summary(plan: list[str]) -> str:
    """The plan's nodes (rows, pages visited) and its execution time on one line."""
    parts = []
    for line in plan:
        text = line.strip().removeprefix("->").strip()
        if text.startswith("Planning"):
            break
        if "(actual" in text:
            node, _cost, actual = text.partition("  (cost=")
            rows = actual.split(" rows=")[-1].split(" ")[0]
            parts.append(f"{node} ({rows} rows)")
        elif text.startswith(("Heap Blocks", "Buffers", "Heap Fetches")) and parts:
            parts[-1] = parts[-1][:-1] + f", {text.lower()})"
    total = next((line for line in plan if line.startswith("Execution Time")), "")
    return "; ".join([*parts, total])


def _dataset(period: Any, busiest: Any, tenth: Any) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE status IN "
            "('new', 'in_progress', 'waiting_for_customer')), "
            "count(*) FILTER (WHERE status IN ('new', 'in_progress', 'waiting_for_customer') "
            "AND sla_state = 'breached'), "
            "count(*) FILTER (WHERE status IN ('new', 'in_progress', 'waiting_for_customer') "
            "AND sla_state = 'at_risk'), min(registered_at), max(registered_at) "
            "FROM tickets_ticket"
        )
        tickets, opened, breached, at_risk, first, last = cursor.fetchone()
        counts = {}
        for contract in (busiest, tenth):
            cursor.execute(
                "SELECT count(*) FROM reports_ticketfigures WHERE contract_id = %s "
                "AND registered_at >= %s AND registered_at < %s",
                [contract.pk, period.start, period.end],
            )
            counts[contract.pk] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM reports_ticketfigures")
        figures = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM channels_inboundalert")
        alerts = cursor.fetchone()[0]
        cursor.execute(
            "SELECT pg_total_relation_size('tickets_ticket'), "
            "pg_total_relation_size('reports_ticketfigures'), current_setting('server_version'), "
            "current_setting('shared_buffers'), current_setting('work_mem')"
        )
        ticket_bytes, figure_bytes, version, shared_buffers, work_mem = cursor.fetchone()
    return {
        "tickets": tickets,
        "open": opened,
        "breached": breached,
        "at_risk": at_risk,
        "first": first,
        "last": last,
        "in_period": counts,
        "figures": figures,
        "alerts": alerts,
        "ticket_mb": ticket_bytes / 2**20,
        "figure_mb": figure_bytes / 2**20,
        "version": version.split()[0],
        "shared_buffers": shared_buffers,
        "work_mem": work_mem,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=seed_tickets.DEFAULT_URL)
    parser.add_argument("--fresh", action="store_true", help="drop, create and seed again")
    parser.add_argument("--runs", type=int, default=20, help="timed calls per full run")
    parser.add_argument("--repeat", type=int, default=3, help="full runs")
    parser.add_argument("--period", help="YYYY-MM; the last full month by default")
    parser.add_argument("--explain", action="store_true", help="show every slowest query's plan")
    parser.add_argument("--no-publish", action="store_true", help="do not touch RESULTS.md")
    arguments = parser.parse_args()
    seed_tickets.database_create(arguments.database_url, fresh=arguments.fresh)
    seed_tickets.configure(arguments.database_url)

    from _common import machine, publish
    from django.db.models import Count

    from sladesk.accounts.choices import Role
    from sladesk.accounts.models import User
    from sladesk.core import clock
    from sladesk.reports import periods, selectors
    from sladesk.reports.dashboard import dashboard_for
    from sladesk.reports.models import StaleTicket, TicketFigures

    seeded = seed_tickets.seed(tickets=arguments.tickets)
    if StaleTicket.objects.exists():
        raise SystemExit("reports_staleticket is not empty: the reports would recount tickets")
    supervisor = User.objects.filter(role=Role.SUPERVISOR).order_by("pk").first()
    if supervisor is None:
        raise SystemExit("no supervisor in the database")
    today = clock.now().astimezone(dt.UTC).date()
    month = arguments.period or periods.previous_month(today)
    by_volume = list(
        TicketFigures.objects.values("contract_id")
        .annotate(count=Count("pk"))
        .order_by("-count")
        .values_list("contract_id", flat=True)
    )
    busiest = selectors.report_contract_get(actor=supervisor, contract_id=by_volume[0])
    tenth = selectors.report_contract_get(actor=supervisor, contract_id=by_volume[9])
    busiest_period = selectors.report_period(busiest, period=month)
    tenth_period = selectors.report_period(tenth, period=month)
    data = _dataset(busiest_period, busiest, tenth)
    board = dashboard_for(actor=supervisor)
    operations = [
        Operation(
            "dashboard (`dashboard_for`, a supervisor)",
            lambda: dashboard_for(actor=supervisor),
            DASHBOARD_TARGET_MS,
            f"{board.open_total:,} open tickets, {len(board.agents)} agents, 30 days",
            [],
            [],
        ),
        Operation(
            f"monthly report (`sla_report`), busiest contract, {month}",
            lambda: selectors.sla_report(contract=busiest, period=busiest_period),
            REPORT_TARGET_MS,
            f"{data['in_period'][busiest.pk]:,} tickets registered in the month",
            [],
            [],
        ),
        Operation(
            f"monthly report (`sla_report`), 10th busiest contract, {month}",
            lambda: selectors.sla_report(contract=tenth, period=tenth_period),
            REPORT_TARGET_MS,
            f"{data['in_period'][tenth.pk]:,} tickets registered in the month",
            [],
            [],
        ),
    ]
    loads = [os.getloadavg()[0]]
    for repeat in range(arguments.repeat):
        print(f"full run {repeat + 1} of {arguments.repeat}", flush=True)
        _full_run(operations, arguments.runs)
        loads.append(os.getloadavg()[0])
    rows, notes, verdicts = [], [], []
    for operation in operations:
        median = statistics.median(operation.medians)
        p95 = statistics.median(operation.p95s)
        met = median < operation.target_ms
        rows.append(
            f"| {operation.label} | {operation.counted} | {median:,.1f} ms | {p95:,.1f} ms"
            f" | {operation.queries} | {operation.slowest_ms:.1f} ms |"
        )
        verdicts.append((operation, median, p95, met))
        if not met or p95 >= operation.target_ms or arguments.explain:
            plan = _explain(operation.slowest_sql)
            print(f"\nslowest query of {operation.label}:\n{operation.slowest_sql}\n")
            print("\n".join(plan))
            if not met or p95 >= operation.target_ms:
                notes.append(
                    f"- Plan of the slowest query, {operation.label}: {_plan_summary(plan)}"
                )
    dashboard, report = verdicts[0], verdicts[1]
    ratio = 2900 / dashboard[1]
    load = data["tickets"] / 100_000
    lines = [
        HEADING,
        "",
        f"- Machine: {machine()}; PostgreSQL {data['version']} on loopback, default settings"
        f" (shared_buffers {data['shared_buffers']}, work_mem {data['work_mem']}); load average"
        f" {min(loads):.1f}-{max(loads):.1f} during the runs (2.0 would be both cores busy:"
        " other work shares the machine)",
        f"- Date: {today.isoformat()}; `python benchmarks/reports.py --tickets"
        f" {arguments.tickets}`; each figure the median of {arguments.repeat} full runs (a new"
        f" connection, one warm-up call, then {arguments.runs} timed calls of each operation);"
        f" p95 over the {arguments.runs} calls of a run",
        f"- Dataset: {data['tickets']:,} tickets registered {data['first']:%Y-%m-%d} to"
        f" {data['last']:%Y-%m-%d} for 50 customer contracts of Zipf-like sizes (24/7 and Moscow"
        f" working-day policies), {data['open']:,} open ({data['breached']:,} breached,"
        f" {data['at_risk']:,} at risk), one figures row each ({data['figures']:,});"
        f" {data['alerts']:,} alert notifications; tickets {data['ticket_mb']:,.0f} MB,"
        f" figures {data['figure_mb']:,.0f} MB with their indexes. Seeded by"
        f" `benchmarks/seed_tickets.py` (COPY, indexes built after, VACUUM ANALYZE) in"
        f" {seeded.seconds:.0f} s, placed around {seeded.seeded_at:%Y-%m-%d %H:%M} UTC; no"
        " comments or events (neither operation reads them), `reports_staleticket` empty, so"
        " the catch-up both operations begin with finds nothing to recount.",
        "- Timed: `dashboard_for` counts the open tickets by line and status, the breached and"
        " at-risk ones and each agent's load, lists the 10 most urgent and the 10 oldest"
        " (`tickets_ticket`), and counts registered and resolved per day over 30 days"
        " (`reports_ticketfigures`); `sla_report` reads the month's figures rows of the"
        " contract (clocks, per-target figures, breaches in Python), counts its breakdowns"
        " in one grouped query and its services' availability from `channels_inboundalert`.",
        "",
        "| operation | counts | median | p95 | queries | slowest query |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        f"- Targets, at the median: dashboard under {DASHBOARD_TARGET_MS:.0f} ms:"
        f" {'met' if dashboard[3] else 'NOT met'} ({dashboard[1]:,.1f} ms, p95"
        f" {dashboard[2]:,.1f} ms); one contract's monthly report under"
        f" {REPORT_TARGET_MS / 1000:.0f} s: {'met' if report[3] else 'NOT met'} (busiest contract"
        f" {report[1]:,.1f} ms, p95 {report[2]:,.1f} ms).",
        f"- For comparison, {HELPDESK}: sladesk's dashboard over {load:g} times as many tickets"
        f" answers in {dashboard[1]:,.0f} ms at the median, {ratio:,.0f} times sooner.",
        *notes,
        "",
    ]
    if arguments.no_publish:
        print("\n".join(lines))
    else:
        publish(HEADING, lines)


if __name__ == "__main__":
    main()
