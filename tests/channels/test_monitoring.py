"""Monitoring intake: Alertmanager notifications open, annotate and reopen incidents."""

from __future__ import annotations

import contextlib
import copy
import json
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from sladesk.accounts.services import api_token_create
from sladesk.channels.choices import InboundStatus
from sladesk.channels.models import AlertSource, InboundAlert
from sladesk.channels.monitoring import services as monitoring
from sladesk.channels.monitoring.alerts import (
    AlertPayloadError,
    AlertStatus,
    IncidentState,
    Step,
    labels_fingerprint,
    next_step,
    parse_notification,
)
from sladesk.core.errors import PermissionDenied
from sladesk.tickets import services
from sladesk.tickets.choices import Channel, CommentKind
from sladesk.tickets.models import Ticket
from tests.conftest import World, signed_in

FIRING = json.loads((Path(__file__).parent / "alerts" / "alertmanager_firing.json").read_text())
URL = "/api/v1/monitoring/alerts"


def notification(*, status: str = "firing", starts_at: str | None = None, count: int = 1) -> Any:
    """The captured notification with its first `count` alerts, all in `status`."""
    body = copy.deepcopy(FIRING)
    body["status"] = status
    body["alerts"] = body["alerts"][:count]
    for alert in body["alerts"]:
        alert["status"] = status
        if starts_at:
            alert["startsAt"] = starts_at
    return body


@pytest.fixture
def source(world: World) -> AlertSource:
    return AlertSource.objects.create(
        name="alpha prometheus", organisation=world.alpha.organisation, service=world.alpha.service
    )


@pytest.fixture
def sender(world: World, source: AlertSource) -> Client:
    token = monitoring.alert_source_issue_token(actor=world.admin, source_id=source.pk)
    return Client(headers={"authorization": f"Bearer {token}"})


@pytest.fixture
def mend(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Registering an incident fails (secret internals in the error) until `mend()`."""

    def broken(**_kwargs: object) -> Ticket:
        raise RuntimeError("database went away, secret internals")

    monkeypatch.setattr(monitoring, "ticket_register_for_sender", broken)
    return monkeypatch.undo


def post(client: Client, body: Any) -> Any:
    return client.post(URL, json.dumps(body), content_type="application/json")


def incident() -> Ticket:
    return Ticket.objects.get()


def resolved_incident(world: World, sender: Client) -> Ticket:
    """The incident a firing alert opened, resolved by line 1."""
    post(sender, notification())
    ticket = incident()
    services.ticket_assign(actor=world.agent1, ticket_id=ticket.pk, assignee_id=world.agent1.pk)
    services.ticket_resolve(actor=world.agent1, ticket_id=ticket.pk, resolution="Rebooted.")
    return ticket


def notes(ticket: Ticket) -> list[str]:
    return list(
        ticket.comments.filter(kind=CommentKind.SYSTEM)
        .order_by("pk")
        .values_list("body", flat=True)
    )


# --- reading a notification (pure) ----------------------------------------------------------


def test_a_captured_notification_reads_as_its_alerts() -> None:
    first, second = parse_notification(FIRING)
    assert first.fingerprint == "3e1f2c9a7b6d5e40"
    assert first.status == AlertStatus.FIRING
    assert first.title == "db1.alpha.example is down"
    assert first.severity == "critical"
    assert first.starts_at is not None
    assert first.starts_at.isoformat() == "2026-12-03T09:14:07.123456+00:00"  # nanoseconds cut
    assert first.ends_at is None  # Go's zero time: not ended
    assert "runbook_url: https://wiki.alpha.example/runbooks/host-down" in first.description
    assert second.title == "HostDown app2.alpha.example:9100"  # no summary: name and instance
    assert second.starts_at is not None
    assert second.starts_at.isoformat() == "2026-12-03T06:15:37.500000+00:00"


def test_an_alert_without_a_fingerprint_is_known_by_its_labels_in_any_order() -> None:
    one = {"alerts": [{"labels": {"alertname": "Disk", "instance": "a"}}]}
    other = {"alerts": [{"labels": {"instance": "a", "alertname": "Disk"}}]}
    assert parse_notification(one)[0].fingerprint == parse_notification(other)[0].fingerprint
    assert parse_notification(one)[0].fingerprint == labels_fingerprint(
        {"alertname": "Disk", "instance": "a"}
    )
    assert parse_notification(one)[0].status == AlertStatus.FIRING


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ([], "JSON object"),
        ({"alerts": []}, "non-empty list"),
        ({"alerts": [{"labels": {"a": "b"}}] * 501}, "at most 500"),
        ({"alerts": ["down"]}, r"alerts\[0\] must be an object"),
        ({"alerts": [{"labels": {"a": ["b"]}}]}, "labels must be an object of strings"),
        ({"alerts": [{"labels": {"a": "b"}, "status": "pending"}]}, "firing or resolved"),
        ({"alerts": [{"annotations": {"summary": "x"}}]}, "needs labels or a fingerprint"),
        ({"alerts": [{"fingerprint": "f", "startsAt": "yesterday"}]}, "RFC 3339"),
        ({"alerts": [{"fingerprint": "f", "startsAt": "2026-12-03T09:00:00"}]}, "offset"),
        ({"alerts": [{"fingerprint": "f" * 101}]}, "at most 100 characters"),
    ],
)
def test_a_notification_it_cannot_read_is_refused_with_the_reason(body: Any, reason: str) -> None:
    with pytest.raises(AlertPayloadError, match=reason):
        parse_notification(body)


FIRE, CLEAR = AlertStatus.FIRING, AlertStatus.RESOLVED


@pytest.mark.parametrize(
    ("status", "incident_state", "last", "step"),
    [
        (FIRE, IncidentState.NONE, None, Step.OPEN),
        (FIRE, IncidentState.NONE, CLEAR, Step.OPEN),  # the last incident was closed
        (FIRE, IncidentState.OPEN, FIRE, Step.NOTHING),  # Alertmanager's repeat
        (FIRE, IncidentState.OPEN, CLEAR, Step.NOTE_FIRING),
        (FIRE, IncidentState.RESOLVED, CLEAR, Step.REOPEN),
        (FIRE, IncidentState.RESOLVED, FIRE, Step.REOPEN),  # resolved while still firing
        (CLEAR, IncidentState.OPEN, FIRE, Step.NOTE_RESOLVED),
        (CLEAR, IncidentState.OPEN, CLEAR, Step.NOTHING),
        (CLEAR, IncidentState.RESOLVED, FIRE, Step.NOTHING),  # never resolves for the line
        (CLEAR, IncidentState.NONE, None, Step.NOTHING),
    ],
)
def test_what_an_alert_does_to_its_incident(
    status: AlertStatus, incident_state: IncidentState, last: AlertStatus | None, step: Step
) -> None:
    assert next_step(status, incident=incident_state, last=last) == step


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=20,
)


@given(
    JSON,
    st.lists(
        st.dictionaries(
            st.sampled_from(["labels", "status", "startsAt", "fingerprint", "annotations"]), JSON
        ),
        max_size=3,
    ),
)
def test_any_json_reads_as_alerts_or_is_refused_never_an_error(top: Any, alerts: Any) -> None:
    for body in (top, {"alerts": alerts}):
        with contextlib.suppress(AlertPayloadError):
            parse_notification(body)


# --- the endpoint and the incident ----------------------------------------------------------


def test_a_firing_alert_opens_an_incident_for_the_sources_organisation(
    world: World, source: AlertSource, sender: Client
) -> None:
    response = post(sender, notification())
    assert response.status_code == 202
    [received] = response.json()["alerts"]
    ticket = incident()
    assert received["status"] == InboundStatus.PROCESSED
    assert received["ticket_number"] == ticket.number
    assert ticket.organisation == world.alpha.organisation
    assert ticket.service == world.alpha.service
    assert ticket.channel == Channel.MONITORING
    assert ticket.title == "db1.alpha.example is down"
    assert ticket.impact == ticket.urgency == "high"  # severity critical
    assert ticket.contact == "alpha prometheus"
    assert "monitoring" in ticket.tags.values_list("name", flat=True)
    assert "instance: db1.alpha.example:9100" in ticket.description
    stored = InboundAlert.objects.get()
    assert stored.payload == FIRING["alerts"][0]  # kept as received
    source.refresh_from_db()
    assert source.last_received_at is not None


def test_each_alert_of_a_notification_is_its_own_incident(sender: Client) -> None:
    response = post(sender, notification(count=2))
    assert [alert["status"] for alert in response.json()["alerts"]] == ["processed"] * 2
    assert sorted(Ticket.objects.values_list("impact", flat=True)) == ["high", "medium"]


def test_a_redelivered_notification_changes_nothing(sender: Client) -> None:
    first = post(sender, notification()).json()
    again = post(sender, notification())
    assert again.status_code == 202
    assert again.json() == first
    assert InboundAlert.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_repeats_resolve_and_fire_again_annotate_the_open_incident(
    world: World, sender: Client
) -> None:
    post(sender, notification())
    ticket = incident()
    # A sender that gives no start time: a repeat is stored and changes nothing.
    repeat = notification()
    del repeat["alerts"][0]["startsAt"]
    assert post(sender, repeat).json()["alerts"][0]["status"] == InboundStatus.IGNORED
    post(sender, notification(status="resolved"))
    post(sender, notification(starts_at="2026-12-03T10:00:00Z"))
    assert notes(ticket) == [
        "The alert has resolved: db1.alpha.example is down",
        "The alert fires again: db1.alpha.example is down",
    ]
    ticket.refresh_from_db()
    assert ticket.status == "new"  # a resolved alert never resolves the incident
    assert Ticket.objects.count() == 1


def test_a_resolved_incident_reopens_when_its_alert_fires_again_and_a_closed_one_is_left(
    world: World, sender: Client
) -> None:
    ticket = resolved_incident(world, sender)
    post(sender, notification(starts_at="2026-12-03T11:00:00Z"))
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    services.ticket_resolve(
        actor=world.agent1, ticket_id=ticket.pk, resolution="Replaced the disk."
    )
    services.ticket_close(actor=world.alpha.specialist, ticket_id=ticket.pk)
    answer = post(sender, notification(starts_at="2026-12-04T08:00:00Z")).json()["alerts"][0]
    assert answer["ticket_number"] != ticket.number
    assert Ticket.objects.count() == 2


def test_a_resolved_alert_with_no_incident_is_recorded_and_ignored(sender: Client) -> None:
    answer = post(sender, notification(status="resolved")).json()["alerts"][0]
    assert answer["status"] == InboundStatus.IGNORED
    assert answer["ticket_number"] is None
    assert not Ticket.objects.exists()


def test_an_alert_storm_opens_no_more_incidents_than_the_source_allows(
    source: AlertSource, sender: Client
) -> None:
    AlertSource.objects.filter(pk=source.pk).update(max_new_tickets_per_hour=1)
    response = post(sender, notification(count=2))
    assert response.status_code == 202, response.content
    answers = response.json()["alerts"]
    assert [answer["status"] for answer in answers] == ["processed", "quarantined"]
    assert answers[1]["reason"] == "over the source's limit of new incidents (1 an hour)"
    assert Ticket.objects.count() == 1


def test_a_notification_it_cannot_read_is_a_400_and_is_kept_quarantined(sender: Client) -> None:
    response = post(sender, {"alerts": [{"labels": {"alertname": "X"}, "status": "pending"}]})
    assert response.status_code == 400
    assert response["content-type"] == "application/problem+json"
    assert "firing or resolved" in response.json()["detail"]
    kept = InboundAlert.objects.get()
    assert kept.status == InboundStatus.QUARANTINED
    assert not Ticket.objects.exists()
    not_json = sender.post(URL, "{alerts", content_type="application/json")
    assert not_json.status_code in (400, 422)
    assert not_json["content-type"] == "application/problem+json"


def test_only_an_active_sources_current_token_is_taken(
    world: World, source: AlertSource, sender: Client
) -> None:
    assert post(Client(), notification()).status_code == 401
    _token, user_token = api_token_create(user=world.admin, name="t", scope="admin")
    as_user = Client(headers={"authorization": f"Bearer {user_token}"})
    assert post(as_user, notification()).status_code == 401  # a person's token is no source
    monitoring.alert_source_issue_token(actor=world.admin, source_id=source.pk)
    assert post(sender, notification()).status_code == 401  # the old token stopped working
    fresh = monitoring.alert_source_issue_token(actor=world.admin, source_id=source.pk)
    client = Client(headers={"authorization": f"Bearer {fresh}"})
    assert post(client, notification()).status_code == 202
    AlertSource.objects.filter(pk=source.pk).update(is_active=False)
    assert post(client, notification(starts_at="2026-12-03T12:00:00Z")).status_code == 401
    assert InboundAlert.objects.count() == 1  # only what the current token sent


def test_a_failure_leaves_the_alert_pending_and_the_retry_opens_the_incident(
    sender: Client, mend: Callable[[], None]
) -> None:
    answer = post(sender, notification()).json()["alerts"][0]
    assert answer["status"] == InboundStatus.PENDING
    assert not Ticket.objects.exists()
    mend()
    assert monitoring.inbound_alert_process_pending() == 1
    assert InboundAlert.objects.get().ticket == incident()


# --- administration -------------------------------------------------------------------------


def admin_client(world: World, user: Any = None) -> Client:
    person = user or world.admin
    _token, raw = api_token_create(
        user=person, name="t", scope="admin" if person.is_staff else "write"
    )
    return Client(headers={"authorization": f"Bearer {raw}"})


def test_an_administrator_sets_up_a_source_and_its_token_works_once_issued(world: World) -> None:
    client = admin_client(world)
    created = client.post(
        "/api/v1/admin/alert-sources",
        {"name": "zabbix", "organisation_id": world.alpha.organisation.pk},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    source_id = created.json()["id"]
    token = client.post(f"/api/v1/admin/alert-sources/{source_id}/token").json()["token"]
    assert token.startswith("slm_")
    assert AlertSource.objects.get(pk=source_id).token_digest != token  # only a digest kept
    sender = Client(headers={"authorization": f"Bearer {token}"})
    assert post(sender, notification()).status_code == 202
    listed = client.get("/api/v1/admin/alert-sources").json()
    assert [item["name"] for item in listed] == ["zabbix"]
    assert "token" not in listed[0]


def test_a_source_must_serve_a_customer_organisation_and_its_service(world: World) -> None:
    client = admin_client(world)
    for body, field in [
        ({"name": "v", "organisation_id": world.vendor.pk}, "organisation"),
        (
            {
                "name": "w",
                "organisation_id": world.alpha.organisation.pk,
                "service_id": world.beta.service.pk,
            },
            "service",
        ),
        ({"name": "x", "organisation_id": 999_999}, "organisation"),
    ]:
        response = client.post("/api/v1/admin/alert-sources", body, content_type="application/json")
        assert response.status_code == 400, (body, response.content)
        assert field in json.dumps(response.json())
    assert not AlertSource.objects.exists()


def test_only_administrators_manage_sources(world: World, source: AlertSource) -> None:
    for person in (world.agent1, world.lead, world.alpha.specialist):
        client = admin_client(world, person)
        assert client.get("/api/v1/admin/alert-sources").status_code == 403
        assert client.post(f"/api/v1/admin/alert-sources/{source.pk}/token").status_code == 403
    with pytest.raises(PermissionDenied):
        monitoring.alert_source_issue_token(actor=world.lead, source_id=source.pk)


def test_the_admin_site_issues_a_token_shown_once_and_lists_what_arrived(
    world: World, source: AlertSource
) -> None:
    client = signed_in(world.admin)
    changelist = reverse("admin:channels_alertsource_changelist")
    response = client.post(
        changelist, {"action": "issue_token", "_selected_action": [str(source.pk)]}, follow=True
    )
    token = re.search(r"slm_[\w-]+", response.content.decode())
    assert token is not None
    sender = Client(headers={"authorization": f"Bearer {token.group(0)}"})
    assert post(sender, notification()).status_code == 202
    listing = client.get(reverse("admin:channels_inboundalert_changelist")).content.decode()
    assert "db1.alpha.example is down" in listing
    assert token.group(0) not in client.get(changelist).content.decode()
    assert signed_in(world.agent1).get(changelist).status_code == 302  # to the admin login


@pytest.mark.django_db(transaction=True)
def test_concurrent_notifications_of_one_alert_open_one_incident(
    world: World, source: AlertSource
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL (SQLite serialises writers)")
    token = monitoring.alert_source_issue_token(actor=world.admin, source_id=source.pk)
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def send(minute: int) -> None:
        try:
            client = Client(headers={"authorization": f"Bearer {token}"})
            barrier.wait()
            # Each its own episode (start time) of the same alert: four rows, one incident.
            body = notification(starts_at=f"2026-12-03T09:{minute:02d}:00Z")
            statuses.append(post(client, body).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(minute,)) for minute in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [202] * 4
    assert Ticket.objects.count() == 1
    assert InboundAlert.objects.filter(created_ticket=True).count() == 1
    assert InboundAlert.objects.filter(status=InboundStatus.IGNORED).count() == 3


# --- what goes wrong around an alert --------------------------------------------------------


def test_a_source_moved_to_another_organisation_never_touches_the_first_ones_incidents(
    world: World, source: AlertSource, sender: Client
) -> None:
    post(sender, notification())
    alpha_ticket = incident()
    AlertSource.objects.filter(pk=source.pk).update(
        organisation=world.beta.organisation, service=world.beta.service
    )
    answer = post(sender, notification(starts_at="2026-12-03T10:00:00Z")).json()["alerts"][0]
    assert alpha_ticket.number not in json.dumps(answer)
    beta_ticket = Ticket.objects.get(organisation=world.beta.organisation)
    assert answer["ticket_number"] == beta_ticket.number
    assert notes(alpha_ticket) == []


def test_an_alert_held_back_by_a_storm_opens_its_incident_when_it_repeats_after(
    world: World, source: AlertSource, sender: Client
) -> None:
    AlertSource.objects.filter(pk=source.pk).update(max_new_tickets_per_hour=0)
    held = post(sender, notification()).json()["alerts"][0]
    assert held["status"] == InboundStatus.QUARANTINED
    AlertSource.objects.filter(pk=source.pk).update(max_new_tickets_per_hour=5)
    repeat = post(sender, notification()).json()["alerts"][0]  # Alertmanager's resend
    assert repeat["id"] == held["id"]
    assert repeat["ticket_number"] == incident().number


def test_a_firing_alert_processed_after_its_resolve_opens_nothing(
    sender: Client, mend: Callable[[], None]
) -> None:
    assert post(sender, notification()).json()["alerts"][0]["status"] == InboundStatus.PENDING
    mend()
    post(sender, notification(status="resolved"))
    monitoring.inbound_alert_process_pending()
    firing = InboundAlert.objects.get(alert_status=AlertStatus.FIRING)
    assert firing.status == InboundStatus.IGNORED
    assert firing.reason == "firing, but resolved since"
    assert not Ticket.objects.exists()


def test_a_resolve_the_incident_missed_still_counts_as_the_alert_last_seen(
    world: World, sender: Client
) -> None:
    ticket = resolved_incident(world, sender)
    resolved = post(sender, notification(status="resolved")).json()["alerts"][0]
    assert resolved["status"] == InboundStatus.IGNORED  # the line had resolved it already
    services.ticket_reopen(actor=world.alpha.specialist, ticket_id=ticket.pk, reason="Slow again")
    post(sender, notification(starts_at="2026-12-03T12:00:00Z"))
    assert notes(ticket) == ["The alert fires again: db1.alpha.example is down"]


def test_an_incident_reopened_by_its_alert_is_no_longer_resolved(
    world: World, sender: Client
) -> None:
    ticket = resolved_incident(world, sender)
    post(sender, notification(starts_at="2026-12-03T12:00:00Z"))
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert ticket.resolved_at is None


def test_a_service_switched_off_is_left_out_of_the_incident_not_every_alert_lost(
    world: World, sender: Client
) -> None:
    world.alpha.service.is_active = False
    world.alpha.service.save()
    answer = post(sender, notification()).json()["alerts"][0]
    assert answer["status"] == InboundStatus.PROCESSED
    ticket = incident()
    assert ticket.service is None
    assert notes(ticket) == ["The alert source's service or class was left out: Unknown service."]


@pytest.mark.parametrize(
    ("labels", "content_type", "kept"),
    [
        ({"alertname": "X", "instance": "\ud800"}, "application/json", True),
        ({"alertname": "X\u0000"}, "application/x-www-form-urlencoded", True),
        # A NUL in a JSON body never gets past the API's door: refused before anything.
        ({"alertname": "X\u0000"}, "application/json", False),
    ],
)
def test_text_no_column_keeps_is_a_400_and_what_got_in_is_kept(
    sender: Client, labels: dict[str, str], content_type: str, kept: bool
) -> None:
    body = json.dumps({"alerts": [{"labels": labels}]})
    response = sender.post(URL, body, content_type=content_type)
    assert response.status_code == 400
    assert response["content-type"] == "application/problem+json"
    assert not Ticket.objects.exists()
    if kept:
        row = InboundAlert.objects.get()
        assert row.status == InboundStatus.QUARANTINED
        assert json.loads(row.payload["body"]) == json.loads(body)


def test_a_blank_summary_falls_back_to_the_alert_name_and_a_far_time_is_refused() -> None:
    [alert] = parse_notification(
        {
            "alerts": [
                {"labels": {"alertname": "Disk", "instance": "a"}, "annotations": {"summary": "  "}}
            ]
        }
    )
    assert alert.title == "Disk a"
    with pytest.raises(AlertPayloadError, match="out of range"):
        parse_notification(
            {"alerts": [{"fingerprint": "f", "startsAt": "9999-12-31T23:59:59-01:00"}]}
        )


def test_an_alert_whose_source_was_deleted_is_quarantined_not_retried_for_ever(
    source: AlertSource, sender: Client, mend: Callable[[], None]
) -> None:
    post(sender, notification())
    mend()
    source.delete()
    assert monitoring.inbound_alert_process_pending() == 1
    row = InboundAlert.objects.get()
    assert (row.status, row.reason) == (InboundStatus.QUARANTINED, "its source was deleted")


def test_a_source_token_opens_no_other_route_and_a_pending_alert_shows_no_error(
    sender: Client, mend: Callable[[], None]
) -> None:
    # A source's token is no person's: refused as any unknown token is.
    assert sender.get("/api/v1/tickets").status_code in (401, 403)
    assert sender.get("/api/v1/admin/alert-sources").status_code in (401, 403)

    answer = post(sender, notification()).json()["alerts"][0]
    assert answer["reason"] == "waiting to be processed"
    assert "secret" in InboundAlert.objects.get().reason  # for the administrator


def test_an_administrator_reprocesses_a_held_alert_and_an_agent_may_not(
    world: World, source: AlertSource, sender: Client
) -> None:
    AlertSource.objects.filter(pk=source.pk).update(max_new_tickets_per_hour=0)
    held = InboundAlert.objects.get(pk=post(sender, notification()).json()["alerts"][0]["id"])
    with pytest.raises(PermissionDenied):
        monitoring.inbound_alert_reprocess(actor=world.agent1, inbound_alert_id=held.pk)
    AlertSource.objects.filter(pk=source.pk).update(max_new_tickets_per_hour=5)
    again = monitoring.inbound_alert_reprocess(actor=world.admin, inbound_alert_id=held.pk)
    assert again.ticket == incident()
