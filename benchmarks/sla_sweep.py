"""The SLA sweep and recomputation on PostgreSQL with 100,000 open tickets.

Run: `SLADESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/sladesk_bench python
benchmarks/sla_sweep.py` (the database is created if missing and emptied first). Measures
(1) the sweep: finding the due tickets among all open ones and processing them (warnings,
actions, cached columns), with about 1 % of the tickets due; (2) the batch recomputation
rate of the cached SLA columns from the events. Median of 3 runs; writes the figures to
benchmarks/RESULTS.md under "## SLA sweep and recomputation"."""

from __future__ import annotations

import datetime as dt
import os
import random
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

from _common import fresh_postgres_database, machine, publish  # noqa: E402
from django.db import connection  # noqa: E402

from sladesk.accounts.models import Organisation  # noqa: E402
from sladesk.core.demo import demo_load  # noqa: E402
from sladesk.sla.models import SlaEvent  # noqa: E402
from sladesk.sla.services import sla_recompute, sla_sweep  # noqa: E402
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


def main() -> None:
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
    sample = Ticket.objects.filter(pk__lte=RECOMPUTE_SAMPLE)
    rates = []
    for _run in range(RUNS):
        started = time.perf_counter()
        count = sla_recompute(sample, now=now)
        rates.append(count / (time.perf_counter() - started))
    sweep = statistics.median(sweep_times)
    find_ms = statistics.median(find_times) * 1000
    rate = statistics.median(rates)
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
        f"| batch recomputation of cached columns ({RECOMPUTE_SAMPLE:,} tickets) | {rate:,.0f}/s |",
        "",
        f"- Query plan of the find: `{plan}`",
        "",
    ]
    publish(HEADING, lines)


if __name__ == "__main__":
    main()
