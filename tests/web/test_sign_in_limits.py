"""Guessing passwords and asking for reset mail stop at their limits, per account and per
client address, and start again when the window has passed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client

from sladesk.accounts import signin
from sladesk.notifications.choices import NotificationKind
from sladesk.notifications.models import Notification
from tests.conftest import PASSWORD, World

START = dt.datetime(2026, 3, 2, 9, 0, 30, tzinfo=dt.UTC)


@pytest.fixture
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def sign_in(client: Client, email: str, password: str, path: str = "/login/") -> bool:
    response = client.post(path, {"username": email, "password": password})
    return response.status_code == 302


def test_an_account_under_guessing_is_refused_even_the_right_password_for_a_while(
    world: World, frozen: time_machine.Coordinates
) -> None:
    email = world.agent1.email
    most = signin.SIGN_IN_OF_ACCOUNT_FROM_ADDRESS.most
    for _attempt in range(most):
        assert not sign_in(Client(), email, "wrong")
    refused = Client().post("/login/", {"username": email.upper(), "password": PASSWORD})
    assert refused.status_code == 200
    assert "Too many attempts" in refused.content.decode()
    # Others sign in meanwhile from the same address, and the owner from their own.
    assert sign_in(Client(), world.agent2.email, PASSWORD)
    assert sign_in(Client(REMOTE_ADDR="198.51.100.4"), email, PASSWORD)
    frozen.shift(dt.timedelta(minutes=15))
    assert sign_in(Client(), email, PASSWORD)


def test_guessing_one_account_from_many_addresses_stops_at_the_accounts_own_limit(
    world: World, frozen: time_machine.Coordinates
) -> None:
    email = world.agent1.email
    per_address = signin.SIGN_IN_OF_ACCOUNT_FROM_ADDRESS.most
    for attempt in range(signin.SIGN_IN_OF_ACCOUNT.most):
        guesser = Client(REMOTE_ADDR=f"203.0.113.{attempt // per_address + 1}")
        assert not sign_in(guesser, email, "wrong")
    assert not sign_in(Client(REMOTE_ADDR="198.51.100.4"), email, PASSWORD)
    assert sign_in(Client(REMOTE_ADDR="198.51.100.4"), world.agent2.email, PASSWORD)


def test_one_address_guessing_many_accounts_is_stopped(
    world: World, frozen: time_machine.Coordinates
) -> None:
    most = signin.SIGN_IN_BY_ADDRESS.most
    for attempt in range(most):
        assert not sign_in(Client(), f"nobody{attempt}@nowhere.example", "wrong")
    assert not sign_in(Client(), world.agent2.email, PASSWORD)
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert sign_in(other, world.agent2.email, PASSWORD)


def test_the_admin_sign_in_has_the_same_limits(
    world: World, frozen: time_machine.Coordinates
) -> None:
    for _attempt in range(signin.SIGN_IN_OF_ACCOUNT_FROM_ADDRESS.most):
        assert not sign_in(Client(), world.admin.email, "wrong", "/admin/login/")
    assert not sign_in(Client(), world.admin.email, PASSWORD, "/admin/login/")
    frozen.shift(dt.timedelta(minutes=15))
    assert sign_in(Client(), world.admin.email, PASSWORD, "/admin/login/")


def _resets() -> int:
    """Reset mails written to the outbox (delivered by the worker, never inline)."""
    return Notification.objects.filter(kind=NotificationKind.PASSWORD_RESET).count()


def test_reset_mail_stops_at_its_limits_without_telling_who_exists(
    world: World, frozen: time_machine.Coordinates
) -> None:
    email = world.alpha.user.email
    for _attempt in range(signin.PASSWORD_RESETS_OF_ACCOUNT.most + 2):
        response = Client().post("/password-reset/", {"email": email})
        assert response.status_code == 302  # the same page whether sent or not
    assert _resets() == signin.PASSWORD_RESETS_OF_ACCOUNT.most
    for _attempt in range(signin.PASSWORD_RESETS_BY_ADDRESS.most - 5):
        Client().post("/password-reset/", {"email": "someone@nowhere.example"})
    refused = Client().post("/password-reset/", {"email": world.alpha.specialist.email})
    assert refused.status_code == 200
    assert "Too many attempts" in refused.content.decode()
    frozen.shift(dt.timedelta(hours=1))
    assert Client().post("/password-reset/", {"email": email}).status_code == 302
    assert _resets() == signin.PASSWORD_RESETS_OF_ACCOUNT.most + 1


def test_every_spelling_the_lookup_takes_for_an_account_shares_its_count(
    world: World, frozen: time_machine.Coordinates
) -> None:
    """Upper case, and on PostgreSQL a dotless i, find the same account: each spelling must
    not bring a fresh allowance of guesses."""
    from sladesk.accounts.models import User

    email = world.alpha.specialist.email
    assert "i" in email
    spellings = [email.upper(), email.replace("i", "\u0131", 1), email.title()]
    found = [name for name in spellings if User.objects.filter(email__iexact=name).exists()]
    most = signin.SIGN_IN_OF_ACCOUNT_FROM_ADDRESS.most
    for attempt in range(most):
        assert not sign_in(Client(), found[attempt % len(found)], "wrong")
    refused = Client().post("/login/", {"username": email, "password": PASSWORD})
    assert "Too many attempts" in refused.content.decode()


def test_attempts_refused_at_the_address_limit_do_not_run_up_an_account(
    world: World, frozen: time_machine.Coordinates
) -> None:
    for attempt in range(signin.SIGN_IN_BY_ADDRESS.most):
        assert not sign_in(Client(), f"nobody{attempt}@nowhere.example", "wrong")
    for _attempt in range(signin.SIGN_IN_OF_ACCOUNT_FROM_ADDRESS.most + 5):
        assert not sign_in(Client(), world.agent2.email, "wrong")  # refused, never tried
    assert sign_in(Client(REMOTE_ADDR="192.0.2.7"), world.agent2.email, PASSWORD)


def test_a_right_password_takes_its_attempt_back(
    world: World, frozen: time_machine.Coordinates
) -> None:
    most = signin.SIGN_IN_OF_ACCOUNT_FROM_ADDRESS.most
    for _attempt in range(most - 2):
        assert not sign_in(Client(), world.agent1.email, "wrong")
    for _attempt in range(3):  # the owner signs in between: no failure counted
        assert sign_in(Client(), world.agent1.email, PASSWORD)
    assert not sign_in(Client(), world.agent1.email, "wrong")  # failure `most - 1`
    assert sign_in(Client(), world.agent1.email, PASSWORD)
    assert not sign_in(Client(), world.agent1.email, "wrong")  # failure `most`
    assert not sign_in(Client(), world.agent1.email, PASSWORD)
