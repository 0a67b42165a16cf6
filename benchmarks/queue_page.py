"""The agent's queue page on PostgreSQL with 100,000 tickets.

Run: `SLADESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/sladesk_bench_ui python
benchmarks/queue_page.py` (the database is created if missing and emptied first). Builds the
demo's organisations and people, then 100,000 tickets of both customers over 60 days (most
closed, the rest new, in progress, waiting or resolved, on lines 1-3, half of the open
ones assigned) with their status events, and computes their cached SLA columns with
`sla_recompute`. Measures the server time of whole page responses (Django's test client:
URL routing, middleware, session, selectors, template) for an agent of line 1 and for the
lead of lines 1-3, median of 30 requests after 3 warm-ups, and the queries each page
issues. The text search uses the trigram indexes of tickets migration 0004. Writes the
figures to benchmarks/RESULTS.md under "## Queue page". With `--reuse`, a database that
already holds the load is measured as it is (for iterating; publish figures from a fresh
build)."""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("SLADESK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sladesk_bench_ui")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sladesk.settings")
os.environ.setdefault("SLADESK_LOG_LEVEL", "WARNING")

import django  # settings must be chosen first

django.setup()

from _common import machine, publish  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import OperationalError, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from sladesk.accounts.models import Organisation, SupportLine, User  # noqa: E402
from sladesk.core.demo import demo_load  # noqa: E402
from sladesk.sla.services import sla_recompute  # noqa: E402
from sladesk.tickets.choices import Channel, EventKind, TicketStatus  # noqa: E402
from sladesk.tickets.models import Ticket, TicketClass, TicketEvent  # noqa: E402

HEADING = "## Queue page"
TICKETS = int(os.environ.get("SLADESK_BENCH_TICKETS", "100000"))
WARMUPS, RUNS = 3, 30
TARGET_MS = 150
SUBJECTS = ["export", "login", "report", "sync"]
STATUS_WEIGHTS = {
    TicketStatus.CLOSED: 65,
    TicketStatus.NEW: 10,
    TicketStatus.IN_PROGRESS: 15,
    TicketStatus.WAITING_FOR_CUSTOMER: 5,
    TicketStatus.RESOLVED: 5,
}
PATH = {  # the status events that lead to each status
    TicketStatus.NEW: [],
    TicketStatus.IN_PROGRESS: ["in_progress"],
    TicketStatus.WAITING_FOR_CUSTOMER: ["in_progress", "waiting_for_customer"],
    TicketStatus.RESOLVED: ["in_progress", "resolved"],
    TicketStatus.CLOSED: ["in_progress", "resolved", "closed"],
}


def prepare_database() -> None:
    name = connection.settings_dict["NAME"]
    subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=False, capture_output=True
    )
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        tables = ", ".join(connection.introspection.django_table_names(only_existing=True))
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")  # our own table names


def create_tickets(now: dt.datetime) -> None:
    demo_load(password="bench-password", ticket_count=0)
    generator = random.Random(11)  # reproducible load, not secrets
    customers = []
    for code in ("alpha", "beta"):
        organisation = Organisation.objects.get(code=code)
        contract = organisation.contracts.get()
        classes = list(TicketClass.objects.filter(scheme=contract.classification_scheme))
        services = list(organisation.services.all())
        customers.append((organisation, contract, classes, services))
    lines = {line.level: line for line in SupportLine.objects.filter(level__in=[1, 2, 3])}
    members = {level: list(line.members.all()) for level, line in lines.items()}
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    batch: list[tuple[Ticket, list[str]]] = []
    for number in range(1, TICKETS + 1):
        organisation, contract, classes, services = generator.choice(customers)
        status = generator.choices(statuses, weights)[0]
        level = generator.choices([1, 2, 3], [60, 25, 15])[0]
        registered = now - dt.timedelta(seconds=generator.randrange(60 * 86400))
        ticket_class = generator.choice(classes)
        is_open = status in (
            TicketStatus.NEW,
            TicketStatus.IN_PROGRESS,
            TicketStatus.WAITING_FOR_CUSTOMER,
        )
        assignee = (
            generator.choice(members[level])
            if status != TicketStatus.NEW and (not is_open or generator.random() < 0.5)
            else None
        )
        ticket = Ticket(
            number=f"SD-Q-{number:07d}",
            organisation=organisation,
            contract=contract,
            channel=Channel.PORTAL,
            service=generator.choice(services) if services else None,
            title=f"Load ticket {number}: {generator.choice(SUBJECTS)} fails",
            ticket_class=ticket_class,
            priority=ticket_class.default_priority,
            status=status,
            line=lines[level],
            assignee=assignee,
            registered_at=registered,
            updated_at=registered,
        )
        batch.append((ticket, PATH[status]))
        if len(batch) == 5000 or number == TICKETS:
            created = Ticket.objects.bulk_create([t for t, _path in batch])
            events = []
            for ticket, (_same, path) in zip(created, batch, strict=True):
                events.append(
                    TicketEvent(
                        ticket=ticket,
                        at=ticket.registered_at,
                        kind=EventKind.REGISTERED,
                        after={"status": "new"},
                    )
                )
                events.extend(
                    TicketEvent(
                        ticket=ticket,
                        at=ticket.registered_at + dt.timedelta(minutes=30 * (step + 1)),
                        kind=EventKind.STATUS_CHANGED,
                        field="status",
                        after=value,
                    )
                    for step, value in enumerate(path)
                )
            TicketEvent.objects.bulk_create(events)
            batch = []
    sla_recompute(Ticket.objects.all(), now=now)
    with connection.cursor() as cursor:
        # Fresh statistics and visibility map, as autovacuum would give a live desk.
        cursor.execute("VACUUM ANALYZE")


def loaded() -> bool:
    try:
        call_command("migrate", verbosity=0)
    except OperationalError:  # no database yet
        return False
    return Ticket.objects.count() == TICKETS


def measure(client: Client, query: dict[str, str]) -> tuple[float, int, int]:
    """Median milliseconds, queries per request, bytes of the page."""
    for _ in range(WARMUPS):
        response = client.get("/tickets/", query)
        assert response.status_code == 200, response.status_code  # noqa: S101
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get("/tickets/", query)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        client.get("/tickets/", query)
    return statistics.median(times), len(captured.captured_queries), len(response.content)


def main() -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    began = time.perf_counter()
    if not ("--reuse" in sys.argv and loaded()):
        prepare_database()
        create_tickets(now)
    setup_seconds = time.perf_counter() - began
    open_count = Ticket.objects.exclude(status__in=["closed", "resolved"]).count()
    cases = [
        ("agent1", "all, next deadline first (the default)", {}),
        ("agent1", "mine", {"queue": "mine"}),
        ("agent1", "unassigned in my lines", {"queue": "unassigned"}),
        ("agent1", "at risk", {"queue": "at_risk"}),
        ("agent1", "breached", {"queue": "breached"}),
        ("agent1", "waiting for customer", {"queue": "waiting"}),
        (
            "agent1",
            "all, newest first, page 100",
            {"queue": "all", "order": "newest", "page": "100"},
        ),
        (
            "agent1",
            "all, organisation + line + status filters",
            {
                "queue": "all",
                "organisation": str(Organisation.objects.get(code="beta").pk),
                "line": str(SupportLine.objects.get(level=1).pk),
                "status": "in_progress",
            },
        ),
        ("agent1", "all, text search for a number", {"queue": "all", "q": "SD-Q-0012345"}),
        (
            "agent1",
            "all, text search for a word in 1/4 of the tickets",
            {"queue": "all", "q": "export"},
        ),
        ("lead", "unassigned in lines 1-3", {"queue": "unassigned"}),
        ("agent1", "htmx refresh of the unassigned table", {"queue": "unassigned", "htmx": "1"}),
    ]
    rows, medians = [], []
    for who, label, query in cases:
        user = User.objects.get(email=f"{who}@vendor.example")
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        headers_query = dict(query)
        if headers_query.pop("htmx", None):
            client.defaults["HTTP_HX_REQUEST"] = "true"
        median, queries, size = measure(client, headers_query)
        medians.append(median)
        rows.append(f"| {who} | {label} | {median:.1f} ms | {queries} | {size / 1024:.0f} KiB |")
    default = medians[0]
    worst = max(medians)
    lines = [
        HEADING,
        "",
        f"- Machine: {machine()}; PostgreSQL 15 on loopback",
        f"- Date: {now.date().isoformat()}; median of {RUNS} requests after {WARMUPS} warm-ups,"
        " server time of the whole response through Django's test client (routing,"
        " middleware, session, selectors, template); 50 rows a page",
        f"- Load: {TICKETS:,} tickets of two customers over 60 days, {open_count:,} of them"
        f" open, with their status events and cached SLA columns (built in"
        f" {setup_seconds:.0f} s)",
        f"- Target: under {TARGET_MS} ms at the median; default queue {default:.1f} ms,"
        f" slowest case {worst:.1f} ms:"
        f" {'met' if worst < TARGET_MS else 'NOT met'}",
        "",
        "| who | queue | median | queries | page |",
        "| --- | --- | ---: | ---: | ---: |",
        *rows,
        "",
    ]
    publish(HEADING, lines)


if __name__ == "__main__":
    main()
