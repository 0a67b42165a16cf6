"""Accounts follow their organisation's contract: blocked when it ends, restored on renewal,
told why at sign-in and through the API."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sladesk.accounts.choices import BlockReason, ContractStatus, Role
from sladesk.accounts.models import User
from sladesk.accounts.services import (
    AccountData,
    account_create,
    api_token_create,
    contract_renew,
    contracts_sweep,
)
from sladesk.core.errors import Conflict
from sladesk.tickets import services
from sladesk.tickets.choices import Channel
from tests.conftest import World
from tests.factories import PASSWORD


def sign_in(email: str) -> Client:
    client = Client()
    client.post(reverse("web:login"), {"username": email, "password": PASSWORD})
    return client


def end_alpha_contract(world: World) -> None:
    contract = world.alpha.contract
    contract.ends_on = timezone.localdate() - dt.timedelta(days=1)
    contract.save()
    contracts_sweep()


def test_the_daily_sweep_blocks_accounts_of_an_ended_contract(world: World) -> None:
    end_alpha_contract(world)
    world.alpha.contract.refresh_from_db()
    assert world.alpha.contract.status == ContractStatus.EXPIRED
    reasons = set(
        User.objects.filter(organisation=world.alpha.organisation).values_list(
            "blocked_reason", flat=True
        )
    )
    assert reasons == {BlockReason.CONTRACT_ENDED}
    assert (
        not User.objects.filter(organisation=world.beta.organisation)
        .exclude(blocked_reason="")
        .exists()
    )
    assert not User.objects.filter(organisation=world.vendor).exclude(blocked_reason="").exists()


def test_a_blocked_customer_is_told_why_at_sign_in(world: World) -> None:
    end_alpha_contract(world)
    response = Client().post(
        reverse("web:login"), {"username": world.alpha.user.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "support contract has ended" in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session


def test_a_wrong_password_is_not_told_about_the_contract(world: World) -> None:
    end_alpha_contract(world)
    response = Client().post(
        reverse("web:login"), {"username": world.alpha.user.email, "password": "wrong"}
    )
    assert "support contract" not in response.content.decode()


def test_a_blocked_customers_token_is_refused_with_the_reason(world: World) -> None:
    _token, raw = api_token_create(user=world.alpha.user, name="t")
    client = Client(headers={"authorization": f"Bearer {raw}"})
    assert client.get("/api/v1/me").status_code == 200
    end_alpha_contract(world)
    response = client.get("/api/v1/me")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "support contract has ended" in response.json()["detail"]


def test_a_signed_in_session_ends_when_the_account_is_blocked(world: World) -> None:
    client = sign_in(world.alpha.user.email)
    assert client.get(reverse("web:ticket_list")).status_code == 200
    end_alpha_contract(world)
    response = client.get(reverse("web:ticket_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:login")


def test_renewal_restores_sign_in_and_token(world: World) -> None:
    _token, raw = api_token_create(user=world.alpha.user, name="t")
    end_alpha_contract(world)
    contract_renew(
        actor=world.admin,
        contract=world.alpha.contract,
        ends_on=timezone.localdate() + dt.timedelta(days=365),
    )
    assert Client(headers={"authorization": f"Bearer {raw}"}).get("/api/v1/me").status_code == 200
    client = sign_in(world.alpha.user.email)
    assert client.get(reverse("web:ticket_list")).status_code == 200


def test_the_sweep_blocks_on_the_first_day_after_the_end(world: World) -> None:
    ends = world.alpha.contract.ends_on
    with time_machine.travel(
        dt.datetime.combine(ends, dt.time(23, 0), tzinfo=timezone.get_current_timezone()),
        tick=False,
    ):
        contracts_sweep()
        assert (
            not User.objects.filter(organisation=world.alpha.organisation)
            .exclude(blocked_reason="")
            .exists()
        )
    with time_machine.travel(
        dt.datetime.combine(
            ends + dt.timedelta(days=1), dt.time(0, 5), tzinfo=timezone.get_current_timezone()
        ),
        tick=False,
    ):
        contracts_sweep()
        assert (
            User.objects.filter(
                organisation=world.alpha.organisation, blocked_reason=BlockReason.CONTRACT_ENDED
            ).count()
            == 2
        )


def test_a_ticket_for_an_organisation_without_contract_is_recorded_and_flagged(
    world: World,
) -> None:
    end_alpha_contract(world)
    ticket = services.ticket_register(
        actor=world.agent1,
        data=services.TicketRegistration(
            title="Called although the contract ended",
            channel=Channel.PHONE,
            organisation_id=world.alpha.organisation.pk,
        ),
    )
    assert ticket.outside_contract is True
    assert ticket.contract is None


def test_the_contract_caps_customer_accounts(world: World) -> None:
    with pytest.raises(Conflict, match="allows 2 accounts"):
        account_create(
            actor=world.admin,
            organisation=world.alpha.organisation,
            data=AccountData(
                email="third@alpha.example", full_name="Third", role=Role.CUSTOMER_USER
            ),
        )
    world.alpha.contract.max_accounts = 3
    world.alpha.contract.save()
    user = account_create(
        actor=world.admin,
        organisation=world.alpha.organisation,
        data=AccountData(email="third@alpha.example", full_name="Third", role=Role.CUSTOMER_USER),
    )
    assert user.blocked_reason == ""


def test_a_blocked_session_is_refused_by_the_api_with_the_reason_not_redirected(
    world: World,
) -> None:
    client = sign_in(world.alpha.user.email)
    assert client.get("/api/v1/me").status_code == 200
    end_alpha_contract(world)
    response = client.get("/api/v1/me")
    assert response.status_code == 403
    assert "support contract has ended" in response.json()["detail"]


def test_an_htmx_request_of_a_blocked_session_loads_the_sign_in_page_whole(
    world: World,
) -> None:
    client = sign_in(world.alpha.user.email)
    end_alpha_contract(world)
    response = client.get(reverse("web:ticket_list"), headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == reverse("web:login")
    assert "support contract has ended" in client.get(reverse("web:login")).content.decode()
