"""Release webhooks: the support team's subscriptions hear of every release planned, changed
and shipped; a customer's only of the releases its organisation may see."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import time_machine
from django.test import Client

from sladesk.accounts.services import api_token_create
from sladesk.notifications.choices import DeliveryChannel
from sladesk.notifications.models import Notification
from sladesk.notifications.services import notifications_deliver_due
from sladesk.releases.services import ReleaseDraft, release_create, release_ship
from sladesk.webhooks.models import WebhookSubscription
from sladesk.webhooks.signing import SIGNATURE_HEADER, verify
from tests.conftest import World
from tests.webhooks.conftest import Receiver

RELEASE_EVENTS = ["release.updated", "release.shipped"]
NOW = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)


def soon(days: int = 30) -> dt.date:
    return dt.datetime.now(tz=dt.UTC).date() + dt.timedelta(days=days)


def subscribe(name: str, **fields: object) -> WebhookSubscription:
    values: dict[str, object] = {
        "name": name,
        "url": f"https://{name}.example/hook",
        "events": RELEASE_EVENTS,
    }
    values.update(fields)
    return WebhookSubscription.objects.create(**values)


def heard(subscription: WebhookSubscription) -> list[tuple[str, int, str]]:
    """(event, release id, status) of each outbox row of the subscription, in order."""
    rows = Notification.objects.filter(
        channel=DeliveryChannel.WEBHOOK, recipient=f"webhook:{subscription.pk}"
    ).order_by("pk")
    return [
        (row.data["event"], row.data["release"]["id"], row.data["release"]["status"])
        for row in rows
    ]


def agent_client(world: World) -> Client:
    _token, raw = api_token_create(user=world.agent1, name="t", scope="write")
    return Client(headers={"authorization": f"Bearer {raw}"})


def send(client: Client, method: str, url: str, body: Any = None) -> Any:
    response = client.generic(method, url, json.dumps(body), content_type="application/json")
    assert response.status_code in {200, 201}, response.content
    return response.json()


def plan(world: World, version: str, customer: Any, **fields: Any) -> int:
    release = release_create(
        actor=world.agent1,
        draft=ReleaseDraft(
            service_id=customer.service.pk, version=version, planned_on=soon(), **fields
        ),
    )
    return release.pk


def test_the_support_teams_subscription_hears_of_every_change_and_the_shipping(
    world: World,
) -> None:
    desk = subscribe("desk")
    tickets_only = subscribe("tickets", events=["ticket.created"])
    agent = agent_client(world)
    created = send(
        agent,
        "POST",
        "/api/v1/releases",
        {"service_id": world.alpha.service.pk, "version": "2.1", "planned_on": soon().isoformat()},
    )
    url = f"/api/v1/releases/{created['id']}"
    send(agent, "PATCH", url, {"planned_on": soon(40).isoformat()})
    send(agent, "PATCH", url, {"status": "testing"})
    send(agent, "PATCH", url, {"status": "testing"})  # nothing changed: nothing sent
    send(agent, "POST", f"{url}/ship")
    release_id = created["id"]
    assert heard(desk) == [
        ("release.updated", release_id, "planned"),
        ("release.updated", release_id, "planned"),
        ("release.updated", release_id, "testing"),
        ("release.shipped", release_id, "released"),
    ]
    assert heard(tickets_only) == []
    row = Notification.objects.filter(recipient=f"webhook:{desk.pk}").order_by("pk")[1]
    assert row.data["release"] == {
        "id": release_id,
        "service_id": world.alpha.service.pk,
        "version": "2.1",
        "status": "planned",
        "planned_on": soon(40).isoformat(),
        "shipped_at": None,
        "organisation_id": None,
    }
    assert row.data["event"] == "release.updated"


def test_a_customers_subscription_never_hears_of_another_organisations_releases(
    world: World,
) -> None:
    beta = subscribe("beta", organisation=world.beta.organisation)
    shared = plan(world, "2.1", world.alpha)
    personal = plan(world, "2.2", world.alpha, organisation_id=world.alpha.organisation.pk)
    agent = agent_client(world)
    send(agent, "PATCH", f"/api/v1/releases/{shared}", {"name": "Autumn"})
    send(agent, "POST", f"/api/v1/releases/{personal}/ship")
    assert heard(beta) == []

    own = plan(world, "7.1", world.beta)
    release_ship(actor=world.agent1, release_id=own)
    assert heard(beta) == [
        ("release.updated", own, "planned"),
        ("release.shipped", own, "released"),
    ]


def test_a_customer_hears_nothing_of_a_cancelled_release(world: World) -> None:
    alpha = subscribe("alpha", organisation=world.alpha.organisation)
    release_id = plan(world, "2.1", world.alpha)
    send(agent_client(world), "PATCH", f"/api/v1/releases/{release_id}", {"status": "cancelled"})
    assert heard(alpha) == [("release.updated", release_id, "planned")]


def test_a_release_hook_is_delivered_signed(world: World, receiver: Receiver) -> None:
    subscription = subscribe("desk", url=receiver.url, allow_private=True)
    with time_machine.travel(NOW, tick=False):
        release_id = plan(world, "2.1", world.alpha)
        notifications_deliver_due()
        notifications_deliver_due()
    assert len(receiver.received) == 1  # once
    _path, headers, body = receiver.received[0]
    assert verify(
        body, headers[SIGNATURE_HEADER], secret=subscription.secret, now=int(NOW.timestamp())
    )
    sent = json.loads(body)
    assert (sent["event"], sent["release"]["id"]) == ("release.updated", release_id)
