"""Webhooks through the outbox: which subscriptions an event concerns, and delivery.

Planning writes one outbox row per event and subscription in the event's transaction, with
the payload as it was at that moment; the outbox's worker delivers it (retries with backoff,
at most once per event and subscription). The rows are the delivery log."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.db.models.signals import post_save
from django.utils.translation import gettext as _

from sladesk.accounts.choices import Role
from sladesk.accounts.models import User
from sladesk.core import clock
from sladesk.core.configcache import cached
from sladesk.core.errors import NotFound, PermissionDenied
from sladesk.notifications.choices import DeliveryChannel, NotificationKind, NotificationStatus
from sladesk.notifications.models import Notification
from sladesk.notifications.services import DeliveryRefused, delivery_kick, new_message_id
from sladesk.tickets.choices import CommentKind, EventKind
from sladesk.tickets.models import Comment, Ticket, TicketEvent
from sladesk.tickets.selectors import VENDOR_ONLY_EVENTS
from sladesk.webhooks.models import WebhookEvent, WebhookSubscription
from sladesk.webhooks.signing import DELIVERY_HEADER, SIGNATURE_HEADER, sign
from sladesk.webhooks.transport import WebhookRefused, post

if TYPE_CHECKING:
    from sladesk.knowledge.models import Article
    from sladesk.releases.models import Release
    from sladesk.sla.models import SlaEvent

RECIPIENT_PREFIX = "webhook:"


class WebhookFailed(Exception):
    """The endpoint did not take the delivery; the outbox retries it."""


# --- planning ----------------------------------------------------------------------------


def connect() -> None:
    post_save.connect(_on_event, sender=TicketEvent, dispatch_uid="webhooks_plan")


def _on_event(sender: type[TicketEvent], instance: TicketEvent, created: bool, **_: Any) -> None:
    if created:
        webhooks_for_ticket_event(instance)


def event_type_of(event: TicketEvent) -> str | None:
    """The webhook event a ticket event is, if any (internal notes and files are none)."""
    if event.kind == EventKind.REGISTERED:
        return WebhookEvent.TICKET_CREATED
    if event.kind == EventKind.COMMENTED:
        return (
            WebhookEvent.TICKET_COMMENTED if event.data.get("kind") == CommentKind.PUBLIC else None
        )
    if event.kind == EventKind.ATTACHMENT_ADDED and event.data.get("internal"):
        return None
    if event.kind in VENDOR_ONLY_EVENTS:
        return None  # a subscription may be the customer's own
    return WebhookEvent.TICKET_UPDATED


def subscriptions_for(*, event_type: str, ticket: Ticket) -> list[WebhookSubscription]:
    subscriptions = cached(
        ("webhook_subscriptions", ticket.organisation_id),
        lambda: list(
            WebhookSubscription.objects.filter(is_active=True).filter(
                Q(organisation__isnull=True) | Q(organisation_id=ticket.organisation_id)
            )
        ),
    )
    return [s for s in subscriptions if event_type in s.events]


def payload(*, event_type: str, ticket: Ticket, at: str, details: dict[str, Any]) -> dict[str, Any]:
    """What a receiver gets: the event, the ticket's public facts and the change."""
    return {
        "event": event_type,
        "at": at,
        "ticket": {
            "id": ticket.pk,
            "number": ticket.number,
            "organisation_id": ticket.organisation_id,
            "title": ticket.title,
            "status": ticket.status,
            "priority": ticket.priority,
            "sla_state": ticket.sla_state,
        },
        "details": details,
    }


def _ticket_event_details(event: TicketEvent) -> dict[str, Any]:
    details: dict[str, Any] = {
        "event_id": event.pk,
        "kind": event.kind,
        "field": event.field,
        "before": event.before,
        "after": event.after,
        "actor_id": event.actor_id,
    }
    if event.kind == EventKind.COMMENTED:
        comment = Comment.objects.filter(pk=event.data.get("comment_id")).first()
        if comment is not None:
            details["comment"] = {
                "id": comment.pk,
                "author_id": comment.author_id,
                "body": comment.body,
            }
    return details


def webhooks_for_ticket_event(event: TicketEvent) -> list[Notification]:
    event_type = event_type_of(event)
    if event_type is None:
        return []
    return _enqueue(
        event_key=f"ticket-event:{event.pk}",
        event_type=event_type,
        ticket=event.ticket,
        at=event.at.isoformat(),
        details=_ticket_event_details(event),
    )


def webhooks_for_sla_event(*, ticket: Ticket, event: SlaEvent) -> list[Notification]:
    """Called by the SLA sweep in the transaction that records a warning or a breach."""
    from sladesk.sla.choices import SlaEventKind

    types = {
        SlaEventKind.WARNING: WebhookEvent.SLA_WARNING,
        SlaEventKind.BREACH: WebhookEvent.SLA_BREACH,
    }
    event_type = types.get(SlaEventKind(event.kind))
    if event_type is None:
        return []
    return _enqueue(
        event_key=f"sla-event:{event.pk}",
        event_type=event_type,
        ticket=ticket,
        at=event.at.isoformat(),
        details={
            "sla_event_id": event.pk,
            "clock": event.clock,
            "threshold": event.threshold,
            "due_at": event.due_at.isoformat() if event.due_at else None,
        },
    )


def _enqueue(
    *, event_key: str, event_type: str, ticket: Ticket, at: str, details: dict[str, Any]
) -> list[Notification]:
    subscriptions = subscriptions_for(event_type=event_type, ticket=ticket)
    if not subscriptions:
        return []
    body = payload(event_type=event_type, ticket=ticket, at=at, details=details)
    return _write(
        subscriptions, event_key=event_key, event_type=event_type, ticket=ticket, body=body
    )


def _write(
    subscriptions: list[WebhookSubscription],
    *,
    event_key: str,
    event_type: str,
    ticket: Ticket | None,
    body: dict[str, Any],
) -> list[Notification]:
    """One outbox row per subscription, the body as it is now (each at most once)."""
    now = clock.now()
    written = []
    for subscription in subscriptions:
        try:
            with transaction.atomic():
                written.append(
                    Notification.objects.create(
                        channel=DeliveryChannel.WEBHOOK,
                        kind=NotificationKind.WEBHOOK,
                        event_key=event_key,
                        recipient=f"{RECIPIENT_PREFIX}{subscription.pk}",
                        ticket=ticket,
                        message_id=new_message_id(),
                        subject=event_type,
                        data=body,
                        created_at=now,
                        next_attempt_at=now,
                    )
                )
        except IntegrityError:
            continue  # already planned for this event and subscription
    if written:
        transaction.on_commit(delivery_kick)
    return written


# --- delivery ----------------------------------------------------------------------------


def webhook_deliver(
    *, url: str, secret: str, body: dict[str, Any], allow_private: bool, delivery_id: str
) -> int:
    """POST the signed JSON; a 2xx answer is delivered. Raises WebhookFailed to retry, or
    WebhookRefused when the target may not be called (no retry helps).

    Delivery is at least once (an answer lost on the way means sending again): every
    attempt of one delivery carries the same `delivery_id`, for the receiver to recognise,
    in the header and in the signed body (so a replay cannot pass as another delivery)."""
    data = json.dumps({**body, "delivery_id": delivery_id}, sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "sladesk-webhooks",
        DELIVERY_HEADER: delivery_id,
        SIGNATURE_HEADER: sign(data, secret=secret, timestamp=int(time.time())),
    }
    try:
        delivery = post(url, data, headers, allow_private=allow_private)
    except WebhookRefused:
        raise
    except OSError as error:
        raise WebhookFailed(_("Connection failed: %(error)s") % {"error": error}) from error
    if not 200 <= delivery.status < 300:
        raise WebhookFailed(_("The endpoint answered %(status)d.") % {"status": delivery.status})
    return delivery.status


def deliver_webhook(notification: Notification) -> None:
    """The outbox's deliverer for `DeliveryChannel.WEBHOOK` rows."""
    subscription_id = notification.recipient.removeprefix(RECIPIENT_PREFIX)
    subscription = WebhookSubscription.objects.filter(pk=subscription_id, is_active=True).first()
    if subscription is None:
        raise DeliveryRefused(_("The subscription was removed or switched off."))
    try:
        webhook_deliver(
            url=subscription.url,
            secret=subscription.secret,
            body=notification.data,
            allow_private=subscription.allow_private,
            delivery_id=notification.message_id,
        )
    except WebhookRefused as error:
        raise DeliveryRefused(str(error)) from error


# --- administration ----------------------------------------------------------------------


def _administrator(actor: User) -> None:
    if actor.role != Role.ADMINISTRATOR:
        raise PermissionDenied(_("Only an administrator may do this."))


def webhook_deliveries(*, actor: User, subscription_id: int) -> QuerySet[Notification]:
    """The delivery log of one subscription, newest first."""
    _administrator(actor)
    if not WebhookSubscription.objects.filter(pk=subscription_id).exists():
        raise NotFound(_("Not found."))
    return Notification.objects.filter(
        channel=DeliveryChannel.WEBHOOK, recipient=f"{RECIPIENT_PREFIX}{subscription_id}"
    ).order_by("-created_at", "-id")


def webhook_redeliver(*, actor: User, subscription_id: int, delivery_id: int) -> Notification:
    """Send a failed delivery again (after the endpoint was mended)."""
    row = (
        webhook_deliveries(actor=actor, subscription_id=subscription_id)
        .filter(pk=delivery_id)
        .first()
    )
    if row is None:
        raise NotFound(_("Not found."))
    if row.status == NotificationStatus.FAILED:
        row.status = NotificationStatus.PENDING
        row.attempts = 0
        row.next_attempt_at = clock.now()
        row.save(update_fields=["status", "attempts", "next_attempt_at"])
        transaction.on_commit(delivery_kick)
    return row


# --- knowledge base ----------------------------------------------------------------------


def webhooks_for_article(article: Article, *, created: bool) -> list[Notification]:
    """Called by every save of an article, in its transaction. A customer's subscription
    hears only of published articles its organisation may read; the support team's (no
    organisation) of every article, drafts and internal ones too."""
    event_type = WebhookEvent.ARTICLE_CREATED if created else WebhookEvent.ARTICLE_UPDATED
    subscriptions = [
        s
        for s in WebhookSubscription.objects.filter(is_active=True)
        if event_type in s.events and _may_hear_of(s, article)
    ]
    body = {
        "event": event_type,
        "at": article.updated_at.isoformat(),
        "article": {
            "id": article.pk,
            "title": article.title,
            "language": article.language,
            "status": article.status,
            "audience": article.audience,
            "organisation_id": article.organisation_id,
            "version": article.version,
        },
    }
    return _write(
        subscriptions,
        event_key=f"article-version:{article.pk}:{article.version}",
        event_type=event_type,
        ticket=None,
        body=body,
    )


def _may_hear_of(subscription: WebhookSubscription, article: Article) -> bool:
    from sladesk.knowledge.choices import ArticleStatus, Audience

    if subscription.organisation_id is None:
        return True
    if article.status != ArticleStatus.PUBLISHED:
        return False
    if article.audience == Audience.ORGANISATION:
        return article.organisation_id == subscription.organisation_id
    return article.audience in (Audience.PUBLIC, Audience.CUSTOMERS)


# --- releases ----------------------------------------------------------------------------


def webhooks_for_release(release: Release, *, shipped: bool = False) -> list[Notification]:
    """Called by every change of a release, in its transaction. A customer's subscription
    hears only of the releases its organisation may see (`releases.selectors`); the
    support team's (no organisation) of every release."""
    from sladesk.releases.choices import ReleaseStatus

    event_type = WebhookEvent.RELEASE_SHIPPED if shipped else WebhookEvent.RELEASE_UPDATED
    customers_may_see = release.status != ReleaseStatus.CANCELLED
    subscriptions = [
        s
        for s in WebhookSubscription.objects.filter(is_active=True)
        if event_type in s.events
        and (
            s.organisation_id is None
            or (customers_may_see and s.organisation_id == release.service.organisation_id)
        )
    ]
    body = {
        "event": event_type,
        "at": release.updated_at.isoformat(),
        "release": {
            "id": release.pk,
            "service_id": release.service_id,
            "version": release.version,
            "status": release.status,
            "planned_on": release.planned_on.isoformat(),
            "shipped_at": release.shipped_at.isoformat() if release.shipped_at else None,
            "organisation_id": release.organisation_id,
        },
    }
    key = "shipped" if shipped else release.updated_at.isoformat()
    return _write(
        subscriptions,
        event_key=f"release:{release.pk}:{key}",
        event_type=event_type,
        ticket=None,
        body=body,
    )
