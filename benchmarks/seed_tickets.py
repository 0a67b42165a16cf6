"""Seed a service desk at volume straight into PostgreSQL: by default a million tickets over
24 months, each with its report figures row, for the benchmarks that need a big database.

Run: `python benchmarks/seed_tickets.py --tickets 1000000 --database-url
postgres://postgres@127.0.0.1:5432/sladesk_bench_reports [--fresh]`. From another benchmark,
once Django is set up on such a database: `seed_tickets.seed(tickets=...)`.

What it makes. Through the ORM and the services: the vendor, support lines 0-4, three
supervisors (the leads of lines 1-3) and 35 agents, the shipped calendars, policies and
classification schemes (`sla_install_examples`), 50 customer organisations of Zipf-like
sizes (the busiest has a fifth of all tickets), each with two services, two customer
accounts, an active contract on the 24/7 request-classes policy (odd ranks) or the Moscow
categories policy (even ranks), and, for the 20 biggest, monitoring sources with alert
episodes for the availability figures. Then, with COPY (the secondary indexes dropped
first and built afterwards): the tickets, registered on working days and hours mostly, the
volume growing over time, and one `reports_ticketfigures` row each. Every ticket has a
synthetic history (first reply, reproduction for defects, waiting for the customer,
resolution, reopening, closing, cancelling) whose SLA clocks are computed by the real
engine (`sla.clocks.compute` on the policy's calendar), so the figures' states, due and met
instants and business seconds agree with each other and with the tickets' cached SLA
columns, which come from `sla.services`' own column logic as if the sweep had recorded
every moment already past. Most tickets are done within hours or days; a tail of 13.5 %
(mostly escalated to lines 2-4) lives for months, so that about 4 % are open at the end, of
every age, and each day about as many are resolved as registered. About 15 % were
escalated, 3 % reopened; 12 % count as solved with an article (the figures' flag only).

Not made: comments, ticket events, SLA events, attachments. The two report measurements
do not read them; but a ticket marked stale would be recounted from an empty history, so
`reports_staleticket` must stay empty (it is, after seeding). The data is placed relative
to the moment of seeding: measure soon after, or reseed with `--fresh`.

Idempotent: a database seeded completely with the same number of tickets is left alone;
any other state needs `--fresh` (drop and create the database)."""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import hashlib
import itertools
import json
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sladesk_bench_reports"
MARK = "seed_tickets "  # the table comment of a finished load, then its JSON
MONTHS = 24
CUSTOMERS = 50
# Little's law: 4 % of two years' tickets open means a month's mean lifetime. Most tickets
# are done in hours or days; a tail (feature requests, defects waiting for a release, the
# external vendor) lives for months and is most of the backlog.
TAIL_SHARE, TAIL_DAYS = 0.135, 180
HELD_WAITING = 0.6  # of the tail under a policy without auto-close: held by the customer
CANCELLED_SHARE = 0.03
WAITED_SHARE = 0.3
REOPENED_SHARE = 0.03
LATE_RESPONSE_SHARE = 0.07
LATE_RESOLUTION_SHARE = 0.1
LINE_WEIGHTS = {0: 3, 1: 90, 2: 5, 3: 1.5, 4: 0.5}
TAIL_LINE_WEIGHTS = {1: 40, 2: 35, 3: 17, 4: 8}  # the long-lived tail: escalated mostly
AGENTS_PER_LINE = {1: 18, 2: 10, 3: 7}
CHANNEL_WEIGHTS = {"portal": 38, "email": 34, "phone": 10, "chat": 6, "api": 4, "monitoring": 8}
CLASS_WEIGHTS = {
    "request-classes": {"1": 3, "2": 6, "3": 4, "4": 12, "5": 25, "6": 50},
    "categories-ae": {"A": 15, "B": 5, "C": 30, "D": 40, "E": 10},
}
SEVERITY_WEIGHTS = {1: 8, 2: 27, 3: 50, 4: 15}  # of class C
# Business time to resolve where the target sets none: (median hours, log-normal sigma, cap).
UNTIMED_RESOLUTION = {"24/7": (6.0, 1.2, 30 * 24.0), "moscow": (9.0, 1.1, 40 * 9.0)}
PRIORITIES = ["low", "medium", "high", "critical"]
TITLES = [
    "Orders page returns an error", "Report export is very slow", "Cannot log in after update",
    "Invoice totals are wrong", "Server unavailable since the morning", "How do I add a user?",
    "Nightly import failed", "Please add an export to Excel", "Search finds nothing",
    "Mail notifications stopped", "Certificate expires soon", "Dashboard shows stale data",
    "Printing from the client hangs", "VPN drops every few minutes", "Backup job did not run",
    "Licence count exceeded", "API returns 502 under load", "Wrong VAT on credit notes",
    "Password reset mail never arrives", "Disk almost full on the database server",
    "Slow month-end closing", "Cannot attach files larger than 5 MB",
    "Access rights for a new role", "Integration with the warehouse stopped",
]  # fmt: skip
SENTENCES = [
    "Steps to reproduce, expected and actual result are described here.",
    "It started after this morning's update.",
    "Several users in the accounting department are affected.",
    "The error message says the operation timed out.",
    "We restarted the client but nothing changed.",
    "Please advise how to proceed, this blocks our work.",
    "The log file is attached.",
    "It happens only for some customers, not all.",
]


@dataclass(frozen=True)
class Seeded:
    """What a seeding made (or found already made)."""

    tickets: int
    open: int
    figures: int
    alerts: int
    seconds: float  # how long the seeding took (then or now)
    made_now: bool
    seeded_at: dt.datetime  # the instant the data is placed around


@dataclass
class _Contract:
    rank: int  # 1 the busiest
    contract_id: int
    organisation_id: int
    policy_key: str  # "24/7" or "moscow"
    policy: Any  # SlaPolicy
    calendar: Any  # BusinessCalendar
    targets: list[Any]
    classes: list[Any]  # TicketClass rows of the scheme
    class_weights: list[float]
    severities: dict[int, list[Any]]  # class id -> Severity rows
    service_ids: list[int]
    requester_ids: list[int]


@dataclass
class _World:
    now: dt.datetime
    contracts: list[_Contract]
    contract_cumulative: list[float]
    line_ids: dict[int, int]  # level -> id
    agents: dict[int, list[int]]  # level -> user ids working it
    rules: dict[tuple[int, int | None, int | None, str], tuple[Any, list[Any]]] = field(
        default_factory=dict
    )  # (policy, class, severity, priority) -> (target, rules)


# --- the database ---------------------------------------------------------------------------


def _server_arguments(url: str) -> tuple[list[str], str]:
    parts = urlsplit(url)
    arguments = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    arguments += ["-U", parts.username or "postgres"]
    return arguments, parts.path.lstrip("/")


def database_create(url: str, *, fresh: bool) -> None:
    """Create the database if missing; with `fresh`, drop it first. Before Django connects."""
    arguments, name = _server_arguments(url)
    if fresh:
        subprocess.run(["dropdb", *arguments, "--if-exists", "--force", name], check=True)
    subprocess.run(["createdb", *arguments, name], check=False, capture_output=True)


def configure(url: str, data_dir: str = "/tmp/bench-reports") -> None:  # noqa: S108  # a scratch dir
    """Point Django at the benchmark database and set it up."""
    os.environ["SLADESK_DATABASE_URL"] = url
    os.environ.setdefault("SLADESK_DATA_DIR", data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sladesk.settings")
    os.environ.setdefault("SLADESK_LOG_LEVEL", "WARNING")
    Path(os.environ["SLADESK_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    import django

    django.setup()


def _complete(tickets: int) -> bool | None:
    """True: seeded with `tickets`; None: empty (migrated only); False: anything else."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM tickets_ticket), "
            "(SELECT count(*) FROM reports_ticketfigures), "
            "(SELECT count(*) FROM pg_indexes WHERE indexname IN "
            "('ticket_title_trgm', 'figures_registered')), "
            "(SELECT count(*) FROM accounts_supportline), "
            "obj_description('tickets_ticket'::regclass, 'pg_class')"
        )
        ticket_count, figure_count, indexes, lines, note = cursor.fetchone()
    if ticket_count == 0 and figure_count == 0 and lines == 0:
        return None
    finished = (note or "").startswith(MARK)
    return ticket_count == tickets and figure_count == tickets and indexes == 2 and finished


def _raw_connection() -> Any:
    """A psycopg connection of its own, for a second COPY beside Django's."""
    import psycopg
    from django.db import connection

    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"] or "postgres",
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
    )


def _secondary_indexes(cursor: Any, table: str) -> list[tuple[str, str]]:
    """Indexes that no constraint owns (the primary key and unique numbers stay)."""
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = 'public' "
        "AND tablename = %s AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conname = i.indexname) ORDER BY indexname",
        [table],
    )
    return list(cursor.fetchall())


# --- the world: organisations, people, contracts, policies ------------------------------------


def _world_create(now: dt.datetime, customers: int) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from sladesk.accounts.choices import ContractKind, ContractStatus, OrganisationKind, Role
    from sladesk.accounts.models import Contract, Organisation, Service, SupportLine, User
    from sladesk.channels.models import AlertSource
    from sladesk.core.bootstrap import vendor_ensure
    from sladesk.core.demo import LINES
    from sladesk.sla.services import sla_install_examples

    unusable = make_password(None)
    first_names = ["Olga", "Pavel", "Jana", "Ivan", "Marta", "Petr", "Anna", "Karel", "Irina"]
    last_names = ["Novak", "Petrova", "Svoboda", "Ivanov", "Dvorak", "Smirnova", "Cerny"]
    with transaction.atomic():
        vendor = vendor_ensure(name="Vendor Support", code="vendor")
        lines = {
            level: SupportLine.objects.create(level=level, name=name, is_external=external)
            for level, name, external in LINES
        }
        number = 0
        for level, count in AGENTS_PER_LINE.items():
            lead = User.objects.create(
                email=f"lead{level}@vendor.example",
                full_name=f"Lead of line {level}",
                role=Role.SUPERVISOR,
                organisation=vendor,
                password=unusable,
            )
            lines[level].lead = lead
            lines[level].save(update_fields=["lead"])
            lines[level].members.add(lead)
            for _position in range(count):
                number += 1
                agent = User.objects.create(
                    email=f"agent{number:02d}@vendor.example",
                    full_name=f"{first_names[number % 9]} {last_names[number % 7]} {number:02d}",
                    role=Role.AGENT,
                    organisation=vendor,
                    password=unusable,
                )
                lines[level].members.add(agent)
        policies = sla_install_examples()
        starts_on = (now - dt.timedelta(days=31 * (MONTHS + 1))).date().replace(day=1)
        for rank in range(1, customers + 1):
            policy = policies["always-request-classes" if rank % 2 else "moscow-categories"]
            organisation = Organisation.objects.create(
                name=f"Customer {rank:02d}",
                code=f"customer-{rank:02d}",
                kind=OrganisationKind.CUSTOMER,
                email_domains=f"customer{rank:02d}.example",
            )
            scheme = policy.targets.exclude(ticket_class=None).first().ticket_class.scheme
            Contract.objects.create(
                number=f"C{rank:02d}-{starts_on.year}",
                organisation=organisation,
                kind=ContractKind.PERSONALISED if rank % 2 else ContractKind.STANDARD,
                status=ContractStatus.ACTIVE,
                starts_on=starts_on,
                ends_on=dt.date(now.year + 1, 12, 31),
                included_lines=4 if rank % 2 else 3,
                classification_scheme=scheme,
                sla_policy=policy,
            )
            for name in ("ERP", "Portal"):
                service = Service.objects.create(
                    organisation=organisation, name=f"Customer {rank:02d} {name}"
                )
                if rank <= 20:
                    AlertSource.objects.create(
                        name=f"monitoring-{rank:02d}-{name.lower()}",
                        organisation=organisation,
                        service=service,
                    )
            for prefix, role in (("specialist", Role.SPECIALIST), ("user", Role.CUSTOMER_USER)):
                User.objects.create(
                    email=f"{prefix}@customer{rank:02d}.example",
                    full_name=f"Customer {rank:02d} {prefix}",
                    role=role,
                    organisation=organisation,
                    password=unusable,
                )


def _world_load(now: dt.datetime) -> _World:
    from sladesk.accounts.choices import OrganisationKind, Role
    from sladesk.accounts.models import Contract, SupportLine
    from sladesk.tickets.models import Severity, TicketClass

    contracts = []
    query = Contract.objects.filter(organisation__kind=OrganisationKind.CUSTOMER)
    for rank, contract in enumerate(
        query.select_related("sla_policy__calendar", "organisation").order_by("number"), 1
    ):
        policy = contract.sla_policy
        classes = list(TicketClass.objects.filter(scheme_id=contract.classification_scheme_id))
        weights = CLASS_WEIGHTS[contract.classification_scheme.code]
        severities: dict[int, list[Any]] = {}
        for severity in Severity.objects.filter(ticket_class__in=classes).order_by("level"):
            severities.setdefault(severity.ticket_class_id, []).append(severity)
        organisation = contract.organisation
        contracts.append(
            _Contract(
                rank=rank,
                contract_id=contract.pk,
                organisation_id=organisation.pk,
                policy_key="24/7" if policy.calendar.spec["timezone"] == "UTC" else "moscow",
                policy=policy,
                calendar=policy.calendar.engine(),
                targets=list(policy.targets.all()),
                classes=classes,
                class_weights=list(_cumulative([weights.get(row.code, 0) for row in classes])),
                severities=severities,
                service_ids=list(organisation.services.values_list("pk", flat=True)),
                requester_ids=list(organisation.members.values_list("pk", flat=True)),
            )
        )
    line_ids = dict(SupportLine.objects.values_list("level", "pk"))
    agents: dict[int, list[int]] = {}
    for line in SupportLine.objects.prefetch_related("members"):
        agents[line.level] = [
            member.pk for member in line.members.all() if member.role == Role.AGENT
        ]
    agents[4] = agents[3]  # line 4 is the external vendor: engineering follows the case
    return _World(
        now=now,
        contracts=contracts,
        contract_cumulative=list(_cumulative([1.0 / contract.rank for contract in contracts])),
        line_ids=line_ids,
        agents=agents,
    )


def _cumulative(weights: list[float]) -> Iterator[float]:
    total = 0.0
    for weight in weights:
        total += weight
        yield total


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    return bisect.bisect_right(cumulative, rng.random() * cumulative[-1])


# --- one ticket's story -------------------------------------------------------------------------


def _rules_for(world: _World, contract: _Contract, ticket: Any) -> tuple[Any, list[Any]]:
    from sladesk.sla.selectors import matching_target, rules_of

    key = (contract.policy.pk, ticket.ticket_class_id, ticket.severity_id, ticket.priority)
    found = world.rules.get(key)
    if found is None:
        target = matching_target(contract.targets, ticket)
        found = (target, rules_of(policy=contract.policy, target=target) if target else [])
        world.rules[key] = found
    return found


@dataclass
class _Draft:
    """What `matching_target` reads of a ticket."""

    ticket_class_id: int | None
    severity_id: int | None
    priority: str


def _hours(value: float) -> dt.timedelta:
    return dt.timedelta(seconds=value * 3600)


def _budget(rule: Any, start: dt.datetime, calendar: Any) -> dt.timedelta:
    if rule is None:
        return dt.timedelta(hours=1)
    if rule.cutoff is not None:
        return calendar.between(start, calendar.cutoff_due(start, rule.cutoff))
    return rule.budget


def _story(
    rng: random.Random,
    contract: _Contract,
    rules: dict[str, Any],
    registered: dt.datetime,
    wanted: str,
    lifetime: float | None,
    is_defect: bool,
    now: dt.datetime,
) -> tuple[list[tuple[str, dt.datetime]], dt.datetime | None, dt.datetime | None, int]:
    """Status spans (cut at `now`), first reply, reproduction and reopenings of a ticket.
    `wanted`: "ended" (its story runs its course) or the open status it must be in now;
    `lifetime` (seconds), when given, holds the resolution back until then."""
    calendar = contract.calendar
    spans: list[tuple[str, dt.datetime]] = [("new", registered)]
    if wanted == "new":
        return spans, None, None, 0
    response_budget = _budget(rules.get("response"), registered, calendar)
    late = rng.random() < LATE_RESPONSE_SHARE
    share = rng.uniform(1.05, 3.0) if late else rng.uniform(0.05, 0.9)
    replied = calendar.add(registered, max(response_budget * share, dt.timedelta(minutes=2)))
    if wanted == "ended" and rng.random() < CANCELLED_SHARE:
        cancelled = registered + dt.timedelta(minutes=rng.uniform(10, 2 * 24 * 60))
        first_reply = None
        if replied < cancelled and rng.random() < 0.5:
            first_reply = replied
            spans.append(("in_progress", replied))
        spans.append(("cancelled", cancelled))
        return _cut(spans, now), _until(first_reply, now), None, 0
    spans.append(("in_progress", replied))
    reproduced = calendar.add(replied, _hours(rng.uniform(1, 16))) if is_defect else None
    resolution = rules.get("resolution")
    start = reproduced if resolution is not None and resolution.starts_at_reproduction else None
    start = start or registered
    if resolution is not None:
        late = rng.random() < LATE_RESOLUTION_SHARE
        share = rng.uniform(1.02, 2.5) if late else rng.uniform(0.05, 0.95)
        elapsed = resolution.budget * share
    else:
        median, sigma, cap = UNTIMED_RESOLUTION[contract.policy_key]
        elapsed = _hours(min(rng.lognormvariate(math.log(median), sigma), cap))
    anchor = max(start, replied)
    rest = max(elapsed - calendar.between(start, anchor), dt.timedelta(minutes=1))
    if rng.random() < WAITED_SHARE:
        part = rng.uniform(0.2, 0.7)
        waiting = calendar.add(anchor, rest * part)
        back = waiting + _hours(min(rng.lognormvariate(math.log(20), 1.0), 60))
        spans += [("waiting_for_customer", waiting), ("in_progress", back)]
        resolved = calendar.add(back, rest * (1 - part))
    else:
        resolved = calendar.add(anchor, rest)
    held = registered + dt.timedelta(seconds=lifetime or 0)
    if held > resolved:
        if contract.policy.auto_close_working_days is None and rng.random() < HELD_WAITING:
            # Done, but the customer's confirmation or data keeps it open (the clock pauses);
            # where silence closes a ticket by itself, the time goes on the clock instead.
            spans += [("waiting_for_customer", resolved), ("in_progress", held)]
            held += dt.timedelta(minutes=rng.uniform(5, 120))
        resolved = held
    spans.append(("resolved", resolved))
    if rng.random() < REOPENED_SHARE:
        again = resolved + _hours(rng.uniform(2, 72))
        resolved = calendar.add(again, _hours(rng.lognormvariate(math.log(4), 0.8)))
        spans += [("in_progress", again), ("resolved", resolved)]
    spans.append(("closed", resolved + _hours(rng.uniform(1, 96))))
    spans = _cut(spans, now)
    if wanted != "ended":
        # An open ticket is still being worked on: its resolution lies after now.
        while spans[-1][0] in ("resolved", "closed", "waiting_for_customer") and len(spans) > 2:
            spans.pop()
        if wanted == "waiting_for_customer" and spans[-1][0] == "in_progress":
            since = spans[-1][1]
            moment = since + (now - since) * rng.uniform(0.3, 0.95)
            spans.append(("waiting_for_customer", max(moment, now - dt.timedelta(days=2))))
    reopened = sum(
        1
        for before, after in itertools.pairwise(spans)
        if (before[0], after[0]) == ("resolved", "in_progress")
    )
    return spans, _until(replied, now), _until(reproduced, now), reopened


def _cut(spans: list[tuple[str, dt.datetime]], now: dt.datetime) -> list[tuple[str, dt.datetime]]:
    return [span for span in spans if span[1] <= now]


def _until(moment: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    return moment if moment is not None and moment <= now else None


def _registrations(
    rng: random.Random, world: _World, tickets: int
) -> Iterator[tuple[float, str, float | None]]:
    """Registration instants (epoch seconds, ascending), on working hours and days mostly and
    growing by a third over the period; for each, the state its ticket must be in now
    ("ended": its story runs its course, or an open status) and, for the long-lived tail,
    its lifetime in seconds (open now if that is longer than its age)."""
    end = world.now.timestamp()
    span = end - (world.now - dt.timedelta(days=round(MONTHS * 30.44))).timestamp()
    moments: list[float] = []
    while len(moments) < tickets:
        moment = end - span * rng.random()
        local = dt.datetime.fromtimestamp(moment + 3 * 3600, dt.UTC)  # Moscow, no DST
        chance = (0.35 if local.weekday() >= 5 else 1.0) * (
            1.0 if 9 <= local.hour < 19 else 0.4 if 7 <= local.hour < 22 else 0.12
        )
        if rng.random() < chance * (0.75 + 0.25 * (1 - (end - moment) / span)):
            moments.append(moment)
    moments.sort()
    for moment in moments:
        if rng.random() >= TAIL_SHARE:
            yield moment, "ended", None
            continue
        lifetime = rng.expovariate(1 / (TAIL_DAYS * 86400))
        age = end - moment
        if lifetime <= age:
            yield moment, "ended", lifetime
            continue
        new = 0.5 if age < 12 * 3600 else 0.1 if age < 72 * 3600 else 0.02
        if rng.random() < new:
            yield moment, "new", lifetime
        else:
            status = "in_progress" if rng.random() < 0.7 else "waiting_for_customer"
            yield moment, status, lifetime


TICKET_COLUMNS = (
    "id", "number", "outside_contract", "channel", "contact", "title", "description", "impact",
    "urgency", "priority", "status", "external_reference", "registered_at", "first_response_at",
    "reproduced_at", "resolved_at", "closed_at", "updated_at", "assignee_id", "contract_id",
    "line_id", "organisation_id", "parent_id", "requester_id", "service_id", "severity_id",
    "ticket_class_id", "sla_next_check_at", "sla_next_due_at", "sla_resolution_due_at",
    "sla_response_due_at", "sla_state", "attention_at", "attention_reason", "release_id",
)  # fmt: skip
FIGURE_COLUMNS = (
    "ticket_id", "number", "title", "registered_at", "resolved_at", "ended_at", "status",
    "channel", "priority", "response_state", "response_due_at", "response_met_at",
    "response_seconds", "resolution_state", "resolution_due_at", "resolution_met_at",
    "resolution_seconds", "reopened", "escalated", "first_line", "with_article", "refreshed_at",
    "contract_id", "line_id", "organisation_id", "service_id", "severity_id", "target_id",
    "ticket_class_id",
)  # fmt: skip


def _clock_columns(clock: Any) -> tuple[Any, ...]:
    """As `reports.facts` stores a clock: state, due, met, business seconds once met."""
    if clock is None:
        return ("", None, None, None)
    seconds = int(clock.elapsed.total_seconds()) if clock.met_at is not None else None
    return (clock.state.value, clock.due_at, clock.met_at, seconds)


def _rows(world: _World, tickets: int, seed: int) -> Iterator[tuple[tuple[Any, ...], ...]]:
    """(ticket row, figures row) per ticket, in registration order."""
    from django.conf import settings

    from sladesk.sla.clocks import (
        STOP_STATUSES,
        ClockKind,
        StatusSpan,
        Timeline,
        auto_close_reminder_at,
    )
    from sladesk.sla.clocks import compute as clock_compute
    from sladesk.sla.selectors import TicketSla
    from sladesk.sla.services import _columns as sla_columns  # the columns `sla_recompute` writes

    rng = random.Random(seed)
    now = world.now
    prefix = settings.SLADESK_TICKET_PREFIX
    numbers: dict[int, int] = {}
    line_levels = list(LINE_WEIGHTS)
    line_cumulative = list(_cumulative(list(LINE_WEIGHTS.values())))
    tail_line_levels = list(TAIL_LINE_WEIGHTS)
    tail_line_cumulative = list(_cumulative(list(TAIL_LINE_WEIGHTS.values())))
    channels = list(CHANNEL_WEIGHTS)
    channel_cumulative = list(_cumulative(list(CHANNEL_WEIGHTS.values())))
    severity_cumulative = list(_cumulative(list(SEVERITY_WEIGHTS.values())))
    levels = ["high", "medium", "low", ""]
    for ticket_id, (moment, wanted, lifetime) in enumerate(_registrations(rng, world, tickets), 1):
        registered = dt.datetime.fromtimestamp(round(moment), dt.UTC)
        contract = world.contracts[_pick(rng, world.contract_cumulative)]
        ticket_class = None
        if not (wanted == "new" and rng.random() < 0.4):  # line 1 classifies on first look
            ticket_class = contract.classes[_pick(rng, contract.class_weights)]
        severity = None
        if ticket_class is not None and ticket_class.pk in contract.severities:
            severity = contract.severities[ticket_class.pk][_pick(rng, severity_cumulative)]
        priority = ticket_class.default_priority if ticket_class is not None else "medium"
        shift = rng.random()
        if shift < 0.3:
            step = 1 if shift < 0.2 else -1
            priority = PRIORITIES[min(3, max(0, PRIORITIES.index(priority) + step))]
        draft = _Draft(
            ticket_class.pk if ticket_class else None, severity.pk if severity else None, priority
        )
        target, rules = _rules_for(world, contract, draft)
        by_kind = {rule.kind.value: rule for rule in rules}
        is_defect = ticket_class is not None and ticket_class.code == "C"
        spans, replied, reproduced, reopened = _story(
            rng, contract, by_kind, registered, wanted, lifetime, is_defect, now
        )
        status = spans[-1][0]
        resolved_at = next((at for kind, at in reversed(spans) if kind == "resolved"), None)
        closed_at = spans[-1][1] if status == "closed" else None
        timeline = Timeline(
            registered,
            [StatusSpan(kind, at) for kind, at in spans],
            replied,
            reproduced,
            (replied,) if replied is not None else (),
        )
        clocks = [clock_compute(rule, timeline, contract.calendar, now) for rule in rules]
        recorded = set()
        for clock in clocks:
            recorded.update(
                (clock.kind.value, "warning", percent, clock.cycle)
                for percent, instant in clock.warnings.items()
                if instant <= now
            )
            if clock.due_at is not None and clock.due_at <= now:
                recorded.add((clock.kind.value, "breach", 0, clock.cycle))
        reminder = auto_close_reminder_at(
            timeline, contract.calendar, contract.policy.auto_close_working_days
        )
        if reminder is not None and reminder[0] <= now:
            recorded.add(("", "close_reminder", 0, reminder[1]))
        sla = TicketSla(contract.policy, target, contract.calendar, timeline, clocks)
        columns = sla_columns(sla, recorded, now) if target is not None else {}
        if columns.get("sla_next_check_at") is not None and columns["sla_next_check_at"] <= now:
            columns["sla_next_check_at"] = None  # the sweep has done it: nothing left now
        by_clock = {clock.kind: clock for clock in clocks}
        if status == "new":
            level = 1
        elif lifetime is not None:
            level = tail_line_levels[_pick(rng, tail_line_cumulative)]
        else:
            level = line_levels[_pick(rng, line_cumulative)]
        if status == "new" and rng.random() < 0.05:
            level = 0
        assignee = None
        if level and (status != "new" or rng.random() < 0.1):
            assignee = rng.choice(world.agents[level])
        channel = channels[_pick(rng, channel_cumulative)]
        requester = None if channel in ("monitoring", "api") else rng.choice(contract.requester_ids)
        year = registered.astimezone(dt.timezone(dt.timedelta(hours=3))).year
        numbers[year] = numbers.get(year, 0) + 1
        number = f"{prefix}-{year}-{numbers[year]:06d}"
        title = TITLES[ticket_id % len(TITLES)] if rng.random() < 0.7 else rng.choice(TITLES)
        description = " ".join(rng.sample(SENTENCES, 2))
        ended_at = None
        for kind, at in spans:
            ended_at = (ended_at or at) if kind in STOP_STATUSES else None
        escalated = level >= 2
        line_id = world.line_ids[level]
        service_id = rng.choice(contract.service_ids)
        yield (
            (
                ticket_id, number, False, channel, "", title, description, rng.choice(levels),
                rng.choice(levels), priority, status, f"EXT-{ticket_id}" if level == 4 else "",
                registered, replied, reproduced, resolved_at, closed_at, spans[-1][1], assignee,
                contract.contract_id, line_id, contract.organisation_id, None, requester,
                service_id, draft.severity_id, draft.ticket_class_id,
                columns.get("sla_next_check_at"), columns.get("sla_next_due_at"),
                columns.get("sla_resolution_due_at"), columns.get("sla_response_due_at"),
                columns.get("sla_state", ""), None, "", None,
            ),
            (
                ticket_id, number, title, registered, resolved_at, ended_at, status, channel,
                priority, *_clock_columns(by_clock.get(ClockKind.RESPONSE)),
                *_clock_columns(by_clock.get(ClockKind.RESOLUTION)), reopened, escalated,
                resolved_at is not None and not escalated and level <= 1,
                level == 0 or rng.random() < 0.1, now, contract.contract_id, line_id,
                contract.organisation_id, service_id, draft.severity_id,
                target.pk if target is not None else None, draft.ticket_class_id,
            ),
        )  # fmt: skip


def _copy_tickets(world: _World, tickets: int, seed: int, progress: bool) -> int:
    """Stream both tables at once over two connections; returns the open tickets."""
    from django.db import connection

    figures_connection = _raw_connection()
    opened = 0
    started = time.perf_counter()
    with connection.cursor() as cursor, figures_connection.cursor() as figures_cursor:
        cursor.execute("SET session_replication_role = replica")  # consistent by construction
        figures_cursor.execute("SET session_replication_role = replica")
        ticket_sql = f"COPY tickets_ticket ({', '.join(TICKET_COLUMNS)}) FROM STDIN"
        figure_sql = f"COPY reports_ticketfigures ({', '.join(FIGURE_COLUMNS)}) FROM STDIN"
        with cursor.copy(ticket_sql) as ticket_copy, figures_cursor.copy(figure_sql) as figure_copy:
            for count, (ticket, figures) in enumerate(_rows(world, tickets, seed), 1):
                ticket_copy.write_row(ticket)
                figure_copy.write_row(figures)
                opened += ticket[10] in ("new", "in_progress", "waiting_for_customer")
                if progress and count % 100_000 == 0:
                    print(f"  {count:,} tickets, {time.perf_counter() - started:.0f} s", flush=True)
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('tickets_ticket', 'id'), "
            "(SELECT max(id) FROM tickets_ticket))"
        )
    figures_connection.commit()
    figures_connection.close()
    return opened


def _alerts(world: _World, seed: int) -> int:
    """Alert episodes of the monitored services (about six a month each, minutes to hours
    long): a firing and a resolved notification per episode."""
    from sladesk.channels.models import AlertSource, InboundAlert

    rng = random.Random(seed + 1)
    begin = world.now - dt.timedelta(days=round(MONTHS * 30.44))
    rows = []
    for source in AlertSource.objects.all():
        moment = begin
        while True:
            moment += dt.timedelta(hours=rng.expovariate(1 / 120))
            if moment >= world.now:
                break
            fingerprint = hashlib.sha256(f"{source.pk}-{moment}".encode()).hexdigest()[:16]
            ends = moment + dt.timedelta(minutes=min(rng.lognormvariate(math.log(20), 1.2), 2880))
            for status, received in (("firing", moment), ("resolved", ends)):
                if received > world.now:
                    continue
                payload = {
                    "status": status,
                    "fingerprint": fingerprint,
                    "labels": {"alertname": "ServiceDown", "service": source.name},
                    "startsAt": moment.isoformat(),
                    "endsAt": ends.isoformat() if status == "resolved" else None,
                }
                rows.append(
                    InboundAlert(
                        source=source,
                        dedup_key=hashlib.sha256(f"{fingerprint}{status}".encode()).hexdigest(),
                        fingerprint=fingerprint,
                        alert_status=status,
                        title="ServiceDown",
                        payload=payload,
                        starts_at=moment,
                        status="processed",
                        received_at=received + dt.timedelta(seconds=30),
                        processed_at=received + dt.timedelta(seconds=31),
                    )
                )
    InboundAlert.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def seed(
    *,
    tickets: int = 1_000_000,
    customers: int = CUSTOMERS,
    seed: int = 2026,
    now: dt.datetime | None = None,
    progress: bool = True,
) -> Seeded:
    """Migrate the configured database and fill it (see the module docstring); a database
    already seeded with `tickets` is left as it is, any other non-empty one is refused."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from sladesk.channels.models import InboundAlert
    from sladesk.reports.models import StaleTicket

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    state = _complete(tickets)
    if state is False:
        raise SystemExit(
            f"{connection.settings_dict['NAME']} holds another or an unfinished load:"
            " rerun with --fresh"
        )
    if state is True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM tickets_ticket WHERE status IN "
                "('new', 'in_progress', 'waiting_for_customer')"
            )
            (opened,) = cursor.fetchone()
            cursor.execute("SELECT obj_description('tickets_ticket'::regclass, 'pg_class')")
            (note,) = cursor.fetchone()
        made = json.loads(note.removeprefix(MARK))
        return Seeded(
            tickets,
            opened,
            tickets,
            InboundAlert.objects.count(),
            made["seconds"],
            False,
            dt.datetime.fromisoformat(made["at"]),
        )
    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    _world_create(now, customers)
    world = _world_load(now)
    with connection.cursor() as cursor:
        dropped = {
            table: _secondary_indexes(cursor, table)
            for table in ("tickets_ticket", "reports_ticketfigures")
        }
        with transaction.atomic():
            for indexes in dropped.values():
                for name, _definition in indexes:
                    cursor.execute(f'DROP INDEX "{name}"')
    if progress:
        print(f"world made; copying {tickets:,} tickets and their figures", flush=True)
    with transaction.atomic():
        opened = _copy_tickets(world, tickets, seed, progress)
    alerts = _alerts(world, seed)
    if progress:
        print(f"copied in {time.perf_counter() - started:.0f} s; building indexes", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for indexes in dropped.values():
            for _name, definition in indexes:
                cursor.execute(definition)
        cursor.execute("RESET maintenance_work_mem")
        # Visibility map and statistics as autovacuum would leave them in a running desk.
        cursor.execute("VACUUM (ANALYZE) tickets_ticket")
        cursor.execute("VACUUM (ANALYZE) reports_ticketfigures")
        cursor.execute("ANALYZE")
    if StaleTicket.objects.exists():
        raise SystemExit("tickets were marked stale while seeding: the reports would recount them")
    seconds = time.perf_counter() - started
    made = json.dumps({"tickets": tickets, "seconds": round(seconds), "at": now.isoformat()})
    with connection.cursor() as cursor:
        # Written last: the mark of a finished load (JSON of digits and ISO dates, no quote).
        cursor.execute(f"COMMENT ON TABLE tickets_ticket IS '{MARK}{made}'")
    if progress:
        print(f"seeded in {seconds:.0f} s", flush=True)
    return Seeded(tickets, opened, tickets, alerts, seconds, True, now)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=CUSTOMERS)
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a database of its own")
    parser.add_argument("--fresh", action="store_true", help="drop and create the database")
    parser.add_argument("--seed", type=int, default=2026)
    arguments = parser.parse_args()
    database_create(arguments.database_url, fresh=arguments.fresh)
    configure(arguments.database_url)
    done = seed(tickets=arguments.tickets, customers=arguments.customers, seed=arguments.seed)
    verb = "seeded" if done.made_now else "already seeded"
    print(
        f"{verb}: {done.tickets:,} tickets ({done.open:,} open), {done.figures:,} figures rows,"
        f" {done.alerts:,} alerts" + (f" in {done.seconds:.0f} s" if done.made_now else "")
    )


if __name__ == "__main__":
    main()
