"""Webhook subscriptions and their delivery log (admin scope)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field, StrictBool

from sladesk.api.administration import admin, get_or_404, save_payload
from sladesk.api.schemas import StrictIn
from sladesk.notifications.models import Notification
from sladesk.webhooks.models import WebhookSubscription
from sladesk.webhooks.services import webhook_deliveries, webhook_redeliver

router = Router(tags=["webhooks"])


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    organisation_id: int | None
    allow_private: bool
    is_active: bool
    created_at: dt.datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="Shown once: verify the X-Sladesk-Signature header with it.")


class WebhookIn(StrictIn):
    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, max_length=1000)
    events: list[str] = Field(min_length=1, max_length=20)
    organisation_id: int | None = None
    allow_private: StrictBool = False
    is_active: StrictBool = True


class WebhookPatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=200)
    url: str | None = Field(None, min_length=1, max_length=1000)
    events: list[str] | None = Field(None, min_length=1, max_length=20)
    allow_private: StrictBool | None = None
    is_active: StrictBool | None = None


class DeliveryOut(Schema):
    id: int
    event: str = Field(alias="subject")
    event_key: str
    ticket_id: int | None
    status: str
    attempts: int
    last_error: str
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    sent_at: dt.datetime | None
    payload: dict[str, object] = Field(alias="data")


@router.get("/admin/webhooks", response=list[WebhookOut])
def subscriptions(request: HttpRequest) -> QuerySet[WebhookSubscription]:
    admin(request)
    return WebhookSubscription.objects.order_by("name", "pk")


@router.post("/admin/webhooks", response={201: WebhookCreatedOut})
def create_subscription(request: HttpRequest, payload: WebhookIn) -> Status[WebhookSubscription]:
    return Status(201, save_payload(admin(request), WebhookSubscription(), payload))


@router.patch("/admin/webhooks/{webhook_id}", response=WebhookOut)
def update_subscription(
    request: HttpRequest, webhook_id: int, payload: WebhookPatch
) -> WebhookSubscription:
    return save_payload(
        admin(request), get_or_404(WebhookSubscription.objects.all(), webhook_id), payload
    )


@router.delete("/admin/webhooks/{webhook_id}", response={204: None})
def delete_subscription(request: HttpRequest, webhook_id: int) -> Status[None]:
    admin(request)
    get_or_404(WebhookSubscription.objects.all(), webhook_id).delete()
    return Status(204, None)


@router.get("/admin/webhooks/{webhook_id}/deliveries", response=list[DeliveryOut])
def deliveries(request: HttpRequest, webhook_id: int) -> list[Notification]:
    """The latest 100 deliveries, newest first."""
    return list(webhook_deliveries(actor=admin(request), subscription_id=webhook_id)[:100])


@router.post(
    "/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", response=DeliveryOut
)
def redeliver(request: HttpRequest, webhook_id: int, delivery_id: int) -> Notification:
    """Send a failed delivery again."""
    return webhook_redeliver(
        actor=admin(request), subscription_id=webhook_id, delivery_id=delivery_id
    )
