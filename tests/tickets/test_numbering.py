"""Ticket numbers stay unique when many workers register at the same moment, and a new
PostgreSQL sequence continues after numbers issued before it existed."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.conf import LazySettings
from django.db import connection, connections
from django.utils import timezone

from sladesk.tickets import services
from sladesk.tickets.models import Ticket, TicketNumberSequence
from tests.conftest import World

WORKERS = 8
PER_WORKER = 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_get_distinct_numbers(world: World) -> None:
    per_worker = PER_WORKER if connection.vendor == "postgresql" else 25
    barrier = threading.Barrier(WORKERS)
    failures: list[BaseException] = []
    data = services.TicketRegistration(
        title="Load", channel="phone", organisation_id=world.alpha.organisation.pk
    )

    def register_many() -> None:
        try:
            barrier.wait()
            for _ in range(per_worker):
                services.ticket_register(actor=world.agent1, data=data)
        except BaseException as error:  # reported to the main thread below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register_many) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    numbers = list(Ticket.objects.values_list("number", flat=True))
    assert len(numbers) == WORKERS * per_worker
    assert len(set(numbers)) == WORKERS * per_worker
    sequence = sorted(int(number[-6:]) for number in numbers)
    # No gaps: nothing rolled back. (On PostgreSQL the year's sequence outlives earlier
    # tests of the session, so the run need not start at 1.)
    assert sequence == list(range(sequence[0], sequence[0] + WORKERS * per_worker))


@pytest.mark.django_db(transaction=True)
def test_a_new_years_sequence_continues_after_numbers_already_issued(world: World) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("sequences are PostgreSQL's")
    TicketNumberSequence.objects.create(prefix="SD", year=2031, last_value=41)
    with time_machine.travel(dt.datetime(2031, 6, 1, 12, tzinfo=dt.UTC), tick=False):
        ticket = world.ticket(world.alpha)
    assert ticket.number == "SD-2031-000042"


def test_the_year_of_a_number_is_the_desks_whatever_zone_the_actor_is_in(
    world: World, settings: LazySettings
) -> None:
    settings.TIME_ZONE = "Europe/Moscow"
    # Half past midnight on New Year's Day in Moscow is still the old year in London.
    eve = dt.datetime(2030, 12, 31, 21, 30, tzinfo=dt.UTC)
    with time_machine.travel(eve, tick=False), timezone.override("Europe/London"):
        ticket = world.ticket(world.alpha)
    assert ticket.number.startswith("SD-2031-")
