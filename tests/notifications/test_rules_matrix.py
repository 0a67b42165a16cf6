"""Who hears of what, walked through one ticket's life: each action, each participant's role,
and the channels it reaches (the desk, mail through a real SMTP server on loopback)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.conf import LazySettings

from sladesk.accounts.choices import Role
from sladesk.accounts.models import User
from sladesk.notifications import rules
from sladesk.notifications.choices import DeliveryChannel, NotificationKind
from sladesk.notifications.models import ChatTarget, Notification, NotificationPreference
from sladesk.notifications.services import notifications_deliver_due
from sladesk.tickets import services
from sladesk.tickets.models import Ticket
from tests.channels.conftest import SmtpRecorder
from tests.conftest import World
from tests.factories import UserFactory
from tests.notifications.conftest import Receiver

NOW = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)
INTERNAL_SECRET = "Internal: the customer's licence server is misconfigured"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


class Journal:
    """The desk rows written since the last look, as {address: kind}."""

    def __init__(self) -> None:
        self.seen = 0

    def told(self) -> dict[str, str]:
        rows = Notification.objects.filter(channel=DeliveryChannel.DESK, pk__gt=self.seen)
        found = {row.user.email: row.kind for row in rows.select_related("user")}
        self.seen = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        return found


def _watcher(world: World) -> User:
    return UserFactory(
        email="watcher@alpha.example",
        organisation=world.alpha.organisation,
        role=Role.CUSTOMER_USER,
    )


def test_every_action_reaches_the_parties_the_table_names(
    world: World, smtp_server: SmtpRecorder, receiver: Receiver, settings: LazySettings
) -> None:
    settings.SLADESK_CHAT_ALLOW_PRIVATE = True  # the receiver is on loopback
    world.lines[1].lead = world.lead
    world.lines[1].save()
    # The specialist follows in a chat; line 2 has a team channel.
    ChatTarget.objects.create(user=world.alpha.specialist, url=receiver.url, label="mine")
    ChatTarget.objects.create(line=world.lines[2], url=receiver.url, label="line 2")
    customer_watcher = _watcher(world)
    journal = Journal()
    user, specialist = world.alpha.user, world.alpha.specialist
    customers = {user.email, specialist.email, customer_watcher.email}

    ticket = world.ticket(world.alpha)
    # Registration: the requester (acknowledgement), the organisation's specialists, and
    # the line's members while nobody is assigned.
    assert journal.told() == {
        user.email: NotificationKind.ACKNOWLEDGEMENT,
        specialist.email: NotificationKind.ACKNOWLEDGEMENT,
        world.lead.email: NotificationKind.ACKNOWLEDGEMENT,
        world.agent1.email: NotificationKind.ACKNOWLEDGEMENT,
    }
    for person in (customer_watcher, world.agent3):
        services.ticket_set_watcher(
            actor=world.lead, ticket_id=ticket.pk, user_id=person.pk, watching=True
        )
    assert journal.told() == {}

    services.ticket_assign(actor=world.lead, ticket_id=ticket.pk, assignee_id=world.agent1.pk)
    assert journal.told() == {world.agent1.email: NotificationKind.ASSIGNED}

    services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="We are looking.")
    assert journal.told() == {
        **dict.fromkeys(customers, NotificationKind.REPLY),
        world.agent3.email: NotificationKind.REPLY,
    }

    services.ticket_comment(
        actor=world.agent1, ticket_id=ticket.pk, body=INTERNAL_SECRET, internal=True
    )
    assert journal.told() == {world.agent3.email: NotificationKind.NOTE}

    services.ticket_request_info(actor=world.agent1, ticket_id=ticket.pk, question="Which host?")
    assert journal.told() == {
        **dict.fromkeys(customers, NotificationKind.INFO_REQUESTED),
        world.agent3.email: NotificationKind.INFO_REQUESTED,
    }

    services.ticket_comment(actor=user, ticket_id=ticket.pk, body="host-7")
    # The team hears that the answer came; the customer's colleagues read the answer.
    assert journal.told() == {
        specialist.email: NotificationKind.REPLY,
        customer_watcher.email: NotificationKind.REPLY,
        world.agent1.email: NotificationKind.INFO_PROVIDED,
        world.agent3.email: NotificationKind.INFO_PROVIDED,
    }

    services.ticket_mark_reproduced(actor=world.agent1, ticket_id=ticket.pk, note="On host-7.")
    assert journal.told() == {
        **dict.fromkeys(customers, NotificationKind.REPRODUCED),
        world.agent3.email: NotificationKind.REPRODUCED,
    }

    services.ticket_escalate(
        actor=world.agent1, ticket_id=ticket.pk, line_id=world.lines[2].pk, reason="Code fix"
    )
    # Nobody is assigned on line 2 yet: its members hear of it.
    assert journal.told() == {
        **dict.fromkeys(customers, NotificationKind.ESCALATED),
        world.agent3.email: NotificationKind.ESCALATED,
        world.agent2.email: NotificationKind.ESCALATED,
        world.lead.email: NotificationKind.ESCALATED,
    }

    services.ticket_resolve(actor=world.lead, ticket_id=ticket.pk, resolution="Patched.")
    assert journal.told() == {
        **dict.fromkeys(customers, NotificationKind.RESOLVED),
        world.agent3.email: NotificationKind.RESOLVED,
        world.agent2.email: NotificationKind.RESOLVED,  # line 2, the lead resolved it
    }

    services.ticket_reopen(actor=user, ticket_id=ticket.pk, reason="Still broken.")
    assert journal.told() == {
        specialist.email: NotificationKind.REOPENED,
        customer_watcher.email: NotificationKind.REOPENED,
        world.agent3.email: NotificationKind.REOPENED,
        world.agent2.email: NotificationKind.REOPENED,
        world.lead.email: NotificationKind.REOPENED,
    }

    # Mail: every desk notice also went by mail (nobody turned mail off), each once, and no
    # customer's mail carries the internal note.
    expected = Notification.objects.filter(channel=DeliveryChannel.EMAIL).count()
    chats = Notification.objects.filter(channel=DeliveryChannel.CHAT).count()
    assert notifications_deliver_due(limit=500) == expected + chats
    assert len(smtp_server.messages) == expected
    for address in customers:
        for received in smtp_server.to(address):
            assert INTERNAL_SECRET not in received.message.get_content()
    vendor_mail = [item.message.get_content() for item in smtp_server.to(world.agent3.email)]
    assert any(INTERNAL_SECRET in body for body in vendor_mail)
    # Chat: the specialist's target heard what the specialist did; line 2's channel heard
    # of the escalation while nobody on it was assigned, and of its resolution and reopening.
    chat = Notification.objects.filter(channel=DeliveryChannel.CHAT)
    specialist_kinds = list(
        chat.filter(user=specialist).order_by("pk").values_list("kind", flat=True)
    )
    assert specialist_kinds == list(
        Notification.objects.filter(user=specialist, channel=DeliveryChannel.DESK)
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    line_kinds = set(chat.filter(user=None).values_list("kind", flat=True))
    assert line_kinds == {
        NotificationKind.ESCALATED,
        NotificationKind.RESOLVED,
        NotificationKind.REOPENED,
    }
    assert len(receiver.requests) == chat.count()
    assert all(INTERNAL_SECRET not in str(item["body"]) for item in receiver.requests)


def test_no_vendor_only_kind_is_ever_written_for_a_customer(world: World) -> None:
    ticket = world.ticket(world.alpha)
    services.ticket_set_watcher(
        actor=world.lead, ticket_id=ticket.pk, user_id=world.alpha.user.pk, watching=True
    )
    services.ticket_assign(actor=world.lead, ticket_id=ticket.pk, assignee_id=world.agent1.pk)
    services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="x", internal=True)
    services.ticket_raise_attention(actor=world.agent1, ticket_id=ticket.pk, reason="Stuck")
    customer_kinds = set(
        Notification.objects.filter(user__role__in=[Role.SPECIALIST, Role.CUSTOMER_USER])
        .values_list("kind", flat=True)
        .distinct()
    )
    assert customer_kinds
    assert not customer_kinds & rules.VENDOR_ONLY_KINDS


def test_a_contract_can_keep_specialists_to_their_own_tickets(world: World) -> None:
    world.alpha.contract.specialists_notified = "own"
    world.alpha.contract.save()
    world.ticket(world.alpha)
    told = set(Notification.objects.values_list("user__email", flat=True))
    assert world.alpha.user.email in told
    assert world.alpha.specialist.email not in told


def test_one_action_is_one_notification_per_person_and_channel(world: World) -> None:
    ticket = world.ticket(world.alpha)
    services.ticket_assign(actor=world.lead, ticket_id=ticket.pk, assignee_id=world.agent1.pk)
    before = Notification.objects.count()
    services.ticket_resolve(actor=world.agent1, ticket_id=ticket.pk, resolution="Done.")
    rows = Notification.objects.filter(pk__gt=0).order_by("pk")[before:]
    keys = [(row.user_id, row.channel) for row in rows]
    assert len(keys) == len(set(keys))
    assert {row.kind for row in rows} == {NotificationKind.RESOLVED}
    assert all(row.comment is not None for row in rows)  # the resolution text is quoted


def test_mail_turned_off_leaves_the_desk_notice(world: World) -> None:
    NotificationPreference.objects.create(
        user=world.alpha.user,
        kind=NotificationKind.REPLY,
        channel=DeliveryChannel.EMAIL,
        mode="off",
    )
    ticket: Ticket = world.ticket(world.alpha)
    services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="Hello")
    reply_rows = Notification.objects.filter(user=world.alpha.user, kind=NotificationKind.REPLY)
    assert set(reply_rows.values_list("channel", flat=True)) == {DeliveryChannel.DESK}


def test_a_digest_gathers_the_periods_news_in_one_mail_per_person(
    world: World,
    smtp_server: SmtpRecorder,
    frozen: time_machine.Coordinates,
) -> None:
    for kind in (NotificationKind.REPLY, NotificationKind.RESOLVED):
        NotificationPreference.objects.create(
            user=world.alpha.user, kind=kind, channel=DeliveryChannel.EMAIL, mode="hourly"
        )
    ticket = world.ticket(world.alpha, title="Printer jams")
    other = world.ticket(world.alpha, title="Scanner is slow")
    services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="First look")
    services.ticket_comment(actor=world.agent1, ticket_id=other.pk, body="Second look")
    services.ticket_resolve(actor=world.agent1, ticket_id=ticket.pk, resolution="Cleaned")
    notifications_deliver_due(limit=500)
    mine = [item.message["Subject"] for item in smtp_server.to(world.alpha.user.email)]
    # The acknowledgement at once (one per window: loop protection); the rest is held.
    assert len(mine) == 1
    held = Notification.objects.filter(user=world.alpha.user, status="held")
    assert held.count() == 3
    assert {row.next_attempt_at for row in held} == {NOW + dt.timedelta(hours=1)}

    frozen.shift(dt.timedelta(hours=1))
    notifications_deliver_due(limit=500)
    notifications_deliver_due(limit=500)  # a second run carries nothing twice
    [digest] = smtp_server.to(world.alpha.user.email)[1:]
    body = digest.message.get_content()
    assert "3 updates" in digest.message["Subject"]
    assert body.count(ticket.number) == 2
    assert body.count(other.number) == 1
    assert not held.all().exists()  # a fresh query: `held` was evaluated above
    assert Notification.objects.filter(kind=NotificationKind.DIGEST).count() == 1


def test_the_customer_is_told_a_working_day_before_the_ticket_closes_by_itself(
    world: World,
) -> None:
    from sladesk.notifications.rendering import render
    from sladesk.sla.services import sla_install_examples, sla_sweep

    world.alpha.contract.sla_policy = sla_install_examples()["moscow-categories"]
    world.alpha.contract.save()
    ticket = world.ticket(world.alpha)  # Monday 2 November, 11:00 in Moscow
    services.ticket_request_info(actor=world.agent1, ticket_id=ticket.pk, question="Which host?")

    def reminders() -> list[Notification]:
        return list(
            Notification.objects.filter(
                kind=NotificationKind.CLOSES_TOMORROW, channel=DeliveryChannel.EMAIL
            )
        )

    # Three working days after Monday's request (4 November is a holiday): Tuesday,
    # Thursday, Friday; it closes at 19:00 on Friday the 6th and is announced at the close
    # of Thursday, the working day before.
    with time_machine.travel(dt.datetime(2026, 11, 5, 12, tzinfo=dt.UTC), tick=False):
        sla_sweep()  # Thursday 15:00 in Moscow
    assert reminders() == []
    with time_machine.travel(dt.datetime(2026, 11, 5, 16, 30, tzinfo=dt.UTC), tick=False):
        sla_sweep()
        sla_sweep()
    assert {row.recipient for row in reminders()} == {
        world.alpha.user.email,
        world.alpha.specialist.email,
    }
    [reminder] = [row for row in reminders() if row.user == world.alpha.user]
    _subject, body = render(reminder)
    assert "2026-11-06 19:00" in body
    ticket.refresh_from_db()
    assert ticket.status == "waiting_for_customer"
    told = set(
        Notification.objects.filter(kind=NotificationKind.CLOSES_TOMORROW).values_list(
            "user__role", flat=True
        )
    )
    assert told <= {Role.CUSTOMER_USER, Role.SPECIALIST}
