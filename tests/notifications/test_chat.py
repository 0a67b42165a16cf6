"""Chat notifications through apprise to a real HTTP receiver on loopback (apprise's
`json://` service), the address guard, and the chat targets on the person's page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.conf import LazySettings
from django.core.exceptions import ValidationError
from django.urls import reverse

from sladesk.core.errors import NotFound, PermissionDenied
from sladesk.notifications.chat import chat_target_add, chat_target_remove, chat_url_check
from sladesk.notifications.choices import DeliveryChannel, NotificationKind, NotificationStatus
from sladesk.notifications.models import ChatTarget, Notification
from sladesk.notifications.rendering import render
from sladesk.notifications.services import new_message_id, notifications_deliver_due
from sladesk.tickets.models import Ticket
from tests.conftest import World, signed_in
from tests.notifications.conftest import Receiver

NOW = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def private_allowed(settings: LazySettings) -> None:
    settings.SLADESK_CHAT_ALLOW_PRIVATE = True


def quiet_ticket(world: World) -> Ticket:
    """A ticket whose own notifications (the acknowledgement, ...) are out of the way."""
    ticket = world.ticket(world.alpha, title="The invoice page is blank")
    Notification.objects.all().delete()
    return ticket


def chat_row(target: ChatTarget, ticket: Ticket | None, kind: str) -> Notification:
    return Notification.objects.create(
        channel=DeliveryChannel.CHAT,
        kind=kind,
        event_key=f"test:{kind}:{target.pk}",
        recipient=target.recipient,
        user=target.user,
        ticket=ticket,
        message_id=new_message_id(),
        data={"reason": "The customer waits for an answer", "status": "in_progress"},
        created_at=NOW,
        next_attempt_at=NOW,
    )


def test_a_chat_notification_arrives_once_with_its_rendered_title_and_body(
    world: World, receiver: Receiver, private_allowed: None
) -> None:
    ticket = quiet_ticket(world)
    target = chat_target_add(actor=world.agent1, url=receiver.url, label="my webhook")
    row = chat_row(target, ticket, NotificationKind.STATUS)
    title, body = render(row)
    assert ticket.number in title

    assert notifications_deliver_due() == 1
    assert notifications_deliver_due() == 0
    [received] = receiver.requests
    assert received["path"] == "/hook"
    assert received["body"]["title"] == title
    assert received["body"]["message"] == body.rstrip()  # apprise trims the end
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT
    assert row.attempts == 1
    assert (row.subject, row.body) == (title, body)


def test_a_receiver_answering_500_leaves_the_row_pending_and_a_later_run_delivers_it_once(
    world: World,
    receiver: Receiver,
    private_allowed: None,
    frozen: time_machine.Coordinates,
) -> None:
    target = chat_target_add(actor=world.agent1, url=receiver.url)
    row = chat_row(target, quiet_ticket(world), NotificationKind.ATTENTION)
    receiver.statuses = [500]

    assert notifications_deliver_due() == 0
    row.refresh_from_db()
    assert row.status == NotificationStatus.PENDING
    assert row.attempts == 1
    assert row.next_attempt_at > NOW
    assert "500" in row.last_error
    assert len(receiver.requests) == 1
    assert notifications_deliver_due() == 0  # not due yet
    assert len(receiver.requests) == 1

    frozen.move_to(row.next_attempt_at)
    assert notifications_deliver_due() == 1
    assert notifications_deliver_due() == 0
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT
    assert row.attempts == 2
    assert len(receiver.requests) == 2
    # The retry sends the text the first attempt rendered.
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]


def test_a_loopback_target_is_refused_without_the_setting(world: World, receiver: Receiver) -> None:
    with pytest.raises(ValidationError, match="loopback, private or reserved"):
        chat_target_add(actor=world.agent1, url=receiver.url)
    with pytest.raises(ValidationError, match="loopback, private or reserved"):
        chat_url_check("json://10.1.2.3/hook", allow_private=False)
    assert not ChatTarget.objects.exists()


def test_a_loopback_target_fails_at_delivery_once_private_targets_are_no_longer_allowed(
    world: World, receiver: Receiver, settings: LazySettings
) -> None:
    settings.SLADESK_CHAT_ALLOW_PRIVATE = True
    target = chat_target_add(actor=world.agent1, url=receiver.url)
    row = chat_row(target, None, NotificationKind.ATTENTION)
    settings.SLADESK_CHAT_ALLOW_PRIVATE = False

    assert notifications_deliver_due() == 0
    row.refresh_from_db()
    assert row.status == NotificationStatus.FAILED
    assert row.attempts == 1
    assert "DeliveryRefused" in row.last_error
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("nonsense", "not an address apprise can send to"),
        ("https://example.com/hook", "not an address apprise can send to"),
        ("windows://", "not an address apprise can send to"),
        ("syslog://", "chat services only"),
        ("rsyslog://example.com", "chat services only"),
        ("mailto://user:secret@example.com", "chat services only"),
        ("json://no-such-host.invalid/hook", "cannot be found"),
        ("", "at most 2000 characters"),
    ],
)
def test_a_url_that_is_not_a_chat_on_a_known_host_is_refused_with_its_reason(
    url: str, reason: str
) -> None:
    with pytest.raises(ValidationError, match=reason):
        chat_url_check(url, allow_private=True)


def test_a_cloud_service_is_accepted_without_looking_up_its_token_as_a_host() -> None:
    url = "  tgram://123456789:AAbbCCddEEff/987654321  "
    assert chat_url_check(url, allow_private=False) == url.strip()


def test_people_add_chat_targets_for_themselves_and_leads_for_their_lines(world: World) -> None:
    url = "tgram://123456789:AAbbCCddEEff/987654321"
    own = chat_target_add(actor=world.alpha.user, url=url)
    assert (own.user, own.line) == (world.alpha.user, None)
    with pytest.raises(PermissionDenied):
        chat_target_add(actor=world.alpha.user, url=url, user=world.alpha.specialist)
    with pytest.raises(PermissionDenied):
        chat_target_add(actor=world.agent1, url=url, line=world.lines[1])
    world.lines[1].lead = world.lead
    world.lines[1].save()
    led = chat_target_add(actor=world.lead, url=url, line=world.lines[1], label="line 1")
    by_admin = chat_target_add(actor=world.admin, url=url, line=world.lines[2])
    assert (led.user, led.line) == (None, world.lines[1])
    assert by_admin.line == world.lines[2]


def test_a_removed_target_is_gone_for_its_owner_only_and_its_pending_rows_skipped(
    world: World,
) -> None:
    target = chat_target_add(actor=world.agent1, url="tgram://123456789:AAbbCCddEEff/98765")
    row = chat_row(target, None, NotificationKind.ATTENTION)
    with pytest.raises(NotFound):
        chat_target_remove(actor=world.agent2, target_id=target.pk)
    chat_target_remove(actor=world.agent1, target_id=target.pk)
    assert not ChatTarget.objects.exists()

    assert notifications_deliver_due() == 0
    row.refresh_from_db()
    assert row.status == NotificationStatus.SKIPPED  # not a failure: nobody wants it now
    assert row.attempts == 0


def test_an_inactive_target_fails_at_once(world: World, receiver: Receiver) -> None:
    target = ChatTarget.objects.create(user=world.agent1, url=receiver.url, is_active=False)
    row = chat_row(target, None, NotificationKind.ATTENTION)
    assert notifications_deliver_due() == 0
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.FAILED, 1)
    assert receiver.requests == []


def test_the_page_adds_and_removes_a_chat_target_and_shows_a_refusal(world: World) -> None:
    client = signed_in(world.alpha.specialist)
    page = reverse("web:notification_settings")
    chat = reverse("web:notification_chat")

    refused = client.post(chat, {"action": "add", "url": "nonsense", "label": "x"})
    assert refused.status_code == 200
    assert "not an address apprise can send to" in refused.content.decode()
    assert not ChatTarget.objects.exists()

    added = client.post(
        chat,
        {"action": "add", "url": "tgram://123456789:AAbbCCddEEff/98765", "label": "Phone"},
    )
    assert added.status_code == 302
    [target] = ChatTarget.objects.all()
    assert (target.user, target.label) == (world.alpha.specialist, "Phone")
    shown = client.get(page).content.decode()
    assert "Phone" in shown
    assert "AAbbCCddEEff" not in shown  # the URL carries the bot's secret

    other = signed_in(world.alpha.user)
    assert other.post(chat, {"action": "remove", "target": target.pk}).status_code == 404
    assert client.post(chat, {"action": "remove", "target": target.pk}).status_code == 302
    assert not ChatTarget.objects.exists()


def test_the_admin_refuses_a_loopback_chat_target(world: World, receiver: Receiver) -> None:
    client = signed_in(world.admin)
    response = client.post(
        reverse("admin:notifications_chattarget_add"),
        {"user": world.agent1.pk, "url": receiver.url, "label": "", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "loopback, private or reserved" in response.content.decode()
    assert not ChatTarget.objects.exists()


def test_a_lead_adds_a_chat_target_for_their_line_on_the_page(world: World) -> None:
    world.lines[2].lead = world.lead
    world.lines[2].save()
    client = signed_in(world.lead)
    page = client.get(reverse("web:notification_settings")).content.decode()
    assert 'name="line"' in page
    assert "Line 2" in page
    assert "Line 1" not in page  # not theirs

    response = client.post(
        reverse("web:notification_chat"),
        {
            "action": "add",
            "url": "tgram://123456789:AAbbCCddEEff/98765",
            "label": "Line 2 chat",
            "line": world.lines[2].pk,
        },
    )
    assert response.status_code == 302
    [target] = ChatTarget.objects.all()
    assert (target.user, target.line) == (None, world.lines[2])
    refused = client.post(
        reverse("web:notification_chat"),
        {"action": "add", "url": "tgram://123456789:AAbbCCddEEff/1", "line": world.lines[1].pk},
    )
    assert refused.status_code == 200
    assert ChatTarget.objects.count() == 1
