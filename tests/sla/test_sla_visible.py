"""SLA as people see it: due times on the ticket page, queue filters, compliance figures."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.test import Client
from django.urls import reverse

from sladesk.accounts.services import api_token_create
from sladesk.sla.services import sla_install_examples, sla_sweep
from sladesk.tickets import services
from sladesk.tickets.models import TicketClass
from tests.conftest import World, signed_in

REGISTERED = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)


def beta_tickets(world: World) -> list[int]:
    world.beta.contract.sla_policy = sla_install_examples()["always-request-classes"]
    world.beta.contract.save()
    ids = []
    for code in ("1", "5"):
        ticket_class = TicketClass.objects.get(scheme=world.beta.scheme, code=code)
        with time_machine.travel(REGISTERED, tick=False):
            ids.append(
                world.ticket(world.beta, title=f"Class {code}", ticket_class_id=ticket_class.pk).pk
            )
    return ids


def test_the_ticket_page_shows_due_times_in_the_viewers_zone(world: World) -> None:
    urgent, _calm = beta_tickets(world)
    world.beta.user.time_zone = "Asia/Tokyo"
    world.beta.user.save()
    with time_machine.travel(REGISTERED + dt.timedelta(minutes=10), tick=False):
        page = (
            signed_in(world.beta.user)
            .get(reverse("web:ticket_detail", args=[urgent]))
            .content.decode()
        )
    assert "First response" in page
    assert "Running" in page
    assert "17:30" in page  # 08:30 UTC is 17:30 in Tokyo


def test_the_queue_filters_breached_tickets_and_sorts_by_next_deadline(world: World) -> None:
    urgent, calm = beta_tickets(world)
    client = signed_in(world.agent1)
    with time_machine.travel(REGISTERED + dt.timedelta(hours=1), tick=False):
        sla_sweep()
        breached = client.get(reverse("web:ticket_list"), {"sla": "breached"}).content.decode()
        everything = client.get(reverse("web:ticket_list")).content.decode()
    assert "Class 1" in breached
    assert "Class 5" not in breached
    assert everything.index("Class 1") < everything.index("Class 5")
    assert urgent != calm


def test_compliance_figures_per_contract(world: World) -> None:
    urgent, calm = beta_tickets(world)
    with time_machine.travel(REGISTERED + dt.timedelta(minutes=10), tick=False):
        services.ticket_comment(actor=world.agent1, ticket_id=calm, body="On it")
    with time_machine.travel(REGISTERED + dt.timedelta(hours=2), tick=False):
        services.ticket_comment(actor=world.agent1, ticket_id=urgent, body="Sorry, late")
        services.ticket_resolve(actor=world.agent1, ticket_id=urgent, resolution="Fixed")
    _token, raw = api_token_create(user=world.beta.specialist, name="t")
    client = Client(headers={"authorization": f"Bearer {raw}"})
    query = {"contract_id": world.beta.contract.pk, "start": "2026-11-01", "end": "2026-11-30"}
    with time_machine.travel(REGISTERED + dt.timedelta(hours=3), tick=False):
        figures = client.get("/api/v1/sla/compliance", query).json()
    assert figures["tickets"] == 2
    assert figures["response"]["measured"] == 2
    assert figures["response"]["met_percent"] == 50.0
    assert figures["resolution"] == {
        "measured": 1,
        "met": 1,
        "met_percent": 100.0,
        "median_seconds": 7200,
        "p90_seconds": 7200,
    }
    assert figures["breaches_by_class"] == {"1": 1}
    foreign = {"contract_id": world.alpha.contract.pk, "start": "2026-11-01", "end": "2026-11-30"}
    assert client.get("/api/v1/sla/compliance", foreign).status_code == 404
