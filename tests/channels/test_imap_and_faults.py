"""The IMAP poller on a real Dovecot, the mail pipe, and the fault cases: nothing lost,
nothing twice."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import OperationalError, connection

from sladesk.channels import imap
from sladesk.channels.choices import InboundStatus
from sladesk.channels.imap import mailbox_poll
from sladesk.channels.models import InboundMail
from sladesk.channels.services import inbound_mail_store
from sladesk.tickets.models import Ticket
from tests.channels.conftest import Dovecot, build_mail
from tests.conftest import World


def test_the_poller_turns_new_mail_into_tickets_and_marks_it_after_the_commit(
    world: World, dovecot: Dovecot
) -> None:
    mailbox = dovecot.mailbox()
    dovecot.append(build_mail(message_id="<p1@alpha.example>"))
    dovecot.append(build_mail(subject="Second", message_id="<p2@alpha.example>"))
    result = mailbox_poll(mailbox=mailbox)
    assert (result.fetched, result.stored, result.failed) == (2, 2, 0)
    assert Ticket.objects.count() == 2
    assert dovecot.unprocessed() == 0
    assert mailbox_poll(mailbox=mailbox).fetched == 0


def test_bad_mail_does_not_stop_the_poller(world: World, dovecot: Dovecot) -> None:
    mailbox = dovecot.mailbox()
    dovecot.append(b"From: nobody\r\nSubject: broken\r\n\r\n\xff\xfe garbage")
    dovecot.append(build_mail(message_id="<good@alpha.example>"))
    mailbox_poll(mailbox=mailbox)
    statuses = sorted(InboundMail.objects.values_list("status", flat=True))
    assert statuses == [InboundStatus.PROCESSED, InboundStatus.QUARANTINED]
    assert dovecot.unprocessed() == 0


def test_the_database_away_during_a_poll_loses_nothing(
    world: World, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailbox = dovecot.mailbox()
    dovecot.append(build_mail(message_id="<db1@alpha.example>"))
    dovecot.append(build_mail(subject="Two", message_id="<db2@alpha.example>"))

    def database_away(**kwargs: object) -> None:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(imap, "inbound_mail_store", database_away)
    result = mailbox_poll(mailbox=mailbox)
    assert result.failed == 1
    assert dovecot.unprocessed() == 2  # nothing was marked
    monkeypatch.undo()
    mailbox_poll(mailbox=mailbox)
    assert Ticket.objects.count() == 2
    assert dovecot.unprocessed() == 0


def test_a_poller_killed_between_store_and_flag_makes_no_duplicate(
    world: World, dovecot: Dovecot
) -> None:
    raw = build_mail(message_id="<killed@alpha.example>")
    mailbox = dovecot.mailbox()
    dovecot.append(raw)
    # What a killed poller leaves: the message committed here, unmarked on the server.
    inbound_mail_store(raw=raw, mailbox=mailbox)
    mailbox_poll(mailbox=mailbox)
    assert InboundMail.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert dovecot.unprocessed() == 0


@pytest.mark.django_db(transaction=True)
def test_two_pollers_at_once_make_one_ticket_per_message(world: World, dovecot: Dovecot) -> None:
    mailbox = dovecot.mailbox()
    for number in range(6):
        dovecot.append(build_mail(subject=f"Race {number}", message_id=f"<race{number}@a>"))
    errors: list[BaseException] = []

    def poll() -> None:
        try:
            mailbox_poll(mailbox=mailbox)
        except BaseException as error:  # reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=poll) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert InboundMail.objects.count() == 6
    assert Ticket.objects.count() == 6
    assert dovecot.unprocessed() == 0


def _mail_in(raw: bytes, **environment: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(  # our own command
        [sys.executable, "-m", "sladesk.cli", "mail-in"],
        input=raw,
        capture_output=True,
        env={**os.environ, **environment},
        timeout=120,
        check=False,
    )


def test_mail_in_exits_75_when_the_database_is_unavailable(tmp_path: Path) -> None:
    result = _mail_in(
        build_mail(),
        SLADESK_DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere",
        SLADESK_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 75, result.stderr
    assert b"try again" in result.stderr


def test_mail_in_exits_0_once_the_message_is_committed(tmp_path: Path) -> None:
    environment = {
        "SLADESK_DATABASE_URL": f"sqlite:///{tmp_path / 'pipe.sqlite3'}",
        "SLADESK_DATA_DIR": str(tmp_path),
    }
    migrate = subprocess.run(  # our own command
        [sys.executable, "-m", "sladesk.cli", "migrate", "--verbosity", "0"],
        env={**os.environ, **environment},
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr
    raw = build_mail(sender="stranger@nowhere.example")
    assert _mail_in(raw, **environment).returncode == 0
    assert _mail_in(raw, **environment).returncode == 0  # the MTA retried: still one
    import sqlite3

    with sqlite3.connect(tmp_path / "pipe.sqlite3") as database:
        rows = database.execute("SELECT status, reason FROM channels_inboundmail").fetchall()
    assert rows == [("quarantined", "unknown sender stranger@nowhere.example")]


def test_processed_mail_can_be_moved_to_another_folder(world: World, dovecot: Dovecot) -> None:
    client = dovecot.client()
    client.create("Processed")
    client.logout()
    mailbox = dovecot.mailbox(processed_folder="Processed")
    dovecot.append(build_mail(message_id="<move@alpha.example>"))
    mailbox_poll(mailbox=mailbox)
    client = dovecot.client()
    try:
        _status, inbox = client.uid("SEARCH", "ALL")
        client.select('"Processed"')
        _status, processed = client.uid("SEARCH", "ALL")
    finally:
        client.logout()
    assert inbox == [b""]
    assert len(processed[0].split()) == 1
    assert Ticket.objects.count() == 1
