"""Two workers sweeping at once act exactly once per ticket, clock and threshold."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, connections
from django.db.models import Count

from sladesk.sla.models import SlaEvent
from sladesk.sla.services import sla_install_examples, sla_sweep
from sladesk.tickets import services
from sladesk.tickets.models import Comment, Ticket, TicketClass
from tests.conftest import World

REGISTERED = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_record_each_warning_and_breach_once(world: World) -> None:
    count = 1000 if connection.vendor == "postgresql" else 100
    world.beta.contract.sla_policy = sla_install_examples()["always-request-classes"]
    world.beta.contract.save()
    class_one = TicketClass.objects.get(scheme=world.beta.scheme, code="1")
    data = services.TicketRegistration(title="Outage", ticket_class_id=class_one.pk)
    with time_machine.travel(REGISTERED, tick=False):
        for _ in range(count):
            services.ticket_register(actor=world.beta.user, data=data)
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []
    processed: list[int] = []

    def worker() -> None:
        try:
            barrier.wait()
            processed.append(sla_sweep(now=REGISTERED + dt.timedelta(hours=5), batch=50))
        except BaseException as error:  # reported to the main thread below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    per_ticket = 6  # response and resolution: warnings at 50 % and 80 %, then a breach
    assert sum(processed) == count * per_ticket
    assert SlaEvent.objects.count() == count * per_ticket
    assert (
        not SlaEvent.objects.values("ticket", "clock", "kind", "threshold")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .exists()
    )
    # The actions ran once per event too: one internal note each, two escalations (1 -> 2 -> 3).
    assert Comment.objects.filter(kind="internal").count() == count * per_ticket
    assert set(Ticket.objects.values_list("line__level", flat=True)) == {3}
