"""The mail catcher: without an SMTP server the desk's mail lands as .eml files under
SLADESK_DATA_DIR/mail/, exactly as sent, and administrators read it in the workspace."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import urllib.request
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import time_machine
from django.conf import LazySettings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.test import Client
from django.urls import reverse

from sladesk.notifications import catcher
from sladesk.notifications.choices import DeliveryChannel, NotificationKind, NotificationStatus
from sladesk.notifications.models import Notification
from sladesk.notifications.services import new_message_id, notifications_deliver_due
from tests.conftest import World, signed_in
from tests.core.test_commands import free_port, fresh_environment


@pytest.fixture
def caught(settings: LazySettings, tmp_path: Path) -> Path:
    """The catcher as the mail backend, in a fresh data directory; its mail folder."""
    settings.EMAIL_BACKEND = catcher.BACKEND
    settings.DATA_DIR = tmp_path / "data"
    settings.SLADESK_MAIL_FROM = "support@vendor.example"
    return tmp_path / "data" / "mail"


def a_reply(world: World, *, subject: str = "Re: The invoice page is blank") -> Notification:
    """An outbox row of kind reply, written as a service writes it (subject and body set)."""
    return Notification.objects.create(
        channel=DeliveryChannel.EMAIL,
        kind=NotificationKind.REPLY,
        event_key=f"test-reply:{new_message_id()}",
        recipient=world.alpha.user.email,
        user=world.alpha.user,
        automatic=False,
        message_id=new_message_id(),
        subject=subject,
        body="We are looking at it.\nThe support team",
    )


def test_a_notification_delivered_through_the_outbox_lands_as_the_file_that_was_sent(
    world: World, caught: Path
) -> None:
    row = a_reply(world)
    assert notifications_deliver_due() == 1
    [path] = list(caught.iterdir())
    assert catcher.NAME.match(path.name)
    raw = path.read_bytes()
    assert b"\r\n\r\n" in raw  # SMTP's line ends, as the SMTP backend would have sent it
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert message["Message-ID"] == f"<{row.message_id}>"
    assert message["To"] == world.alpha.user.email
    assert message["From"] == "support@vendor.example"
    assert message["Subject"] == "Re: The invoice page is blank"
    assert message["Date"].datetime is not None
    assert message.get_content().startswith("We are looking at it.")
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT
    assert not [name for name in os.listdir(caught) if name.startswith(".")]  # no temp left
    assert (caught.stat().st_mode & 0o777) == 0o700
    assert (path.stat().st_mode & 0o777) == 0o600  # reset links are in there


def test_an_administrator_reads_the_caught_mail_with_its_headers(
    world: World, caught: Path
) -> None:
    row = a_reply(world)
    notifications_deliver_due()
    [path] = list(caught.iterdir())
    admin = signed_in(world.admin)
    listing = admin.get(reverse("web:mail_list")).content.decode()
    assert "Re: The invoice page is blank" in listing
    assert world.alpha.user.email in listing
    assert reverse("web:mail_detail", args=[path.name]) in listing
    page = admin.get(reverse("web:mail_detail", args=[path.name]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f"&lt;{row.message_id}&gt;" in html
    assert "Message-ID" in html
    assert "Date" in html
    assert "We are looking at it." in html


def test_the_list_is_newest_first_and_paginated(world: World, caught: Path) -> None:
    connection = get_connection(catcher.BACKEND)
    start = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    for number in range(51):
        with time_machine.travel(start + dt.timedelta(minutes=number), tick=False):
            EmailMultiAlternatives(
                f"Message {number:02d}", "text", to=["someone@example.org"], connection=connection
            ).send()
    names = catcher.caught_names()
    assert len(names) == len(set(names)) == 51
    assert [item.subject for item in catcher.caught_summaries(names[:2])] == [
        "Message 50",
        "Message 49",
    ]
    admin = signed_in(world.admin)
    first = admin.get(reverse("web:mail_list")).content.decode()
    assert "Message 50" in first
    assert "Message 01" in first
    assert "Message 00" not in first
    second = admin.get(reverse("web:mail_list") + "?page=2").content.decode()
    assert "Message 00" in second
    assert "Message 01" not in second


def test_html_is_shown_as_its_sanitised_text_and_attachments_by_name(
    world: World, caught: Path
) -> None:
    message = EmailMultiAlternatives(
        "Styled <b>subject</b>",
        "The plain text part.",
        to=["someone@example.org"],
        connection=get_connection(catcher.BACKEND),
    )
    message.attach_alternative(
        '<p>Hello <b>there</b></p><script>alert("x")</script><img src="https://track.example/p">',
        "text/html",
    )
    message.attach("report.csv", "a,b\n1,2\n", "text/csv")
    message.send()
    [name] = catcher.caught_names()
    html = signed_in(world.admin).get(reverse("web:mail_detail", args=[name])).content.decode()
    assert "The plain text part." in html
    assert "Hello there" in html
    assert "<script>" not in html
    assert "alert" not in html  # nh3 drops the script's content, not only its tags
    assert "track.example" not in html
    assert "Styled &lt;b&gt;subject&lt;/b&gt;" in html
    assert "report.csv" in html
    assert "a,b" not in html  # an attachment is listed, not shown


def test_caught_mail_is_for_administrators_only(world: World, caught: Path) -> None:
    a_reply(world)
    notifications_deliver_due()
    [name] = catcher.caught_names()
    for person in (world.lead, world.agent1, world.alpha.specialist):
        client = signed_in(person)
        assert client.get(reverse("web:mail_list")).status_code == 404
        assert client.get(reverse("web:mail_detail", args=[name])).status_code == 404
    anonymous = Client().get(reverse("web:mail_detail", args=[name]))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("web:login"))


@pytest.mark.parametrize(
    "name",
    [
        "..",
        "..%2F..%2Fsecret_key",
        "%2E%2E%2Fsecret_key",
        "notes.eml",
        "20261203T184900123456Z-abcdef012345.eml.bak",
        "20261203T184900123456Z-abcdef012345.eml",  # the right shape, but no such message
    ],
)
def test_a_name_the_catcher_did_not_give_finds_nothing(
    world: World, caught: Path, name: str
) -> None:
    caught.mkdir(parents=True)
    (caught / "notes.eml").write_bytes(b"Subject: not caught\r\n\r\nprivate\r\n")
    (caught.parent / "secret_key").write_text("the secret")
    response = signed_in(world.admin).get(f"/mail/{name}/")
    assert response.status_code == 404
    assert b"the secret" not in response.content
    assert b"private" not in response.content


def test_a_link_that_the_catcher_did_not_write_is_not_followed(
    world: World, caught: Path, tmp_path: Path
) -> None:
    caught.mkdir(parents=True)
    outside = tmp_path / "outside.eml"
    outside.write_bytes(b"Subject: outside\r\n\r\nfrom outside the folder\r\n")
    name = "20261203T184900123456Z-abcdef012345.eml"
    (caught / name).symlink_to(outside)
    assert catcher.caught_message(name) is None
    response = signed_in(world.admin).get(reverse("web:mail_detail", args=[name]))
    assert response.status_code == 404


def test_a_message_that_cannot_be_written_stays_in_the_outbox(world: World, caught: Path) -> None:
    caught.parent.mkdir(parents=True)
    caught.write_text("a file where the folder should be")
    row = a_reply(world)
    assert notifications_deliver_due() == 0
    row.refresh_from_db()
    assert row.status == NotificationStatus.PENDING
    assert row.attempts == 1
    assert "FileExistsError" in row.last_error


def test_names_sort_by_time_and_never_repeat() -> None:
    earlier = dt.datetime(2026, 12, 3, 18, 49, 0, 999_999, tzinfo=dt.UTC)
    later = earlier + dt.timedelta(microseconds=1)
    assert catcher.new_name(earlier) < catcher.new_name(later)
    names = {catcher.new_name(earlier) for _ in range(1000)}
    assert len(names) == 1000
    assert all(catcher.NAME.match(name) for name in names)


def _settings_in_a_new_shell(environment: dict[str, str]) -> list[str]:
    program = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'sladesk.settings'; "
        "django.setup(); from django.conf import settings; "
        "print(settings.EMAIL_BACKEND); print(settings.EMAIL_HOST)"
    )
    result = subprocess.run(  # noqa: S603  # our own argv
        [sys.executable, "-c", program],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.split()


def test_without_an_smtp_host_mail_is_caught_and_with_one_it_is_sent(tmp_path: Path) -> None:
    environment = fresh_environment(tmp_path)
    assert _settings_in_a_new_shell(environment) == [catcher.BACKEND, "localhost"]
    environment["SLADESK_SMTP_HOST"] = "mail.vendor.example"
    assert _settings_in_a_new_shell(environment) == [
        "django.core.mail.backends.smtp.EmailBackend",
        "mail.vendor.example",
    ]


def test_quickstart_says_where_the_mail_goes(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603  # our own argv
        [sys.executable, "-m", "sladesk.cli", "quickstart", "--no-demo", "--port", str(port)],
        cwd=tmp_path,
        env=fresh_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:  # what it prints before it starts serving
            lines.append(line)
            if line.startswith("Mail:"):
                break
        # Stopped only once it serves: a signal while it starts its children would leave
        # them running (quickstart's own test waits the same way).
        for _attempt in range(2400):
            if process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                    break
            except OSError:
                time.sleep(0.25)  # polling a real server we started; no clock to control here
    finally:
        process.terminate()
        process.communicate(timeout=30)
    output = "".join(lines)
    assert "Administrator: admin@vendor.example / " in output
    assert str((tmp_path / "var" / "mail").resolve()) in output
    assert f"http://127.0.0.1:{port}/mail/" in output
