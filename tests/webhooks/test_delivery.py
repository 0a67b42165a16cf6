"""Webhooks end to end: planned with the change, delivered through the outbox to a real
endpoint on loopback, signed, retried, refused when the target is private, logged."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client

from sladesk.accounts.services import api_token_create
from sladesk.notifications.choices import DeliveryChannel, NotificationStatus
from sladesk.notifications.models import Notification
from sladesk.notifications.services import notifications_deliver_due
from sladesk.sla.services import sla_install_examples, sla_sweep
from sladesk.tickets import services
from sladesk.tickets.models import TicketClass
from sladesk.webhooks.models import WebhookSubscription
from sladesk.webhooks.signing import DELIVERY_HEADER, SIGNATURE_HEADER, verify
from tests.conftest import World, signed_in
from tests.webhooks.conftest import Receiver

NOW = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)
ALL_EVENTS = ["ticket.created", "ticket.updated", "ticket.commented", "sla.warning", "sla.breach"]


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def subscribe(receiver: Receiver, **fields: object) -> WebhookSubscription:
    values: dict[str, object] = {
        "name": "crm",
        "url": receiver.url,
        "events": ALL_EVENTS,
        "allow_private": True,
    }
    values.update(fields)
    return WebhookSubscription.objects.create(**values)


def webhook_rows() -> list[Notification]:
    return list(Notification.objects.filter(channel=DeliveryChannel.WEBHOOK).order_by("pk"))


def bodies(receiver: Receiver) -> list[dict[str, object]]:
    return [json.loads(body) for _path, _headers, body in receiver.received]


def test_a_new_ticket_reaches_the_endpoint_signed(world: World, receiver: Receiver) -> None:
    subscription = subscribe(receiver, events=["ticket.created"])
    ticket = world.ticket(world.alpha, title="Printer on fire")
    notifications_deliver_due()
    assert len(receiver.received) == 1
    path, headers, body = receiver.received[0]
    assert path == "/hook?x=1"
    assert verify(
        body, headers[SIGNATURE_HEADER], secret=subscription.secret, now=int(NOW.timestamp())
    )
    sent = json.loads(body)
    assert sent["event"] == "ticket.created"
    assert sent["ticket"]["number"] == ticket.number
    assert sent["ticket"]["title"] == "Printer on fire"
    assert [row.status for row in webhook_rows()] == [NotificationStatus.SENT]
    notifications_deliver_due()
    assert len(receiver.received) == 1  # never twice for one event


def test_internal_notes_never_leave_and_public_replies_carry_their_text(
    world: World, receiver: Receiver
) -> None:
    subscribe(receiver, events=["ticket.commented"])
    ticket = world.ticket(world.alpha)
    services.ticket_comment(
        actor=world.agent1, ticket_id=ticket.pk, body="secret note", internal=True
    )
    services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="Please reboot it.")
    notifications_deliver_due()
    sent = bodies(receiver)
    assert [item["event"] for item in sent] == ["ticket.commented"]
    assert sent[0]["details"]["comment"]["body"] == "Please reboot it."  # type: ignore[index]
    assert b"secret note" not in b"".join(body for _p, _h, body in receiver.received)


def test_a_subscription_of_one_customer_hears_only_that_customer(
    world: World, receiver: Receiver
) -> None:
    subscribe(receiver, organisation=world.beta.organisation)
    world.ticket(world.alpha, title="alpha's")
    beta_ticket = world.ticket(world.beta, title="beta's")
    notifications_deliver_due()
    assert {item["ticket"]["id"] for item in bodies(receiver)} == {beta_ticket.pk}  # type: ignore[index]


def test_a_failing_endpoint_is_retried_with_backoff(
    world: World, receiver: Receiver, frozen: time_machine.Coordinates
) -> None:
    subscribe(receiver, events=["ticket.created"])
    receiver.answers = [500, 503]
    world.ticket(world.alpha)
    notifications_deliver_due()
    (row,) = webhook_rows()
    assert (row.status, row.attempts) == (NotificationStatus.PENDING, 1)
    assert "500" in row.last_error
    notifications_deliver_due()  # not due yet
    assert len(receiver.received) == 1
    frozen.shift(dt.timedelta(seconds=31))
    notifications_deliver_due()
    frozen.shift(dt.timedelta(seconds=61))
    notifications_deliver_due()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.SENT, 3)
    assert len(receiver.received) == 3
    assert len({body for _p, _h, body in receiver.received}) == 1  # the same payload each time
    # ... and the same delivery id, for the receiver to drop what it has already taken.
    ids = {headers[DELIVERY_HEADER] for _p, headers, _b in receiver.received}
    assert ids == {row.message_id}
    # The body carries it too, under the signature: a replay cannot pass for a new delivery.
    assert {json.loads(body)["delivery_id"] for _p, _h, body in receiver.received} == ids


def test_a_private_target_is_refused_at_once_unless_allowed(
    world: World, receiver: Receiver
) -> None:
    subscribe(receiver, allow_private=False, events=["ticket.created"])
    world.ticket(world.alpha)
    notifications_deliver_due()
    (row,) = webhook_rows()
    assert (row.status, row.attempts) == (NotificationStatus.FAILED, 1)
    assert receiver.received == []


def test_a_removed_subscription_gets_nothing(world: World, receiver: Receiver) -> None:
    subscription = subscribe(receiver)
    world.ticket(world.alpha)
    subscription.delete()
    notifications_deliver_due()
    assert receiver.received == []
    assert {row.status for row in webhook_rows()} == {NotificationStatus.FAILED}


def test_sla_warnings_and_breaches_are_sent_once(world: World, receiver: Receiver) -> None:
    world.beta.contract.sla_policy = sla_install_examples()["always-request-classes"]
    world.beta.contract.save()
    ticket_class = TicketClass.objects.get(scheme=world.beta.scheme, code="1")
    subscribe(receiver, events=["sla.warning", "sla.breach"])
    world.ticket(world.beta, ticket_class_id=ticket_class.pk)
    with time_machine.travel(NOW + dt.timedelta(days=2), tick=False):
        sla_sweep()
        sla_sweep()
        notifications_deliver_due()
    events = [item["event"] for item in bodies(receiver)]
    assert "sla.breach" in events
    keys = [(row.event_key, row.recipient) for row in webhook_rows()]
    assert len(keys) == len(set(keys))


def admin_client(world: World) -> Client:
    _token, raw = api_token_create(user=world.admin, name="ops", scope="admin")
    return Client(headers={"authorization": f"Bearer {raw}"})


def test_administrators_manage_subscriptions_and_read_the_delivery_log(
    world: World, receiver: Receiver
) -> None:
    client = admin_client(world)
    created = client.post(
        "/api/v1/admin/webhooks",
        {"name": "crm", "url": receiver.url, "events": ["ticket.created"], "allow_private": True},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    webhook = created.json()
    assert len(webhook["secret"]) >= 32
    listed = client.get("/api/v1/admin/webhooks").json()
    assert [item["id"] for item in listed] == [webhook["id"]]
    assert "secret" not in listed[0]

    receiver.answers = [500] * 8
    world.ticket(world.alpha)
    for _ in range(8):
        notifications_deliver_due()
        Notification.objects.update(next_attempt_at=NOW)
    log = client.get(f"/api/v1/admin/webhooks/{webhook['id']}/deliveries").json()
    assert [(item["event"], item["status"], item["attempts"]) for item in log] == [
        ("ticket.created", "failed", 8)
    ]
    again = client.post(
        f"/api/v1/admin/webhooks/{webhook['id']}/deliveries/{log[0]['id']}/redeliver"
    )
    assert again.json()["status"] == "pending"
    notifications_deliver_due()
    assert webhook_rows()[0].status == NotificationStatus.SENT

    switched_off = client.patch(
        f"/api/v1/admin/webhooks/{webhook['id']}",
        {"is_active": False},
        content_type="application/json",
    )
    assert switched_off.json()["is_active"] is False
    assert client.delete(f"/api/v1/admin/webhooks/{webhook['id']}").status_code == 204
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "url": "http://example.org/h", "events": ["ticket.exploded"]}, "events"),
        ({"name": "x", "url": "not a url", "events": ["ticket.created"]}, "url"),
        ({"name": "x", "url": "ftp://files.example/in", "events": ["ticket.created"]}, "url"),
        ({"name": "x", "url": "http://example.org/h", "events": [], "secret": "mine"}, None),
    ],
)
def test_bad_subscriptions_are_refused_with_a_reason(
    world: World, body: dict[str, object], field: str | None
) -> None:
    response = admin_client(world).post(
        "/api/v1/admin/webhooks", body, content_type="application/json"
    )
    assert response.status_code in {400, 422}
    assert response["content-type"].startswith("application/problem+json")
    if field:
        assert field in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_customers_and_agents_cannot_see_webhooks(world: World) -> None:
    for person in (world.alpha.specialist, world.agent1):
        _token, raw = api_token_create(user=person, name="t", scope="write")
        client = Client(headers={"authorization": f"Bearer {raw}"})
        assert client.get("/api/v1/admin/webhooks").status_code == 403


def test_the_admin_form_offers_the_events_as_choices(world: World) -> None:
    client = signed_in(world.admin)
    page = client.get("/admin/webhooks/webhooksubscription/add/")
    assert b'value="sla.breach"' in page.content
    response = client.post(
        "/admin/webhooks/webhooksubscription/add/",
        {
            "name": "pager",
            "url": "https://pager.example/hook",
            "events": ["sla.breach"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content
    assert WebhookSubscription.objects.get().events == ["sla.breach"]
