"""Shared scaffolding: a small but complete world of vendor, lines and two customers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from sladesk.accounts.choices import OrganisationKind, Role
from sladesk.accounts.models import Contract, Organisation, Service, SupportLine, User
from sladesk.reports.models import MonthlyReport
from sladesk.tickets import services
from sladesk.tickets.models import ClassificationScheme, Ticket
from sladesk.tickets.services.schemes import scheme_install_builtin
from tests.factories import (
    PASSWORD,
    ContractFactory,
    OrganisationFactory,
    ServiceFactory,
    UserFactory,
)


def pytest_sessionstart(session: pytest.Session) -> None:
    """An interrupted run can leave the SQLite test database's WAL files behind without the
    database; a new database beside them fails with "disk I/O error", so clear them."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        name = Path(database["TEST"]["NAME"])
        if not name.exists():
            for suffix in ("-wal", "-shm"):
                Path(f"{name}{suffix}").unlink(missing_ok=True)


@dataclass
class Customer:
    organisation: Organisation
    contract: Contract
    specialist: User
    user: User
    service: Service
    scheme: ClassificationScheme


@dataclass
class World:
    vendor: Organisation
    admin: User
    lead: User
    agent1: User
    agent2: User
    agent3: User
    lines: dict[int, SupportLine]
    alpha: Customer
    beta: Customer

    def ticket(self, customer: Customer, **fields: object) -> Ticket:
        """A ticket registered by the customer's end user through the portal."""
        data = services.TicketRegistration(
            title=str(fields.pop("title", "Something is broken")),
            service_id=customer.service.pk,
            **fields,  # type: ignore[arg-type]
        )
        return services.ticket_register(actor=customer.user, data=data)


def _customer(code: str, scheme_code: str, included_lines: int) -> Customer:
    organisation = OrganisationFactory(
        name=code.title(), code=code, email_domains=f"{code}.example"
    )
    scheme = scheme_install_builtin(code=scheme_code)
    return Customer(
        organisation=organisation,
        contract=ContractFactory(
            organisation=organisation, classification_scheme=scheme, included_lines=included_lines
        ),
        specialist=UserFactory(
            email=f"specialist@{code}.example", organisation=organisation, role=Role.SPECIALIST
        ),
        user=UserFactory(
            email=f"user@{code}.example", organisation=organisation, role=Role.CUSTOMER_USER
        ),
        service=ServiceFactory(organisation=organisation, name=f"{code} app"),
        scheme=scheme,
    )


@pytest.fixture
def world(db: None) -> World:
    vendor = OrganisationFactory(name="Vendor", code="vendor", kind=OrganisationKind.VENDOR)
    lines = {
        level: SupportLine.objects.create(level=level, name=f"Line {level}", is_external=level == 4)
        for level in range(5)
    }

    def staff(email: str, role: str, levels: list[int]) -> User:
        user = UserFactory(email=email, organisation=vendor, role=role)
        for level in levels:
            lines[level].members.add(user)
        return user

    return World(
        vendor=vendor,
        admin=staff("admin@vendor.example", Role.ADMINISTRATOR, []),
        lead=staff("lead@vendor.example", Role.SUPERVISOR, [1, 2, 3]),
        agent1=staff("agent1@vendor.example", Role.AGENT, [1]),
        agent2=staff("agent2@vendor.example", Role.AGENT, [2]),
        agent3=staff("agent3@vendor.example", Role.AGENT, [3]),
        lines=lines,
        alpha=_customer("alpha", "categories-ae", 3),
        beta=_customer("beta", "request-classes", 4),
    )


def signed_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.email, password=PASSWORD)
    return client


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: object, tmp_path: object) -> None:
    """Uploaded files in a fresh folder; a fast password hash (the real one costs ~0.3 s);
    no rate-limit counts left by an earlier test; the desk's default language, not the one
    an earlier test's request (a Russian-speaking user's) left active in this thread."""
    from django.core.cache import cache
    from django.utils import translation

    cache.clear()
    translation.deactivate()
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined,operator]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


FOREIGN_SECRET = "Beta-only secret outage"


@pytest.fixture
def foreign(world: World) -> dict[str, int]:
    """Ids of Beta's objects that Alpha's people must never reach: a ticket with a reply, an
    internal note and attachments, Beta's organisation and contract, an SLA policy, a webhook
    of Beta's with a delivery, Beta's alert source, a problem behind Beta's ticket."""
    from sladesk.sla.services import sla_install_examples
    from sladesk.tickets.models import Attachment, ExternalCase

    ticket = world.ticket(world.beta, title=FOREIGN_SECRET)
    services.ticket_comment(
        actor=world.beta.user,
        ticket_id=ticket.pk,
        body="beta reply",
        uploads=[services.Upload("beta.txt", b"beta data")],
    )
    services.ticket_comment(
        actor=world.agent1, ticket_id=ticket.pk, body="beta note", internal=True
    )
    services.ticket_attach(
        actor=world.beta.user, ticket_id=ticket.pk, uploads=[services.Upload("b.log", b"x")]
    )
    from sladesk.channels.models import AlertSource
    from sladesk.knowledge.services import article_attach
    from sladesk.notifications.models import Notification
    from sladesk.problems.services import ProblemRegistration, problem_register
    from sladesk.webhooks.models import WebhookSubscription

    webhook = WebhookSubscription.objects.create(
        name="beta crm",
        url="https://crm.beta.example/hook",
        events=["ticket.commented"],
        organisation=world.beta.organisation,
    )
    services.ticket_comment(actor=world.beta.user, ticket_id=ticket.pk, body="after the hook")
    delivery = Notification.objects.filter(recipient=f"webhook:{webhook.pk}").first()
    attachment = Attachment.objects.filter(ticket=ticket).order_by("pk").first()
    assert delivery is not None
    comment = ticket.comments.order_by("pk").first()
    assert attachment is not None
    assert comment is not None
    article = _beta_article(world)
    return {
        "ticket_id": ticket.pk,
        "attachment_id": attachment.pk,
        "comment_id": comment.pk,
        "organisation_id": world.beta.organisation.pk,
        "contract_id": world.beta.contract.pk,
        "policy_id": sla_install_examples()["always-request-classes"].pk,
        "webhook_id": webhook.pk,
        "delivery_id": delivery.pk,
        "source_id": AlertSource.objects.create(
            name="beta monitoring", organisation=world.beta.organisation
        ).pk,
        "case_id": ExternalCase.objects.create(ticket=ticket, vendor="DB Corp").pk,
        # Beta's specialist's notice of Beta's ticket: nobody else may read or mark it.
        "notification_id": Notification.objects.filter(user=world.beta.specialist, channel="desk")
        .values_list("pk", flat=True)
        .first(),
        "problem_id": problem_register(
            actor=world.agent1,
            data=ProblemRegistration(title=FOREIGN_SECRET),
            ticket_ids=[ticket.pk],
        ).pk,
        # Beta's own article (published, for Beta's people only) and its file: secrets to
        # everyone else.
        "article_id": article.pk,
        "article_file_id": article_attach(
            actor=world.agent1,
            article_id=article.pk,
            upload=services.Upload("beta.png", PNG),
        ).pk,
        # Beta's personal release, named and carrying Beta's ticket.
        "release_id": _beta_release(world, ticket).pk,
        "report_id": MonthlyReport.objects.create(
            contract=world.beta.contract, period="2026-10", status="mailed", files={"en": "x.pdf"}
        ).pk,
    }


def _beta_release(world: World, ticket: Ticket) -> Any:
    import datetime as dt

    from sladesk.releases.services import ReleaseDraft, release_add_ticket, release_create

    release = release_create(
        actor=world.agent1,
        draft=ReleaseDraft(
            service_id=world.beta.service.pk,
            version="7.7",
            name=FOREIGN_SECRET,
            planned_on=dt.datetime.now(tz=dt.UTC).date() + dt.timedelta(days=60),
            notes={"en": FOREIGN_SECRET},
            organisation_id=world.beta.organisation.pk,
        ),
    )
    release_add_ticket(actor=world.agent1, release_id=release.pk, ticket_id=ticket.pk)
    return release


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _beta_article(world: World) -> Any:
    from sladesk.knowledge.services import ArticleDraft, article_create

    return article_create(
        actor=world.agent1,
        draft=ArticleDraft(
            title=FOREIGN_SECRET,
            body="beta article",
            status="published",
            audience="organisation",
            organisation_id=world.beta.organisation.pk,
        ),
    )
