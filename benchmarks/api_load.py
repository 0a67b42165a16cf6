"""REST API under load on PostgreSQL, with wrk at concurrency 1 and 16 on loopback.

Run: `python benchmarks/api_load.py` (needs `wrk`, Debian package `wrk`; uses the
PostgreSQL database `sladesk_apibench`, created and emptied first). Starts gunicorn (sync
workers) on a free port, then measures, each for 10 s and median of 3 runs:
- the ceiling: `GET /healthz`, a bare Django view returning a small JSON;
- ticket creation: `POST /api/v1/tickets` as an agent on a customer's behalf, at
  concurrency 1 and 16;
- the ticket list: `GET /api/v1/tickets?limit=50` as an agent over 100,000 tickets, at
  concurrency 1 and 16; and at 16 with a different (and equally wide) filter on each
  request, so that no request reuses the SQL of an earlier one (see core/statements.py).
Writes the figures to benchmarks/RESULTS.md under "## REST API under load"."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("SLADESK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sladesk_apibench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sladesk.settings")
os.environ.setdefault("SLADESK_LOG_LEVEL", "WARNING")
UNLIMITED = str(10**8)  # the benchmark measures the server, not the rate limiter
os.environ["SLADESK_API_RATE_PER_TOKEN"] = os.environ["SLADESK_API_RATE_PER_IP"] = UNLIMITED

import django  # noqa: E402  # settings must be chosen first

django.setup()

from _common import fresh_postgres_database, machine, publish  # noqa: E402
from django.db import connection  # noqa: E402

from sladesk.accounts.models import Organisation, User  # noqa: E402
from sladesk.accounts.services import api_token_create  # noqa: E402
from sladesk.core.demo import demo_load  # noqa: E402
from sladesk.sla.selectors import ticket_sla  # noqa: E402
from sladesk.sla.services import _columns as sla_columns  # noqa: E402
from sladesk.sla.services import policies_loaded  # noqa: E402
from sladesk.tickets.choices import Channel, EventKind  # noqa: E402
from sladesk.tickets.models import Ticket, TicketEvent  # noqa: E402

HEADING = "## REST API under load"
CONCURRENCY = 16
SECONDS = 10
RUNS = 3
LIST_TICKETS = 100_000
WORKERS = int(os.environ.get("SLADESK_BENCH_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))

REPORT = """
done = function(summary, latency, requests)
  local failed = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout + summary.errors.status
  io.write(string.format('RESULT {"rps": %.1f, "p50": %d, "p95": %d, "p99": %d, "failed": %d}\\n',
    summary.requests / (summary.duration / 1e6), latency:percentile(50),
    latency:percentile(95), latency:percentile(99), failed))
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare() -> tuple[str, int]:
    fresh_postgres_database()
    demo_load(password="bench-password", ticket_count=0)
    agent = User.objects.get(email="agent1@vendor.example")
    _token, raw = api_token_create(user=agent, name="bench", scope="write")
    beta = Organisation.objects.get(code="beta")
    contract = beta.contracts.get()
    now = dt.datetime.now(dt.UTC)
    policy, targets = policies_loaded().get(contract.sla_policy_id or 0, (None, []))
    tickets = []
    for number in range(1, LIST_TICKETS + 1):
        ticket = Ticket(
            number=f"SD-L-{number:07d}",
            organisation=beta,
            contract=contract,
            channel=Channel.API,
            title=f"Listed {number}",
            registered_at=now - dt.timedelta(minutes=number),
            updated_at=now,
        )
        # The cached SLA columns as `sla_recompute` would write them, computed in memory
        # (no SLA events exist yet): recomputing 100,000 rows in the database takes minutes.
        registered = TicketEvent(
            ticket=ticket, at=ticket.registered_at, kind=EventKind.REGISTERED, after={}
        )
        sla = policy and ticket_sla(
            ticket, now=now, policy=policy, targets=targets, events=[registered]
        )
        for column, value in sla_columns(sla, set(), now).items():
            setattr(ticket, column, value)
        tickets.append(ticket)
    created = Ticket.objects.bulk_create(tickets, batch_size=5000)
    TicketEvent.objects.bulk_create(
        (
            TicketEvent(
                ticket=t, at=t.registered_at, kind=EventKind.REGISTERED, after={"status": "new"}
            )
            for t in created
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        # Autovacuum may be off or not have run yet: give the planner the statistics that
        # any database in use has (without them it walks the whole table for a page).
        cursor.execute("VACUUM ANALYZE")
    return raw, beta.pk


def wrk(url: str, script: str, connections: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script + REPORT)
    result = subprocess.run(
        [
            *("wrk", "-t", str(min(4, connections)), "-c", str(connections)),
            *("-d", f"{SECONDS}s", "-s", handle.name, url),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT "))
    return dict(json.loads(line.removeprefix("RESULT ")))


def median_of(url: str, script: str, connections: int = CONCURRENCY) -> dict[str, float]:
    runs = [wrk(url, script, connections) for _ in range(RUNS)]
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def main() -> None:
    token, organisation_id = prepare()
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "sladesk.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
        ],
        env=os.environ.copy(),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _attempt in range(100):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1):  # noqa: S310  # loopback
                    break
            except OSError:
                time.sleep(0.1)
        auth = f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        body = json.dumps({"title": "Load", "organisation_id": organisation_id, "channel": "api"})
        create = (
            auth + 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = {json.dumps(body)}\n"
        )
        ceiling = median_of(f"{base}/healthz", "")
        creation_alone = median_of(f"{base}/api/v1/tickets", create, 1)
        creation = median_of(f"{base}/api/v1/tickets", create)
        listing_alone = median_of(f"{base}/api/v1/tickets?limit=50", auth, 1)
        listing = median_of(f"{base}/api/v1/tickets?limit=50", auth)
        # A random instant far ahead, seeded apart per thread and per run: each request
        # a filter of its own that still lets every ticket through.
        varied = auth + (
            "local threads = 0\n"
            'setup = function(thread) thread:set("offset", threads); threads = threads + 1 end\n'
            "init = function(args) math.randomseed(os.time() * 16 + offset) end\n"
            "request = function()\n"
            '  return wrk.format(nil, string.format("/api/v1/tickets?limit=50&registered_to='
            '2100-01-01T00:%02d:%02d.%06dZ", math.random(0, 59), math.random(0, 59),'
            " math.random(0, 999999)))\n"
            "end\n"
        )
        listing_varied = median_of(f"{base}/api/v1/tickets", varied)
    finally:
        server.terminate()
        server.wait(timeout=30)
    # Counted once the server has stopped: requests in flight when wrk ends still complete.
    numbers = list(Ticket.objects.filter(title="Load").values_list("number", flat=True))
    created = len(numbers)
    share = 100 * creation["rps"] / ceiling["rps"]
    lines = [
        HEADING,
        "",
        f"- Machine: {machine()}; PostgreSQL 15; gunicorn with {WORKERS} sync workers and wrk"
        " (up to 4 threads) on the same machine, loopback",
        f"- Date: {dt.datetime.now(dt.UTC).date().isoformat()}; each figure the median of"
        f" {RUNS} runs of {SECONDS} s",
        "",
        "| request | concurrency | requests/s | p50 | p95 | p99 | failed |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    listed = f"list: `GET /api/v1/tickets?limit=50` over {LIST_TICKETS:,} tickets"
    for label, connections, figures in (
        ("ceiling: `GET /healthz` (bare JSON view)", CONCURRENCY, ceiling),
        ("create: `POST /api/v1/tickets` (agent)", 1, creation_alone),
        ("create: `POST /api/v1/tickets` (agent)", CONCURRENCY, creation),
        (listed, 1, listing_alone),
        (listed, CONCURRENCY, listing),
        (f"{listed}, a new `registered_to` filter each time", CONCURRENCY, listing_varied),
    ):
        lines.append(
            f"| {label} | {connections} | {figures['rps']:,.0f} | {figures['p50'] / 1000:.1f} ms"
            f" | {figures['p95'] / 1000:.1f} ms | {figures['p99'] / 1000:.1f} ms"
            f" | {figures['failed']:.0f} |"
        )
    lines += [
        "",
        f"- At concurrency {CONCURRENCY}, creation reaches {share:.1f} % of the ceiling with a"
        f" p99 of {creation['p99'] / 1000:.1f} ms (target >= 15 %, p99 < 100 ms); the list's p95"
        f" is {listing['p95'] / 1000:.1f} ms (target < 50 ms), and"
        f" {listing_varied['p95'] / 1000:.1f} ms when every request asks something new.",
        f"- {created:,} tickets created during the runs, {len(set(numbers)):,} distinct numbers.",
        "",
    ]
    publish(HEADING, lines)


if __name__ == "__main__":
    main()
