"""The outbox against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
import time_machine
from django.conf import LazySettings
from django.db import connection, transaction
from django.db.models import QuerySet

from sladesk.accounts.choices import VENDOR_ROLES
from sladesk.channels.services import inbound_mail_process, inbound_mail_store
from sladesk.notifications.choices import (
    DeliveryChannel,
    DeliveryMode,
    NotificationKind,
    NotificationStatus,
)
from sladesk.notifications.models import ChatTarget, Notification, NotificationDefault
from sladesk.notifications.services import notifications_deliver_due
from sladesk.sla.services import sla_install_examples, sla_sweep
from sladesk.tickets import services
from sladesk.tickets.models import TicketClass
from tests.channels.conftest import SmtpRecorder, build_mail, free_port
from tests.conftest import World
from tests.notifications.conftest import Receiver

NOW = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def requester_only(world: World) -> None:
    """The requester's mail alone: the specialists hear only of their own tickets, and the
    support team has turned off the mail of new tickets (the desk still shows them)."""
    for customer in (world.alpha, world.beta):
        customer.contract.specialists_notified = "own"
        customer.contract.save()
    for role in VENDOR_ROLES:
        NotificationDefault.objects.create(
            role=role,
            kind=NotificationKind.ACKNOWLEDGEMENT,
            channel=DeliveryChannel.EMAIL,
            mode=DeliveryMode.OFF,
        )


def _mail() -> QuerySet[Notification]:
    return Notification.objects.filter(channel=DeliveryChannel.EMAIL)


def test_the_acknowledgement_names_the_ticket_and_its_reaction_due_time(
    world: World, smtp_server: SmtpRecorder
) -> None:
    world.beta.contract.sla_policy = sla_install_examples()["always-request-classes"]
    world.beta.contract.save()
    ticket_class = TicketClass.objects.get(scheme=world.beta.scheme, code="1")
    ticket = world.ticket(world.beta, ticket_class_id=ticket_class.pk)
    assert notifications_deliver_due() == 1
    [received] = smtp_server.to("user@beta.example")
    message = received.message
    assert ticket.number in message["Subject"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].startswith("<sladesk.")
    assert message["Message-ID"].endswith("@vendor.example>")
    ticket.refresh_from_db()
    assert ticket.sla_response_due_at is not None
    due = ticket.sla_response_due_at.astimezone(dt.timezone(dt.timedelta(hours=3)))
    assert due.strftime("%Y-%m-%d %H:%M") in message.get_content()


def test_delivery_never_sends_one_event_twice(world: World, smtp_server: SmtpRecorder) -> None:
    world.ticket(world.alpha)
    assert notifications_deliver_due() == 1
    assert notifications_deliver_due() == 0
    assert len(smtp_server.messages) == 1


def test_a_notification_is_written_with_its_change_or_not_at_all(world: World) -> None:
    planned = []

    def register_then_fail() -> None:
        with transaction.atomic():
            world.ticket(world.alpha)
            planned.append(_mail().count())
            raise RuntimeError("the change fails after the notification was planned")

    with pytest.raises(RuntimeError):
        register_then_fail()
    assert planned == [1]
    assert not Notification.objects.exists()


def test_a_failed_delivery_is_retried_with_backoff_and_then_sent(
    world: World,
    smtp_server: SmtpRecorder,
    settings: LazySettings,
    frozen: time_machine.Coordinates,
) -> None:
    world.ticket(world.alpha)
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    assert notifications_deliver_due() == 0
    row = _mail().get()
    assert row.status == NotificationStatus.PENDING
    assert row.attempts == 1
    assert row.last_error
    assert row.next_attempt_at == NOW + dt.timedelta(seconds=30)
    settings.EMAIL_PORT = port
    assert notifications_deliver_due() == 0  # not due yet
    frozen.shift(dt.timedelta(seconds=31))
    assert notifications_deliver_due() == 1
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT
    assert len(smtp_server.messages) == 1


def test_replies_thread_under_the_customers_original_mail(
    world: World, smtp_server: SmtpRecorder
) -> None:
    stored = inbound_mail_store(raw=build_mail(message_id="<original@alpha.example>"))
    ticket = inbound_mail_process(inbound_mail_id=stored.mail.pk).ticket
    assert ticket is not None
    services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="Looking at it.")
    notifications_deliver_due()
    acknowledgement, reply = (item.message for item in smtp_server.to("user@alpha.example"))
    assert acknowledgement["In-Reply-To"] == "<original@alpha.example>"
    assert reply["In-Reply-To"] == "<original@alpha.example>"
    assert "Looking at it." in reply.get_content()
    assert reply["Auto-Submitted"] is None  # a person wrote it


def test_a_request_for_information_and_a_resolution_reach_the_requester(
    world: World, smtp_server: SmtpRecorder
) -> None:
    ticket = world.ticket(world.alpha)
    services.ticket_request_info(actor=world.agent1, ticket_id=ticket.pk, question="Which URL?")
    notifications_deliver_due()
    services.ticket_comment(actor=world.alpha.user, ticket_id=ticket.pk, body="/invoices")
    services.ticket_resolve(actor=world.agent1, ticket_id=ticket.pk, resolution="Cache purged.")
    notifications_deliver_due()
    subjects = [item.message["Subject"] for item in smtp_server.to("user@alpha.example")]
    assert any("Information needed" in subject for subject in subjects)
    assert any("Resolved" in subject for subject in subjects)
    services.ticket_close(actor=world.alpha.user, ticket_id=ticket.pk)
    notifications_deliver_due()
    # The requester closed it: nobody is told what they did themselves.
    assert len(smtp_server.to("user@alpha.example")) == len(subjects)


def test_subjects_and_names_cannot_inject_headers(world: World, smtp_server: SmtpRecorder) -> None:
    world.ticket(world.alpha, title="Help\r\nBcc: victim@example.org\r\nX-Evil: 1")
    notifications_deliver_due()
    [received] = smtp_server.messages
    assert received.recipients == ["user@alpha.example"]
    assert received.message["Bcc"] is None
    assert received.message["X-Evil"] is None


def test_the_recipients_language_chooses_the_template(
    world: World, smtp_server: SmtpRecorder
) -> None:
    world.alpha.user.language = "ru"
    world.alpha.user.save()
    world.ticket(world.alpha)
    notifications_deliver_due()
    assert smtp_server.messages[0].message["Content-Language"] == "ru"


def test_sla_breaches_notify_the_vendor_side_once(world: World, smtp_server: SmtpRecorder) -> None:
    world.beta.contract.sla_policy = sla_install_examples()["always-request-classes"]
    world.beta.contract.save()
    world.lines[1].lead = world.lead
    world.lines[1].save()
    ticket_class = TicketClass.objects.get(scheme=world.beta.scheme, code="1")
    world.ticket(world.beta, ticket_class_id=ticket_class.pk)
    with time_machine.travel(NOW + dt.timedelta(days=2), tick=False):
        sla_sweep()
        sla_sweep()
        notifications_deliver_due()
    vendor_side = [
        item
        for item in smtp_server.messages
        if any(address.endswith("@vendor.example") for address in item.recipients)
    ]
    kinds = set(
        Notification.objects.filter(
            kind__in=[NotificationKind.SLA_WARNING, NotificationKind.SLA_BREACH]
        ).values_list("kind", flat=True)
    )
    assert NotificationKind.SLA_BREACH in kinds
    assert vendor_side
    keys = list(Notification.objects.values_list("event_key", "recipient", "channel"))
    assert len(keys) == len(set(keys))


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_at_once_send_each_notification_once(
    world: World, smtp_server: SmtpRecorder, receiver: Receiver, settings: LazySettings
) -> None:
    settings.SLADESK_CHAT_ALLOW_PRIVATE = True  # the chat receiver is on loopback
    ChatTarget.objects.create(user=world.alpha.user, url=receiver.url)
    # Acknowledgements are limited to one per address and window, replies are not.
    for customer in (world.alpha, world.beta):
        world.ticket(customer)
    ticket = world.ticket(world.alpha)
    for number in range(6):
        services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body=f"Reply {number}")
    expected = _mail().count()
    chats = Notification.objects.filter(channel=DeliveryChannel.CHAT).count()
    assert expected >= 8
    assert chats >= 7
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            notifications_deliver_due()
        except BaseException as error:  # reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert len(smtp_server.messages) == expected
    message_ids = [item.message["Message-ID"] for item in smtp_server.messages]
    assert len(set(message_ids)) == expected
    assert len(receiver.requests) == chats
    assert set(_mail().values_list("status", flat=True)) == {NotificationStatus.SENT}
