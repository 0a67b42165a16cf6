"""Demo data for `sladesk quickstart`: a vendor with lines 1-3 and an external line 4,
customers Alpha (categories A-E) and Beta (request classes 1-6), the demo logins and a few
hundred tickets in every state, made through the real services on a shifted clock."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from sladesk.accounts.choices import ContractKind, ContractStatus, OrganisationKind, Role
from sladesk.accounts.models import Contract, Organisation, Service, SupportLine, User
from sladesk.core import clock
from sladesk.core.bootstrap import vendor_ensure
from sladesk.knowledge.demo import demo_knowledge_load
from sladesk.releases.demo import demo_releases_load
from sladesk.sla.services import sla_install_examples
from sladesk.tickets import services
from sladesk.tickets.choices import Channel, Level
from sladesk.tickets.models import Severity, Ticket, TicketClass
from sladesk.tickets.services.schemes import scheme_install_builtin

ADMIN_EMAIL = "admin@vendor.example"
VENDOR_PEOPLE = [
    (ADMIN_EMAIL, "Anna Admin", Role.ADMINISTRATOR, []),
    ("lead@vendor.example", "Leonid Lead", Role.SUPERVISOR, [1, 2, 3]),
    ("agent1@vendor.example", "Olga First-Line", Role.AGENT, [1]),
    ("agent2@vendor.example", "Pavel Second-Line", Role.AGENT, [2]),
    ("agent3@vendor.example", "Jana Engineer", Role.AGENT, [3]),
]
LINES = [
    (0, "Self-service", False),
    (1, "First line", False),
    (2, "Second line", False),
    (3, "Engineering", False),
    (4, "External vendors", True),
]
CUSTOMERS = [
    (
        "alpha",
        "Alpha Trading",
        "categories-ae",
        "moscow-categories",
        ContractKind.STANDARD,
        3,
        ["Alpha CRM", "Alpha Web Shop"],
    ),
    (
        "beta",
        "Beta Logistics",
        "request-classes",
        "always-request-classes",
        ContractKind.PERSONALISED,
        4,
        ["Beta ERP", "Beta Portal"],
    ),
]
TITLES = [
    "Orders page returns an error",
    "Report export is very slow",
    "Cannot log in after update",
    "Invoice totals are wrong",
    "Server unavailable since the morning",
    "How do I add a user?",
    "Nightly import failed",
    "Please add an export to Excel",
    "Search finds nothing",
    "Mail notifications stopped",
    "Certificate expires soon",
    "Dashboard shows stale data",
]
STATES = ["new", "in_progress", "waiting_for_customer", "resolved", "closed", "cancelled"]
STATE_WEIGHTS = [2, 4, 2, 2, 5, 1]
OPEN_STATES = frozenset({"new", "in_progress", "waiting_for_customer"})
TICKET_COUNT = 300


def demo_load(*, password: str, ticket_count: int = TICKET_COUNT, seed: int = 2026) -> None:
    """Load the demo once: its people, then its tickets."""
    demo_people_load(password=password)
    demo_tickets_load(ticket_count=ticket_count, seed=seed)


def demo_people_load(*, password: str) -> None:
    """The vendor, the customers and the demo logins; on a database that has them, only
    reset the demo passwords. Fast: quickstart serves right after it."""
    hashed = make_password(password)  # hash once: nine logins share one password
    with transaction.atomic():
        if Organisation.objects.filter(code="alpha").exists():
            User.objects.filter(email__endswith=".example").update(password=hashed)
            return
        people = _organisations_and_people(hashed)
        demo_knowledge_load(author=people["agent1@vendor.example"])


def demo_tickets_load(*, ticket_count: int = TICKET_COUNT, seed: int = 2026) -> int:
    """The demo tickets, each through the real services, once (none if the demo customers
    have tickets already). One transaction per ticket, so that a server using the database
    meanwhile waits for a moment at most. Returns how many were made."""
    if Ticket.objects.filter(organisation__code__in=["alpha", "beta"]).exists():
        return 0
    people = {user.email: user for user in User.objects.filter(email__endswith=".example")}
    generator = random.Random(seed)  # noqa: S311  # reproducible demo data, not secrets
    start = timezone.now() - dt.timedelta(days=90)
    moments = sorted(
        start + dt.timedelta(seconds=generator.randrange(88 * 86400)) for _ in range(ticket_count)
    )
    for moment in moments:
        with transaction.atomic():
            _ticket_story(generator, people, moment)
    demo_releases_load(author=people["agent1@vendor.example"])
    return len(moments)


def _organisations_and_people(hashed: str) -> dict[str, User]:
    vendor = vendor_ensure(name="Vendor Support", code="vendor")
    vendor.email_domains = "vendor.example"
    vendor.save()
    lines = {
        level: SupportLine.objects.create(level=level, name=name, is_external=external)
        for level, name, external in LINES
    }
    people: dict[str, User] = {}
    for email, name, role, levels in VENDOR_PEOPLE:
        user, _created = User.objects.update_or_create(
            email=email,
            defaults={"full_name": name, "role": role, "organisation": vendor, "password": hashed},
        )
        for level in levels:
            lines[level].members.add(user)
        people[email] = user
    policies = sla_install_examples()
    lead = people["lead@vendor.example"]
    SupportLine.objects.filter(level__in=[1, 2, 3]).update(lead=lead)
    today = timezone.localdate()
    for code, name, scheme_code, policy_code, kind, included_lines, service_names in CUSTOMERS:
        organisation = Organisation.objects.create(
            name=name, code=code, kind=OrganisationKind.CUSTOMER, email_domains=f"{code}.example"
        )
        Contract.objects.create(
            number=f"{code.upper()}-{today.year}",
            organisation=organisation,
            kind=kind,
            status=ContractStatus.ACTIVE,
            starts_on=today.replace(year=today.year - 1, month=1, day=1),
            ends_on=today.replace(year=today.year + 1, month=12, day=31),
            included_lines=included_lines,
            classification_scheme=scheme_install_builtin(code=scheme_code),
            sla_policy=policies[policy_code],
        )
        for service_name in service_names:
            Service.objects.create(organisation=organisation, name=service_name)
        for prefix, role, label in (
            ("specialist", Role.SPECIALIST, "Specialist"),
            ("user", Role.CUSTOMER_USER, "User"),
        ):
            email = f"{prefix}@{code}.example"
            people[email] = User.objects.create(
                email=email,
                full_name=f"{name} {label}",
                role=role,
                organisation=organisation,
                password=hashed,
                language="ru" if code == "alpha" else "en",
            )
    return people


def _ticket_story(generator: random.Random, people: dict[str, User], moment: dt.datetime) -> None:
    """Register one ticket at `moment` and walk it towards a randomly chosen final state."""
    code = generator.choice(["alpha", "beta"])
    organisation = Organisation.objects.get(code=code)
    requester = people[generator.choice([f"specialist@{code}.example", f"user@{code}.example"])]
    agent1, agent2 = people["agent1@vendor.example"], people["agent2@vendor.example"]
    channel = generator.choice([Channel.PORTAL, Channel.PORTAL, Channel.EMAIL, Channel.PHONE])
    classes = list(TicketClass.objects.filter(scheme__contracts__organisation=organisation))
    ticket_class = generator.choice(classes)
    severities = [s for s in Severity.objects.filter(ticket_class=ticket_class) if s.level < 4]
    registration = services.TicketRegistration(
        title=generator.choice(TITLES),
        description="Steps to reproduce, expected and actual result are described here.",
        channel=channel,
        organisation_id=organisation.pk,
        requester_id=requester.pk,
        service_id=generator.choice(list(organisation.services.all())).pk,
        ticket_class_id=ticket_class.pk,
        severity_id=generator.choice(severities).pk if severities else None,
        impact=generator.choice(Level.values),
        urgency=generator.choice(Level.values),
    )
    step = dt.timedelta(minutes=generator.randrange(5, 240))
    target = generator.choices(STATES, STATE_WEIGHTS)[0]
    if target in OPEN_STATES:
        # Open tickets are recent, so the demo queue shows clocks still running.
        moment = timezone.now() - dt.timedelta(minutes=generator.randrange(30, 36 * 60))
        step = dt.timedelta(minutes=generator.randrange(2, 20))
    with clock.at(moment):
        actor = agent1 if channel == Channel.PHONE else requester
        ticket = services.ticket_register(actor=actor, data=registration)
    if target == "new":
        return
    moment += step
    if target == "cancelled":
        with clock.at(moment):
            services.ticket_cancel(actor=requester, ticket_id=ticket.pk, reason="Registered twice.")
        return
    with clock.at(moment):
        services.ticket_assign(actor=agent1, ticket_id=ticket.pk, assignee_id=agent1.pk)
        services.ticket_comment(actor=agent1, ticket_id=ticket.pk, body="We are looking into it.")
    worker = agent1
    if generator.random() < 0.4:
        moment += step
        line2 = SupportLine.objects.get(level=2)
        with clock.at(moment):
            services.ticket_escalate(
                actor=agent1, ticket_id=ticket.pk, line_id=line2.pk, reason="Needs log analysis."
            )
            services.ticket_assign(actor=agent2, ticket_id=ticket.pk, assignee_id=agent2.pk)
            services.ticket_mark_reproduced(
                actor=agent2, ticket_id=ticket.pk, note="Reproduced on the test stand."
            )
        worker = agent2
    if target == "in_progress":
        return
    moment += step
    with clock.at(moment):
        services.ticket_request_info(
            actor=worker, ticket_id=ticket.pk, question="Please send the application log."
        )
    if target == "waiting_for_customer":
        return
    moment += step
    with clock.at(moment):
        services.ticket_comment(actor=requester, ticket_id=ticket.pk, body="The log is attached.")
    moment += step
    with clock.at(moment):
        services.ticket_resolve(
            actor=worker, ticket_id=ticket.pk, resolution="Fixed; please check."
        )
    if target == "resolved":
        return
    moment += step
    with clock.at(moment):
        services.ticket_close(actor=requester, ticket_id=ticket.pk, comment="Confirmed, thank you.")


def demo_ticket_count() -> int:
    return Ticket.objects.count()
