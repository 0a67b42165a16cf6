"""Edges of planning and delivery: several SLA events in one sweep, the reader's language of
the desk's own words, senders without an account, a claim taken over, a reset link."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine

from sladesk.notifications.choices import DeliveryChannel, NotificationKind, NotificationStatus
from sladesk.notifications.models import Notification
from sladesk.notifications.rendering import render
from sladesk.notifications.services import (
    CLAIM_LEASE,
    new_message_id,
    notifications_deliver_due,
)
from sladesk.problems.services import ProblemRegistration, problem_act, problem_register
from sladesk.sla.services import sla_install_examples, sla_sweep
from sladesk.tickets import services
from sladesk.tickets.choices import CommentKind
from sladesk.tickets.models import Comment, TicketClass
from sladesk.tickets.services import TicketRegistration
from sladesk.tickets.services.registration import ticket_register_for_sender
from tests.channels.conftest import SmtpRecorder
from tests.conftest import World

NOW = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _breaching_ticket(world: World) -> int:
    world.beta.contract.sla_policy = sla_install_examples()["always-request-classes"]
    world.beta.contract.save()
    ticket_class = TicketClass.objects.get(scheme=world.beta.scheme, code="1")
    ticket = world.ticket(world.beta, ticket_class_id=ticket_class.pk)
    services.ticket_assign(actor=world.lead, ticket_id=ticket.pk, assignee_id=world.agent1.pk)
    return ticket.pk


def test_every_sla_event_of_one_sweep_is_told_on_its_own(world: World) -> None:
    ticket_id = _breaching_ticket(world)
    with time_machine.travel(NOW + dt.timedelta(days=2), tick=False):
        assert sla_sweep() >= 2

    notes = Comment.objects.filter(
        ticket_id=ticket_id, kind=CommentKind.INTERNAL, note__startswith="sla"
    )
    assert notes.count() >= 2
    # Each event is an action of its own: every note of the sweep reaches the team (some
    # after an escalation, on the next line), none is swallowed by an earlier one.
    told = (
        Notification.objects.filter(channel=DeliveryChannel.DESK, comment__in=notes)
        .values("comment")
        .distinct()
        .count()
    )
    assert told == notes.count()


def test_an_sla_breach_reads_in_the_readers_language(
    world: World, smtp_server: SmtpRecorder
) -> None:
    world.agent1.language = "ru"
    world.agent1.save()
    _breaching_ticket(world)
    with time_machine.travel(NOW + dt.timedelta(days=2), tick=False):
        sla_sweep()
    breach = Notification.objects.filter(
        user=world.agent1, channel=DeliveryChannel.EMAIL, kind=NotificationKind.SLA_BREACH
    ).first()
    assert breach is not None
    _subject, body = render(breach)
    assert "SLA Breach" not in body
    assert "Breach" not in body


def test_a_sender_without_an_account_hears_of_the_desks_public_notes(world: World) -> None:
    ticket = ticket_register_for_sender(
        organisation_id=world.alpha.organisation.pk,
        data=TicketRegistration(title="VPN down", contact="stranger@alpha.example"),
        flags=[],
    )
    problem = problem_register(
        actor=world.agent1, data=ProblemRegistration(title="VPN"), ticket_ids=[ticket.pk]
    )
    problem_act(actor=world.agent1, problem_id=problem.pk, action="analyse")
    problem_act(actor=world.agent1, problem_id=problem.pk, action="known-error", text="Reconnect.")
    kinds = set(
        Notification.objects.filter(recipient="stranger@alpha.example").values_list(
            "kind", flat=True
        )
    )
    assert NotificationKind.REPLY in kinds


def test_a_claim_taken_over_keeps_the_other_workers_outcome(
    world: World, smtp_server: SmtpRecorder, frozen: time_machine.Coordinates
) -> None:
    row = Notification.objects.create(
        channel=DeliveryChannel.EMAIL,
        kind=NotificationKind.STATUS,
        event_key="edge:1",
        recipient="someone@alpha.example",
        message_id=new_message_id(),
        status=NotificationStatus.SENDING,
        attempts=1,
        claimed_until=NOW - dt.timedelta(seconds=1),  # a worker's lease ran out
    )
    assert notifications_deliver_due() == 1  # taken over and sent
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT
    assert row.claimed_until is None
    assert len(smtp_server.messages) == 1
    assert dt.timedelta(0) < CLAIM_LEASE


def test_a_reset_link_is_not_kept_once_sent(world: World, smtp_server: SmtpRecorder) -> None:
    from django.test import Client

    Client().post("/password-reset/", {"email": world.alpha.user.email})
    notifications_deliver_due()
    [received] = smtp_server.to(world.alpha.user.email)
    assert "/password-reset/" in received.message.get_content()
    row = Notification.objects.get(kind=NotificationKind.PASSWORD_RESET)
    assert row.status == NotificationStatus.SENT
    assert row.body == ""


def test_read_desk_notices_are_forgotten_after_the_keeping_period(
    world: World, settings: object
) -> None:
    from sladesk.notifications.services import notification_mark_read, notifications_prune

    ticket = world.ticket(world.alpha)
    services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="Hello")
    desk = Notification.objects.filter(user=world.alpha.user, channel=DeliveryChannel.DESK)
    read, unread = desk.order_by("pk")[:2]
    notification_mark_read(actor=world.alpha.user, notification_id=read.pk)
    mail_rows = Notification.objects.exclude(channel=DeliveryChannel.DESK).count()
    assert notifications_prune(now=NOW + dt.timedelta(days=179)) == 0
    assert notifications_prune(now=NOW + dt.timedelta(days=181)) == 1
    assert set(desk.values_list("pk", flat=True)) == {unread.pk}
    assert Notification.objects.exclude(channel=DeliveryChannel.DESK).count() == mail_rows
