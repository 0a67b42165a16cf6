"""Monitoring: alert notifications in (an alert source's token), alert sources (admin)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Body, Router, Schema
from ninja.responses import Status
from ninja.security import HttpBearer
from pydantic import Field, StrictBool

from sladesk.api.administration import admin, get_or_404, save_payload
from sladesk.api.schemas import StrictIn
from sladesk.channels.models import AlertSource, InboundAlert
from sladesk.channels.monitoring.services import (
    alert_notification_receive,
    alert_source_authenticate,
    alert_source_issue_token,
)

router = Router(tags=["monitoring"])


class SourceAuth(HttpBearer):
    """`Authorization: Bearer <alert source token>`: a source, not a person."""

    def authenticate(self, request: HttpRequest, token: str) -> AlertSource | None:
        return alert_source_authenticate(token)


class ReceivedAlertOut(Schema):
    id: int
    fingerprint: str
    alert_status: str
    status: str = Field(description="pending, processed, ignored or quarantined")
    reason: str
    ticket_number: str | None

    @staticmethod
    def resolve_ticket_number(alert: InboundAlert) -> str | None:
        return alert.ticket.number if alert.ticket else None

    @staticmethod
    def resolve_reason(alert: InboundAlert) -> str:
        # A pending alert's reason is the last error, for the administrator, not the sender.
        return "waiting to be processed" if alert.status == "pending" else alert.reason


class ReceivedOut(Schema):
    alerts: list[ReceivedAlertOut]


NOTIFICATION_DOC = (
    "An Alertmanager webhook notification (version 4): `alerts` is a list of objects with "
    "`status` (firing or resolved), `labels`, `annotations`, `startsAt`, `endsAt`, "
    "`generatorURL` and `fingerprint` (a digest of the labels when absent). A firing alert "
    "opens an incident for the source's organisation, or reopens or annotates the one its "
    "fingerprint already has; a repeat changes nothing."
)


@router.post(
    "/monitoring/alerts",
    auth=SourceAuth(),
    response={202: ReceivedOut},
    openapi_extra={"description": NOTIFICATION_DOC},
)
def receive_alerts(
    request: HttpRequest,
    notification: dict[str, Any] = Body(...),  # noqa: B008  # ninja's idiom
) -> Status[dict[str, Any]]:
    source: AlertSource = request.auth  # type: ignore[attr-defined]  # set by SourceAuth
    rows = alert_notification_receive(source=source, payload=notification)
    return Status(202, {"alerts": rows})


class AlertSourceOut(Schema):
    id: int
    name: str
    organisation_id: int
    service_id: int | None
    ticket_class_id: int | None
    max_new_tickets_per_hour: int
    is_active: bool
    token_prefix: str
    created_at: dt.datetime
    last_received_at: dt.datetime | None


class AlertSourceIn(StrictIn):
    name: str = Field(min_length=1, max_length=100)
    organisation_id: int
    service_id: int | None = None
    ticket_class_id: int | None = None
    max_new_tickets_per_hour: int = Field(20, ge=0, le=100_000)
    is_active: StrictBool = True


class AlertSourcePatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=100)
    service_id: int | None = None
    ticket_class_id: int | None = None
    max_new_tickets_per_hour: int | None = Field(None, ge=0, le=100_000)
    is_active: StrictBool | None = None


class TokenOut(Schema):
    token: str = Field(description="Shown once; the source's earlier token stops working.")


@router.get("/admin/alert-sources", response=list[AlertSourceOut])
def alert_sources(request: HttpRequest) -> QuerySet[AlertSource]:
    admin(request)
    return AlertSource.objects.order_by("name", "pk")


@router.post("/admin/alert-sources", response={201: AlertSourceOut})
def create_alert_source(request: HttpRequest, payload: AlertSourceIn) -> Status[AlertSource]:
    return Status(201, save_payload(admin(request), AlertSource(), payload))


@router.patch("/admin/alert-sources/{source_id}", response=AlertSourceOut)
def update_alert_source(
    request: HttpRequest, source_id: int, payload: AlertSourcePatch
) -> AlertSource:
    actor = admin(request)  # before the lookup: a refusal must not tell which ids exist
    return save_payload(actor, get_or_404(AlertSource.objects.all(), source_id), payload)


@router.post("/admin/alert-sources/{source_id}/token", response=TokenOut)
def issue_alert_source_token(request: HttpRequest, source_id: int) -> dict[str, str]:
    return {"token": alert_source_issue_token(actor=admin(request), source_id=source_id)}
