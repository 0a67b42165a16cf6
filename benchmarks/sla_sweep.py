"""The SLA sweep and recomputation on PostgreSQL with 100,000 open tickets.

Run: `SLADESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/sladesk_bench python
benchmarks/sla_sweep.py` (the database is created if missing and emptied first). Measures
(1) the sweep: finding the due tickets among all open ones and processing them (warnings,
actions, cached columns), with about 1 % of the tickets due; (2) the batch recomputation
rate of the cached SLA columns from the events. Median of 3 runs; writes the figures to
benchmarks/RESULTS.md under "## SLA sweep and recomputation".

`--recompute-only` measures only the recomputation, on the tickets a previous run left in the
database (seeding them first if they are missing; the database must exist), and replaces only
the recomputation rows of the section, with a bullet giving that run's date and load average.
The recomputation is measured twice: once when nothing has changed (every column already true,
the usual case after an edit that moves nothing), once with every ticket's columns made wrong
first (every row written)."""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("SLADESK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sladesk_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sladesk.settings")
os.environ.setdefault("SLADESK_LOG_LEVEL", "WARNING")

import django  # settings must be chosen first

django.setup()

from _common import RESULTS, fresh_postgres_database, machine, publish, write_section  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import QuerySet  # noqa: E402

from sladesk.accounts.models import Organisation  # noqa: E402
from sladesk.core.demo import demo_load  # noqa: E402
from sladesk.sla.models import SlaEvent  # noqa: E402
from sladesk.sla.services import SLA_COLUMNS, sla_recompute, sla_sweep  # noqa: E402
from sladesk.tickets.choices import Channel, CommentKind, EventKind  # noqa: E402
from sladesk.tickets.models import Comment, Ticket, TicketClass, TicketEvent  # noqa: E402

HEADING = "## SLA sweep and recomputation"
TICKETS = int(os.environ.get("SLADESK_BENCH_TICKETS", "100000"))
RUNS = 3
DUE_FRACTION = 0.01
RECOMPUTE_SAMPLE = 20000


def create_tickets(now: dt.datetime) -> None:
    """Open class-6 tickets (first response within 8 h, warning at 50 % = 4 h) registered so
    that about 1 % have passed their warning moment at `now`."""
    demo_load(password="bench-password", ticket_count=0)
    beta = Organisation.objects.get(code="beta")
    contract = beta.contracts.get()
    class_six = TicketClass.objects.get(scheme=contract.classification_scheme, code="6")
    generator = random.Random(7)  # reproducible load, not secrets
    window = dt.timedelta(hours=4) / (1 - DUE_FRACTION)
    batch: list[Ticket] = []
    for number in range(1, TICKETS + 1):
        registered = now - window * generator.random()
        batch.append(
            Ticket(
                number=f"SD-B-{number:07d}",
                organisation=beta,
                contract=contract,
                channel=Channel.API,
                title=f"Load {number}",
                ticket_class=class_six,
                priority=class_six.default_priority,
                registered_at=registered,
                updated_at=registered,
            )
        )
        if len(batch) == 5000 or number == TICKETS:
            created = Ticket.objects.bulk_create(batch)
            TicketEvent.objects.bulk_create(
                TicketEvent(
                    ticket=t, at=t.registered_at, kind=EventKind.REGISTERED, after={"status": "new"}
                )
                for t in created
            )
            batch = []
    sla_recompute(Ticket.objects.all(), now=now)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket")  # fresh statistics, as autovacuum would give


def undo_sweep(ticket_ids: list[int], now: dt.datetime) -> None:
    SlaEvent.objects.filter(ticket_id__in=ticket_ids).delete()
    Comment.objects.filter(ticket_id__in=ticket_ids, kind=CommentKind.INTERNAL).delete()
    sla_recompute(Ticket.objects.filter(pk__in=ticket_ids), now=now)


def corrupt(sample: QuerySet[Ticket]) -> None:
    """Make every sampled ticket's cached columns wrong, so that a recomputation writes all."""
    sample.update(sla_state="", **dict.fromkeys(SLA_COLUMNS[1:]))


def recompute_rates(sample: QuerySet[Ticket], now: dt.datetime) -> tuple[float, float]:
    """Median tickets/s of the recomputation with nothing to change, then with all wrong."""
    sla_recompute(sample, now=now)  # the columns as they are at `now`
    unchanged, rewritten = [], []
    for _run in range(RUNS):
        started = time.perf_counter()
        count = sla_recompute(sample, now=now)
        unchanged.append(count / (time.perf_counter() - started))
    for _run in range(RUNS):
        corrupt(sample)
        started = time.perf_counter()
        count = sla_recompute(sample, now=now)
        rewritten.append(count / (time.perf_counter() - started))
    return statistics.median(unchanged), statistics.median(rewritten)


def recompute_rows(unchanged: float, rewritten: float) -> list[str]:
    return [
        f"| batch recomputation of cached columns ({RECOMPUTE_SAMPLE:,} tickets, nothing"
        f" changed) | {unchanged:,.0f} tickets/s |",
        f"| batch recomputation of cached columns ({RECOMPUTE_SAMPLE:,} tickets, every"
        f" row wrong first) | {rewritten:,.0f} tickets/s |",
    ]


def recompute_only() -> None:
    """Measure the recomputation alone and replace its rows in the published section."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    seeded = "tickets_ticket" in connection.introspection.table_names()
    if not seeded or Ticket.objects.count() != TICKETS:
        fresh_postgres_database()
        create_tickets(now)
    unchanged, rewritten = recompute_rates(Ticket.objects.filter(pk__lte=RECOMPUTE_SAMPLE), now)
    tail = RESULTS.read_text().partition(HEADING)[2]
    following = tail.find("\n## ")
    section = tail[:following] if following != -1 else tail
    section = re.sub(
        r"^\| batch recomputation of cached columns.*\n", "", section, flags=re.MULTILINE
    )
    section = re.sub(
        r"^(\| SLA events recorded per sweep .*\n)",
        lambda match: match.group(1) + "\n".join(recompute_rows(unchanged, rewritten)) + "\n",
        section,
        flags=re.MULTILINE,
    )
    section = re.sub(r"^- Recomputation re-measured .*\n", "", section, flags=re.MULTILINE)
    bullet = (
        f"- Recomputation re-measured on {now.date().isoformat()} with `--recompute-only` on"
        f" {machine()} (median of {RUNS} runs; load average {os.getloadavg()[0]:.2f} at the"
        " end, the machine shared)\n"
    )
    section = section.rstrip("\n") + "\n" + bullet
    write_section(HEADING, (HEADING + section).rstrip("\n") + "\n")
    print("\n".join(recompute_rows(unchanged, rewritten)))
    print(bullet, end="")


def main() -> None:
    if "--recompute-only" in sys.argv[1:]:
        recompute_only()
        return
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    fresh_postgres_database()
    began = time.perf_counter()
    create_tickets(now)
    setup_seconds = time.perf_counter() - began
    due_ids = list(Ticket.objects.filter(sla_next_check_at__lte=now).values_list("pk", flat=True))
    find_times, sweep_times, processed = [], [], 0
    for _run in range(RUNS):
        started = time.perf_counter()
        found = list(Ticket.objects.filter(sla_next_check_at__lte=now).values_list("pk", flat=True))
        find_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        processed = sla_sweep(now=now)
        sweep_times.append(time.perf_counter() - started)
        assert len(found) == len(due_ids), "the due set changed between runs"  # noqa: S101
        undo_sweep(due_ids, now)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN SELECT id FROM tickets_ticket WHERE sla_next_check_at <= %s", [now])
        plan = " ".join(row[0] for row in cursor.fetchall())
    unchanged, rewritten = recompute_rates(Ticket.objects.filter(pk__lte=RECOMPUTE_SAMPLE), now)
    sweep = statistics.median(sweep_times)
    find_ms = statistics.median(find_times) * 1000
    lines = [
        HEADING,
        "",
        f"- Machine: {machine()}; PostgreSQL 15 on loopback",
        f"- Date: {now.date().isoformat()}; median of {RUNS} runs",
        f"- Load: {TICKETS:,} open tickets on the 24/7 contract (bulk-created with their"
        f" registration events and cached SLA columns in {setup_seconds:.0f} s);"
        f" {len(due_ids):,} of them past their 50 % warning moment at the sweep's instant.",
        "",
        "| measure | value |",
        "| --- | ---: |",
        f"| find the due tickets (indexed `sla_next_check_at`) | {find_ms:.1f} ms |",
        f"| sweep: find and process them (SLA events, actions, columns) | {sweep:.2f} s |",
        f"| sweep throughput | {len(due_ids) / sweep:,.0f} tickets/s |",
        f"| SLA events recorded per sweep | {processed:,} |",
        *recompute_rows(unchanged, rewritten),
        "",
        f"- Query plan of the find: `{plan}`",
        "",
    ]
    publish(HEADING, lines)


if __name__ == "__main__":
    main()
