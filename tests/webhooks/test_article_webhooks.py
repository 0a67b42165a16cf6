"""Article webhooks: the support team's subscriptions hear of every save, drafts and
internal articles too; a customer's only of published articles its organisation may read."""

from __future__ import annotations

import datetime as dt
import json

import time_machine

from sladesk.knowledge.models import Article
from sladesk.knowledge.services import ArticleDraft, article_create, article_update
from sladesk.notifications.choices import DeliveryChannel
from sladesk.notifications.models import Notification
from sladesk.notifications.services import notifications_deliver_due
from sladesk.webhooks.models import WebhookSubscription
from sladesk.webhooks.signing import SIGNATURE_HEADER, verify
from tests.conftest import World
from tests.webhooks.conftest import Receiver

ARTICLE_EVENTS = ["article.created", "article.updated"]
NOW = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)


def subscribe(name: str, **fields: object) -> WebhookSubscription:
    values: dict[str, object] = {
        "name": name,
        "url": f"https://{name}.example/hook",
        "events": ARTICLE_EVENTS,
    }
    values.update(fields)
    return WebhookSubscription.objects.create(**values)


def heard(subscription: WebhookSubscription) -> list[tuple[str, int, int]]:
    """(event, article id, version) of each outbox row of the subscription, in order."""
    rows = Notification.objects.filter(
        channel=DeliveryChannel.WEBHOOK, recipient=f"webhook:{subscription.pk}"
    ).order_by("pk")
    return [
        (row.data["event"], row.data["article"]["id"], row.data["article"]["version"])
        for row in rows
    ]


def write(world: World, title: str, **fields: object) -> Article:
    draft = ArticleDraft(title=title, **fields)  # type: ignore[arg-type]
    return article_create(actor=world.agent1, draft=draft)


def change(world: World, article: Article, **changes: object) -> Article:
    return article_update(
        actor=world.agent1,
        article_id=article.pk,
        expected_version=article.version,
        changes=changes,
    )


def test_the_support_teams_subscription_hears_of_every_save(world: World) -> None:
    desk = subscribe("desk")
    tickets_only = subscribe("tickets", events=["ticket.created"])
    draft = write(world, "Cluster restart", body="Internal steps.")
    assert (draft.status, draft.audience) == ("draft", "internal")
    draft = change(world, draft, body="Better internal steps.")
    change(world, draft, body="Better internal steps.")  # nothing changed: nothing sent
    assert heard(desk) == [("article.created", draft.pk, 1), ("article.updated", draft.pk, 2)]
    assert heard(tickets_only) == []
    row = Notification.objects.filter(recipient=f"webhook:{desk.pk}").order_by("pk").first()
    assert row is not None
    assert row.data["article"] == {
        "id": draft.pk,
        "title": "Cluster restart",
        "language": "en",
        "status": "draft",
        "audience": "internal",
        "organisation_id": None,
        "version": 1,
    }
    assert "body" not in row.data["article"]  # a hook is told of the save, not given the text


def test_a_customers_subscription_never_hears_of_others_or_internal_articles(
    world: World,
) -> None:
    beta = subscribe("beta", organisation=world.beta.organisation)
    internal = write(world, "Internal", status="published", audience="internal")
    alpha_only = write(
        world,
        "Alpha gateway",
        status="published",
        audience="organisation",
        organisation_id=world.alpha.organisation.pk,
    )
    draft = write(world, "Coming soon", audience="customers")
    change(world, internal, body="Still internal.")
    change(world, alpha_only, body="Still Alpha's.")
    assert heard(beta) == []

    published = change(world, draft, status="published")
    beta_only = write(
        world,
        "Beta gateway",
        status="published",
        audience="organisation",
        organisation_id=world.beta.organisation.pk,
    )
    public = write(world, "Opening hours", status="published", audience="public")
    assert heard(beta) == [
        ("article.updated", published.pk, 2),
        ("article.created", beta_only.pk, 1),
        ("article.created", public.pk, 1),
    ]
    # Moved to Alpha only, or back to the team: Beta hears no more of it.
    change(world, beta_only, organisation_id=world.alpha.organisation.pk)
    change(world, public, audience="internal")
    assert len(heard(beta)) == 3


def test_an_article_hook_is_delivered_signed(world: World, receiver: Receiver) -> None:
    subscription = subscribe("desk", url=receiver.url, allow_private=True)
    with time_machine.travel(NOW, tick=False):
        article = write(world, "Printer offline", status="published", audience="customers")
        notifications_deliver_due()
        notifications_deliver_due()
    assert len(receiver.received) == 1  # once
    _path, headers, body = receiver.received[0]
    assert verify(
        body, headers[SIGNATURE_HEADER], secret=subscription.secret, now=int(NOW.timestamp())
    )
    sent = json.loads(body)
    assert (sent["event"], sent["article"]["id"]) == ("article.created", article.pk)
