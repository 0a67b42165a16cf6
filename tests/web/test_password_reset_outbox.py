"""Password-reset mail goes through the outbox: a mail server that is down delays it, never
loses it, and the link works once the server takes it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.conf import LazySettings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult

from sladesk.accounts import signin
from sladesk.notifications.choices import DeliveryChannel, NotificationKind, NotificationStatus
from sladesk.notifications.models import Notification
from sladesk.notifications.services import notifications_deliver_due
from tests.channels.conftest import SmtpRecorder, free_port
from tests.channels.conftest import smtp_server as smtp_server  # the loopback SMTP fixture
from tests.conftest import World
from tests.factories import PASSWORD

NOW = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)
NEW_PASSWORD = "a-new-long-password-9"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def ask_for_a_reset(email: str) -> Any:
    return Client().post(reverse("web:password_reset"), {"email": email}, follow=True)


def test_a_reset_asked_while_the_mail_server_is_down_is_sent_once_it_is_up(
    world: World,
    smtp_server: SmtpRecorder,
    settings: LazySettings,
    frozen: time_machine.Coordinates,
) -> None:
    settings.EMAIL_PORT = free_port()  # the server is down: nothing listens there
    person = world.alpha.user
    done = ask_for_a_reset(person.email)
    assert done.redirect_chain[-1][0] == reverse("web:password_reset_done")
    assert done.status_code == 200
    row = Notification.objects.get(kind=NotificationKind.PASSWORD_RESET)
    assert row.status == NotificationStatus.PENDING
    assert (row.channel, row.recipient, row.user) == (DeliveryChannel.EMAIL, person.email, person)
    assert row.event_key.startswith(f"password-reset:{person.pk}:")
    assert row.automatic
    assert row.subject == "Reset your sladesk password"
    assert "/password-reset/" in row.body

    assert notifications_deliver_due() == 0  # refused: kept for the next attempt
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.PENDING, 1)
    assert row.last_error

    settings.EMAIL_PORT = smtp_server.port  # the server is up again
    frozen.shift(dt.timedelta(seconds=31))
    assert notifications_deliver_due() == 1
    assert notifications_deliver_due() == 0
    [received] = smtp_server.to(person.email)
    message = received.message
    assert message["Subject"] == "Reset your sladesk password"
    assert message["Message-ID"] == f"<{row.message_id}>"
    assert message["Auto-Submitted"] == "auto-generated"
    link = re.search(r"http://testserver(/password-reset/\S+/)", message.get_content())
    assert link is not None

    client = Client()
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert Client().login(username=person.email, password=NEW_PASSWORD)
    assert not Client().login(username=person.email, password=PASSWORD)


def test_the_reset_mail_is_written_in_the_persons_language(world: World) -> None:
    person = world.alpha.specialist
    person.language = "ru"
    person.save(update_fields=["language"])
    ask_for_a_reset(person.email)
    row = Notification.objects.get(kind=NotificationKind.PASSWORD_RESET)
    assert row.language == "ru"
    with translation.override("ru"):
        assert row.subject == gettext("Reset your sladesk password")
        assert gettext("If it was not you, ignore this message: your password stays as it is.") in (
            row.body
        )


def test_each_request_is_its_own_mail_and_the_delivery_is_asked_for_on_commit(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ask_for_a_reset(world.alpha.user.email)
    assert len(callbacks) == 1
    assert DBTaskResult.objects.filter(task_path__endswith="notifications_deliver_task").exists()
    ask_for_a_reset(world.alpha.user.email)
    rows = Notification.objects.filter(kind=NotificationKind.PASSWORD_RESET)
    assert rows.count() == 2
    assert len({row.event_key for row in rows}) == 2
    assert len({row.message_id for row in rows}) == 2


def test_unknown_addresses_and_the_limits_write_nothing_more(world: World) -> None:
    assert ask_for_a_reset("nobody@nowhere.example").status_code == 200
    assert not Notification.objects.exists()
    for _attempt in range(signin.PASSWORD_RESETS_OF_ACCOUNT.most + 2):
        done = ask_for_a_reset(world.alpha.user.email)
        assert done.redirect_chain[-1][0] == reverse("web:password_reset_done")
    assert Notification.objects.count() == signin.PASSWORD_RESETS_OF_ACCOUNT.most
    for _attempt in range(signin.PASSWORD_RESETS_BY_ADDRESS.most):
        ask_for_a_reset("someone@nowhere.example")
    refused = ask_for_a_reset(world.beta.user.email)
    assert "Too many attempts" in refused.content.decode()
    assert not Notification.objects.filter(user=world.beta.user).exists()
