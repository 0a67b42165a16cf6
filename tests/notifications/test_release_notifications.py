"""A ticket's participants hear of its releases: planned into a version, taken out, the
version moved, the version shipped (one notification per person for the shipping, though it
writes a release event, the desk's public note and perhaps a resolution)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator

import pytest
import time_machine

from sladesk.notifications.choices import DeliveryChannel, NotificationKind
from sladesk.notifications.models import Notification
from sladesk.notifications.rendering import render, summary_in
from sladesk.releases.models import Release
from sladesk.releases.services import (
    ReleaseDraft,
    release_add_ticket,
    release_create,
    release_remove_ticket,
    release_ship,
    release_update,
)
from sladesk.tickets import services
from sladesk.tickets.choices import TicketStatus
from sladesk.tickets.models import Ticket
from tests.conftest import World

NOW = dt.datetime(2027, 1, 11, 9, tzinfo=dt.UTC)
PLANNED_ON = dt.date(2027, 2, 1)
MOVED_TO = dt.date(2027, 3, 1)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


class Journal:
    """The desk rows written since the last look."""

    def __init__(self) -> None:
        self.seen = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def rows(self) -> list[Notification]:
        found = list(
            Notification.objects.filter(channel=DeliveryChannel.DESK, pk__gt=self.seen)
            .select_related("user", "ticket", "comment")
            .order_by("pk")
        )
        self.seen = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        return found

    def told(self) -> Counter[tuple[str, str]]:
        return told(self.rows())


def told(rows: list[Notification]) -> Counter[tuple[str, str]]:
    """(address, kind) -> how many desk rows: each person once means every count is 1."""
    return Counter((row.user.email if row.user else row.recipient, row.kind) for row in rows)


def _assigned_ticket(world: World) -> Ticket:
    ticket = world.ticket(world.alpha)
    services.ticket_assign(actor=world.lead, ticket_id=ticket.pk, assignee_id=world.agent1.pk)
    return ticket


def _release(world: World, *, resolve_on_ship: bool = False) -> Release:
    draft = ReleaseDraft(
        service_id=world.alpha.service.pk,
        version="2.5",
        planned_on=PLANNED_ON,
        notes={"en": "Faster reports."},
        resolve_on_ship=resolve_on_ship,
    )
    return release_create(actor=world.agent1, draft=draft)


def _customers_and_assignee(world: World) -> Counter[tuple[str, str]]:
    people = (world.alpha.user, world.alpha.specialist, world.agent1)
    return Counter((person.email, NotificationKind.RELEASE.value) for person in people)


def test_planning_a_ticket_into_a_release_tells_its_customers_and_assignee_once(
    world: World,
) -> None:
    ticket = _assigned_ticket(world)
    release = _release(world)
    journal = Journal()

    release_add_ticket(actor=world.lead, release_id=release.pk, ticket_id=ticket.pk)

    rows = journal.rows()
    assert told(rows) == _customers_and_assignee(world)
    subject, body = render(next(row for row in rows if row.user == world.alpha.user))
    assert subject == (
        f"[{ticket.number}] Planned for version 2.5 (planned for 2027-02-01): {ticket.title}"
    )
    assert "version 2.5 of alpha app" in body


def test_moving_the_release_tells_the_people_of_each_ticket_it_carries(world: World) -> None:
    ticket = _assigned_ticket(world)
    release = _release(world)
    release_add_ticket(actor=world.lead, release_id=release.pk, ticket_id=ticket.pk)
    journal = Journal()

    release_update(actor=world.lead, release_id=release.pk, changes={"planned_on": MOVED_TO})

    rows = journal.rows()
    assert told(rows) == _customers_and_assignee(world)
    subject, body = render(next(row for row in rows if row.user == world.agent1))
    assert subject.startswith(f"[{ticket.number}] Version 2.5 moved to 2027-03-01")
    assert "now planned for 2027-03-01 instead of 2027-02-01" in body


def test_taking_a_ticket_out_says_it_is_not_planned_yet(world: World) -> None:
    ticket = _assigned_ticket(world)
    release = _release(world)
    release_add_ticket(actor=world.lead, release_id=release.pk, ticket_id=ticket.pk)
    journal = Journal()

    release_remove_ticket(actor=world.lead, release_id=release.pk, ticket_id=ticket.pk)

    rows = journal.rows()
    assert told(rows) == _customers_and_assignee(world)
    subject, _body = render(rows[0])
    assert subject.startswith(f"[{ticket.number}] Taken out of version 2.5: not planned yet")


@pytest.mark.parametrize("resolve_on_ship", [False, True])
def test_shipping_is_one_release_notification_per_person_naming_the_version(
    world: World, resolve_on_ship: bool
) -> None:
    ticket = _assigned_ticket(world)
    services.ticket_set_watcher(
        actor=world.lead, ticket_id=ticket.pk, user_id=world.agent3.pk, watching=True
    )
    release = _release(world, resolve_on_ship=resolve_on_ship)
    release_add_ticket(actor=world.lead, release_id=release.pk, ticket_id=ticket.pk)
    journal = Journal()
    before = journal.seen

    release_ship(actor=world.lead, release_id=release.pk)

    ticket.refresh_from_db()
    resolved = ticket.status == TicketStatus.RESOLVED
    assert resolved == resolve_on_ship
    rows = journal.rows()
    # The desk's note and the resolution are part of the shipping: no "reply", no "resolved",
    # and nothing for the lead who shipped it.
    assert told(rows) == _customers_and_assignee(world) + Counter(
        {(world.agent3.email, NotificationKind.RELEASE.value): 1}
    )
    for row in rows:
        subject, body = render(row)
        assert subject == f"[{ticket.number}] Version 2.5 is released: {ticket.title}"
        assert body.count("Version 2.5 of alpha app is released") == 1  # not the note again
        assert "Faster reports." in body
        assert ("Please confirm the resolution" in body) == resolve_on_ship
    # Mail too: every channel of every person carries the same one kind.
    everything = Notification.objects.filter(ticket=ticket, pk__gt=before)
    assert set(everything.values_list("kind", flat=True)) == {NotificationKind.RELEASE}
    assert everything.filter(channel=DeliveryChannel.EMAIL).count() == len(rows)


def test_a_shipped_release_renders_in_russian_and_names_the_version(world: World) -> None:
    ticket = _assigned_ticket(world)
    world.alpha.user.language = "ru"
    world.alpha.user.save(update_fields=["language"])
    release = _release(world, resolve_on_ship=True)
    release_add_ticket(actor=world.lead, release_id=release.pk, ticket_id=ticket.pk)
    journal = Journal()

    release_ship(actor=world.lead, release_id=release.pk)

    row = next(row for row in journal.rows() if row.user == world.alpha.user)
    assert row.language == "ru"
    subject, body = render(row)
    assert ticket.number in subject
    assert "2.5" in subject
    assert "2.5" in body
    assert "2.5" in summary_in(row, "ru")


def test_the_assignee_who_ships_hears_nothing_of_the_desk_s_note_of_it(world: World) -> None:
    ticket = _assigned_ticket(world)
    release = _release(world)
    release_add_ticket(actor=world.lead, release_id=release.pk, ticket_id=ticket.pk)
    journal = Journal()

    release_ship(actor=world.agent1, release_id=release.pk)

    assert journal.told() == Counter(
        (person.email, NotificationKind.RELEASE.value)
        for person in (world.alpha.user, world.alpha.specialist)
    )
