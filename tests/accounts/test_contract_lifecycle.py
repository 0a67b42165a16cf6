"""A contract's lifecycle (draft -> active -> suspended/resumed -> ended, renewal) and the
access it gives, decided at each request: an account is refused in the first second after
its contract's end in the desk's zone, and works again the moment the contract is renewed or
resumed, with no daily sweep in between."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sladesk.accounts.choices import BlockReason, ContractEventKind, ContractStatus
from sladesk.accounts.models import Contract, ContractEvent, User
from sladesk.accounts.selectors import contract_ends_at
from sladesk.accounts.services import (
    api_token_create,
    contract_activate,
    contract_end,
    contract_renew,
    contract_resume,
    contract_suspend,
    contracts_sweep,
)
from sladesk.core.errors import Conflict, DomainError, PermissionDenied
from sladesk.notifications.models import Notification
from sladesk.notifications.rendering import render
from tests.conftest import World, signed_in
from tests.factories import PASSWORD

DESK_ZONE = "Europe/Moscow"
ENDS_ON = dt.date(2027, 3, 31)


def desk_time(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=timezone.get_default_timezone())


@pytest.fixture
def clock(settings: object, world: World) -> Iterator[time_machine.Coordinates]:
    """The desk in Moscow, a week before Alpha's contract ends on ENDS_ON."""
    settings.TIME_ZONE = DESK_ZONE  # type: ignore[attr-defined]
    Contract.objects.filter(pk=world.alpha.contract.pk).update(ends_on=ENDS_ON)
    world.alpha.contract.refresh_from_db()
    with time_machine.travel(
        desk_time(ENDS_ON - dt.timedelta(days=7), dt.time(12)), tick=False
    ) as t:
        yield t


def bearer(user: User, scope: str = "write") -> Client:
    _token, raw = api_token_create(user=user, name="t", scope=scope)
    return Client(headers={"authorization": f"Bearer {raw}"})


def sign_in(user: User) -> Client:
    client = Client()
    response = client.post(reverse("web:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def api(client: Client, method: str, url: str, payload: object = None) -> object:
    body = "" if payload is None else json.dumps(payload)
    return client.generic(method, url, body, content_type="application/json")


def assert_refused(token: Client, session: Client, words: str) -> None:
    response = token.get("/api/v1/me")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert words in response.json()["detail"]
    page = session.get(reverse("web:ticket_list"))
    assert page.status_code == 302
    assert page["Location"] == reverse("web:login")
    login = session.get(page["Location"])
    assert words in login.content.decode()  # the sign-in page says why
    assert "_auth_user_id" not in session.session  # signed out


def assert_allowed(token: Client, session: Client) -> None:
    assert token.get("/api/v1/me").status_code == 200
    assert session.get(reverse("web:ticket_list")).status_code == 200


# --- when a contract ends -------------------------------------------------------------------


def test_a_contract_ends_at_the_end_of_its_last_day_in_the_desks_zone(
    world: World, clock: time_machine.Coordinates
) -> None:
    ends_at = contract_ends_at(world.alpha.contract)
    assert ends_at == dt.datetime(2027, 3, 31, 21, 0, tzinfo=dt.UTC)  # midnight in Moscow


def test_a_token_and_a_session_are_refused_in_the_first_second_after_the_end(
    world: World, clock: time_machine.Coordinates
) -> None:
    person = world.alpha.user
    person.time_zone = "America/Los_Angeles"  # their own zone changes nothing
    person.save()
    token = bearer(person)
    clock.move_to(desk_time(ENDS_ON, dt.time(23, 59, 59)))
    session = sign_in(person)
    assert_allowed(token, session)
    clock.move_to(desk_time(ENDS_ON + dt.timedelta(days=1), dt.time(0, 0, 0)))
    assert_refused(token, session, "support contract has ended")
    # No sweep ran: the derived state still says nothing, access follows the contract.
    person.refresh_from_db()
    assert person.blocked_reason == ""


def test_an_ended_contracts_account_cannot_sign_in_and_is_told_why(
    world: World, clock: time_machine.Coordinates
) -> None:
    clock.move_to(desk_time(ENDS_ON + dt.timedelta(days=1), dt.time(0, 0, 1)))
    response = Client().post(
        reverse("web:login"), {"username": world.alpha.specialist.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "support contract has ended" in response.content.decode()


def test_a_renewal_lets_them_back_at_once_without_any_sweep(
    world: World, clock: time_machine.Coordinates
) -> None:
    person = world.alpha.specialist
    token = bearer(person)
    clock.move_to(desk_time(ENDS_ON + dt.timedelta(days=3), dt.time(9)))
    assert token.get("/api/v1/me").status_code == 403
    contract_renew(actor=world.admin, contract=world.alpha.contract, ends_on=dt.date(2028, 3, 31))
    assert world.alpha.contract.ends_on == dt.date(2028, 3, 31)
    assert_allowed(token, sign_in(person))


def test_a_contract_the_sweep_ended_is_active_again_after_renewal(
    world: World, clock: time_machine.Coordinates
) -> None:
    clock.move_to(desk_time(ENDS_ON + dt.timedelta(days=1), dt.time(0, 5)))
    contracts_sweep()
    contract = Contract.objects.get(pk=world.alpha.contract.pk)
    assert contract.status == ContractStatus.ENDED
    ended = ContractEvent.objects.get(contract=contract, kind=ContractEventKind.ENDED)
    assert ended.actor is None  # the desk itself
    assert set(
        User.objects.filter(organisation=world.alpha.organisation).values_list(
            "blocked_reason", flat=True
        )
    ) == {BlockReason.CONTRACT_ENDED}
    contract_renew(actor=world.admin, contract=contract, ends_on=dt.date(2028, 3, 31))
    assert contract.status == ContractStatus.ACTIVE
    assert not User.objects.filter(organisation=world.alpha.organisation).exclude(blocked_reason="")
    assert bearer(world.alpha.user).get("/api/v1/me").status_code == 200


def test_suspension_refuses_at_once_and_resuming_restores(
    world: World, clock: time_machine.Coordinates
) -> None:
    token, session = bearer(world.alpha.user), sign_in(world.alpha.user)
    contract_suspend(actor=world.admin, contract=world.alpha.contract, note="invoice unpaid")
    assert world.alpha.contract.status == ContractStatus.SUSPENDED
    assert_refused(token, session, "support contract is suspended")
    assert bearer(world.beta.user).get("/api/v1/me").status_code == 200  # Beta unaffected
    contract_resume(actor=world.admin, contract=world.alpha.contract)
    assert_allowed(token, sign_in(world.alpha.user))


def test_ending_a_contract_early_refuses_at_once(
    world: World, clock: time_machine.Coordinates
) -> None:
    token, session = bearer(world.alpha.user), sign_in(world.alpha.user)
    contract_end(actor=world.admin, contract=world.alpha.contract, note="terminated by letter")
    assert world.alpha.contract.status == ContractStatus.ENDED
    assert world.alpha.contract.ends_on == ENDS_ON  # the agreed term is kept in the record
    assert_refused(token, session, "support contract has ended")


def test_an_account_an_administrator_disabled_stays_disabled(
    world: World, clock: time_machine.Coordinates
) -> None:
    person = world.alpha.user
    token = bearer(person)
    person.is_active = False
    person.save()
    clock.move_to(desk_time(ENDS_ON + dt.timedelta(days=1), dt.time(1)))
    contracts_sweep()
    contract_renew(actor=world.admin, contract=world.alpha.contract, ends_on=dt.date(2028, 3, 31))
    response = token.get("/api/v1/me")
    assert response.status_code == 403
    assert "disabled" in response.json()["detail"]
    other = world.alpha.specialist
    User.objects.filter(pk=other.pk).update(blocked_reason=BlockReason.DISABLED)
    contracts_sweep()
    assert User.objects.get(pk=other.pk).blocked_reason == BlockReason.DISABLED
    assert bearer(other).get("/api/v1/me").status_code == 403


def test_vendor_staff_are_never_blocked_by_contracts(
    world: World, clock: time_machine.Coordinates
) -> None:
    token = bearer(world.agent1)
    Contract.objects.update(status=ContractStatus.ENDED)
    clock.move_to(desk_time(ENDS_ON + dt.timedelta(days=400), dt.time(1)))
    contracts_sweep()
    assert_allowed(token, sign_in(world.agent1))


# --- the lifecycle and its history ------------------------------------------------------------


def test_activation_records_who_when_and_the_payment(
    world: World, clock: time_machine.Coordinates
) -> None:
    contract = world.alpha.contract
    Contract.objects.filter(pk=contract.pk).update(status=ContractStatus.DRAFT)
    token = bearer(world.alpha.user)
    response = token.get("/api/v1/me")
    assert response.status_code == 403
    assert "no active support contract" in response.json()["detail"]
    contract_activate(actor=world.admin, contract=contract, paid_on=dt.date(2027, 3, 20))
    assert contract.status == ContractStatus.ACTIVE
    assert contract.activated_by == world.admin
    assert contract.activated_at == timezone.now()
    assert contract.paid_on == dt.date(2027, 3, 20)
    [event] = ContractEvent.objects.filter(contract=contract)
    assert (event.kind, event.actor, event.at) == (
        ContractEventKind.ACTIVATED,
        world.admin,
        timezone.now(),
    )
    assert event.before["status"] == "draft"
    assert event.after["status"] == "active"
    assert token.get("/api/v1/me").status_code == 200


def test_each_step_is_allowed_only_from_its_statuses(
    world: World, clock: time_machine.Coordinates
) -> None:
    contract = world.alpha.contract
    with pytest.raises(Conflict):
        contract_activate(actor=world.admin, contract=contract)  # already active
    with pytest.raises(Conflict):
        contract_resume(actor=world.admin, contract=contract)  # not suspended
    with pytest.raises(DomainError, match="after the current end date"):
        contract_renew(actor=world.admin, contract=contract, ends_on=ENDS_ON)
    with pytest.raises(PermissionDenied):
        contract_suspend(actor=world.lead, contract=contract)
    contract_end(actor=world.admin, contract=contract)
    with pytest.raises(Conflict):
        contract_suspend(actor=world.admin, contract=contract)
    assert ContractEvent.objects.filter(contract=contract).count() == 1  # refusals record nothing


def test_the_history_records_every_step_and_is_never_changed(
    world: World, clock: time_machine.Coordinates
) -> None:
    contract = world.alpha.contract
    contract_suspend(actor=world.admin, contract=contract, note="unpaid")
    contract_resume(actor=world.admin, contract=contract)
    contract_end(actor=world.admin, contract=contract)
    contract_renew(actor=world.admin, contract=contract, ends_on=dt.date(2028, 3, 31))
    events = list(ContractEvent.objects.filter(contract=contract).order_by("at", "id"))
    assert [event.kind for event in events] == [
        ContractEventKind.SUSPENDED,
        ContractEventKind.RESUMED,
        ContractEventKind.ENDED,
        ContractEventKind.RENEWED,
    ]
    assert events[0].note == "unpaid"
    assert (events[3].before["ends_on"], events[3].after["ends_on"]) == (
        "2027-03-31",
        "2028-03-31",
    )
    assert (events[3].before["status"], events[3].after["status"]) == ("ended", "active")
    events[0].note = "rewritten"
    with pytest.raises(ValueError, match="never changed"):
        events[0].save()


# --- the administration API -------------------------------------------------------------------


def test_patching_the_status_is_refused_and_names_the_actions(
    world: World, clock: time_machine.Coordinates
) -> None:
    client = bearer(world.admin, "admin")
    url = f"/api/v1/admin/contracts/{world.alpha.contract.pk}"
    response = api(client, "PATCH", url, {"status": "ended"})
    assert response.status_code == 400
    detail = response.json()["detail"]
    for action in ("activate", "suspend", "resume", "end", "renew"):
        assert f"{url}/{action}" in detail
    renewal = api(client, "PATCH", url, {"ends_on": "2030-01-01"})
    assert renewal.status_code == 400
    assert f"{url}/renew" in renewal.json()["detail"]
    same = api(client, "PATCH", url, {"status": "active", "max_accounts": 5})
    assert same.status_code == 200
    assert same.json()["max_accounts"] == 5
    assert Contract.objects.get(pk=world.alpha.contract.pk).status == ContractStatus.ACTIVE


def test_a_draft_is_set_up_and_driven_through_its_life_over_the_api(
    world: World, clock: time_machine.Coordinates
) -> None:
    client = bearer(world.admin, "admin")
    created = api(
        client,
        "POST",
        "/api/v1/admin/contracts",
        {
            "number": "A-2",
            "organisation_id": world.alpha.organisation.pk,
            "starts_on": "2027-04-01",
            "ends_on": "2028-03-31",
            "classification_scheme_id": world.alpha.scheme.pk,
            "account_manager_id": world.lead.pk,
            "warn_days_before_end": 45,
        },
    ).json()
    assert (created["status"], created["account_manager_id"]) == ("draft", world.lead.pk)
    base = f"/api/v1/admin/contracts/{created['id']}"
    assert api(client, "PATCH", base, {"ends_on": "2028-04-30"}).status_code == 200  # a draft
    activated = api(client, "POST", f"{base}/activate", {"paid_on": "2027-03-25"})
    assert activated.status_code == 200, activated.content
    assert activated.json()["activated_by_id"] == world.admin.pk
    assert activated.json()["paid_on"] == "2027-03-25"
    assert api(client, "POST", f"{base}/activate").status_code == 409
    assert api(client, "POST", f"{base}/suspend", {"note": "unpaid"}).json()["status"] == (
        "suspended"
    )
    assert api(client, "POST", f"{base}/resume").json()["status"] == "active"
    assert api(client, "POST", f"{base}/end").json()["status"] == "ended"
    assert api(client, "POST", f"{base}/renew").status_code == 422  # ends_on is required
    assert api(client, "POST", f"{base}/renew", {"ends_on": "2020-01-01"}).status_code == 400
    renewed = api(client, "POST", f"{base}/renew", {"ends_on": "2029-04-30"}).json()
    assert (renewed["status"], renewed["ends_on"]) == ("active", "2029-04-30")
    events = client.get(f"{base}/events").json()
    assert [event["kind"] for event in events] == [
        "activated",
        "suspended",
        "resumed",
        "ended",
        "renewed",
    ]
    assert {event["actor_id"] for event in events} == {world.admin.pk}
    assert events[1]["note"] == "unpaid"
    assert api(client, "GET", "/api/v1/admin/contracts/999999/events").status_code == 404


def test_the_account_manager_must_be_vendor_staff(
    world: World, clock: time_machine.Coordinates
) -> None:
    client = bearer(world.admin, "admin")
    url = f"/api/v1/admin/contracts/{world.alpha.contract.pk}"
    assert api(client, "PATCH", url, {"account_manager_id": world.beta.user.pk}).status_code == 400
    assert api(client, "PATCH", url, {"account_manager_id": world.lead.pk}).status_code == 200


@pytest.mark.parametrize("who", ["specialist", "user", "lead"])
def test_only_administrators_reach_the_contract_routes(
    world: World, clock: time_machine.Coordinates, who: str
) -> None:
    person = {
        "specialist": world.alpha.specialist,
        "user": world.alpha.user,
        "lead": world.lead,
    }[who]
    client = bearer(person)
    own = f"/api/v1/admin/contracts/{world.alpha.contract.pk}"
    for method, url, payload in [
        ("GET", "/api/v1/admin/contracts", None),
        ("PATCH", own, {"max_accounts": 99}),
        ("POST", f"{own}/activate", {}),
        ("POST", f"{own}/suspend", {}),
        ("POST", f"{own}/resume", {}),
        ("POST", f"{own}/end", {}),
        ("POST", f"{own}/renew", {"ends_on": "2099-01-01"}),
        ("GET", f"{own}/events", None),
    ]:
        response = api(client, method, url, payload)
        assert response.status_code == 403, (method, url)
    contract = Contract.objects.get(pk=world.alpha.contract.pk)
    assert (contract.status, contract.max_accounts) == (ContractStatus.ACTIVE, 2)
    assert not ContractEvent.objects.exists()


# --- the Django admin --------------------------------------------------------------------------


def admin_action(client: Client, action: str, contracts: list[Contract], **extra: str) -> object:
    return client.post(
        reverse("admin:accounts_contract_changelist"),
        {"action": action, "_selected_action": [c.pk for c in contracts], **extra},
    )


def test_the_admin_actions_drive_the_lifecycle(
    world: World, clock: time_machine.Coordinates
) -> None:
    client = signed_in(world.admin)
    contracts = [world.alpha.contract, world.beta.contract]
    assert admin_action(client, "suspend", contracts).status_code == 302
    assert set(Contract.objects.values_list("status", flat=True)) == {ContractStatus.SUSPENDED}
    assert admin_action(client, "resume", [world.alpha.contract]).status_code == 302
    assert admin_action(client, "end", [world.alpha.contract]).status_code == 302
    world.alpha.contract.refresh_from_db()
    assert world.alpha.contract.status == ContractStatus.ENDED
    # A refused step is reported, and the others still happen.
    answer = admin_action(client, "resume", contracts)
    followed = client.get(answer["Location"]).content.decode()
    assert "Only a suspended contract can be resumed." in followed
    assert Contract.objects.get(pk=world.beta.contract.pk).status == ContractStatus.ACTIVE
    # Renewal asks for the new end date first.
    form = admin_action(client, "renew", [world.alpha.contract])
    assert form.status_code == 200
    assert "New end date" in form.content.decode()
    done = admin_action(client, "renew", [world.alpha.contract], apply="1", ends_on="2028-03-31")
    assert done.status_code == 302
    world.alpha.contract.refresh_from_db()
    assert (world.alpha.contract.status, world.alpha.contract.ends_on) == (
        ContractStatus.ACTIVE,
        dt.date(2028, 3, 31),
    )
    assert set(
        ContractEvent.objects.filter(contract=world.alpha.contract).values_list("actor", flat=True)
    ) == {world.admin.pk}
    page = client.get(reverse("admin:accounts_contract_change", args=[world.alpha.contract.pk]))
    assert page.status_code == 200
    assert 'name="ends_on"' not in page.content.decode()  # a signed term moves by renewal
    assert 'name="status"' not in page.content.decode()


def test_a_draft_is_activated_from_the_admin(world: World, clock: time_machine.Coordinates) -> None:
    Contract.objects.filter(pk=world.alpha.contract.pk).update(status=ContractStatus.DRAFT)
    client = signed_in(world.admin)
    assert admin_action(client, "activate", [world.alpha.contract]).status_code == 302
    contract = Contract.objects.get(pk=world.alpha.contract.pk)
    assert (contract.status, contract.activated_by, contract.paid_on) == (
        ContractStatus.ACTIVE,
        world.admin,
        ENDS_ON - dt.timedelta(days=7),
    )


# --- warnings before the end -------------------------------------------------------------------


def warnings() -> list[tuple[str, str]]:
    return sorted(
        Notification.objects.filter(kind="contract_warning", channel="email").values_list(
            "recipient", "event_key"
        )
    )


def test_the_end_is_announced_once_per_term_to_the_right_people(
    world: World, clock: time_machine.Coordinates
) -> None:
    contract = world.alpha.contract
    Contract.objects.filter(pk=contract.pk).update(account_manager=world.lead)
    Contract.objects.filter(pk=world.beta.contract.pk).update(ends_on=ENDS_ON)
    contracts_sweep(on=ENDS_ON - dt.timedelta(days=31))
    assert warnings() == []
    contracts_sweep(on=ENDS_ON - dt.timedelta(days=30))
    key = f"contract-end:{contract.pk}:2027-03-31"
    beta_key = f"contract-end:{world.beta.contract.pk}:2027-03-31"
    # Alpha's account manager and specialist (not its end user); Beta's specialist (Beta's
    # contract names no account manager).
    assert warnings() == [
        ("lead@vendor.example", key),
        ("specialist@alpha.example", key),
        ("specialist@beta.example", beta_key),
    ]
    subject, body = render(Notification.objects.get(recipient="lead@vendor.example"))
    assert contract.number in subject
    assert "2027-03-31" in body
    for day in range(29, -1, -1):  # every later run in the same term: nothing more
        contracts_sweep(on=ENDS_ON - dt.timedelta(days=day))
    assert len(warnings()) == 3
    assert ContractEvent.objects.filter(kind=ContractEventKind.END_WARNED).count() == 2
    # A renewal re-arms it for the new end.
    contract_renew(actor=world.admin, contract=contract, ends_on=dt.date(2028, 3, 31))
    assert contract.end_warned_for is None
    contracts_sweep(on=dt.date(2028, 3, 1))
    assert (
        "lead@vendor.example",
        f"contract-end:{contract.pk}:2028-03-31",
    ) in warnings()
    assert len(warnings()) == 5


def test_no_warning_when_the_contract_asks_for_none_or_is_not_active(
    world: World, clock: time_machine.Coordinates
) -> None:
    Contract.objects.filter(pk=world.alpha.contract.pk).update(warn_days_before_end=0)
    Contract.objects.filter(pk=world.beta.contract.pk).update(
        ends_on=ENDS_ON, status=ContractStatus.SUSPENDED
    )
    contracts_sweep(on=ENDS_ON - dt.timedelta(days=1))
    assert warnings() == []
