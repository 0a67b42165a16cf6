"""The LMTP listener on loopback, as the command runs it: 250 per recipient only once the raw
message is committed, refusals an MTA understands, and a listener that keeps serving."""

from __future__ import annotations

import contextlib
import os
import signal
import smtplib
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError

from sladesk.channels import lmtp
from sladesk.channels.choices import InboundStatus
from sladesk.channels.lmtp import LmtpListener
from sladesk.channels.models import InboundMail, Mailbox
from tests.channels.conftest import build_mail, free_port, wait_for_port

pytestmark = pytest.mark.django_db(transaction=True)  # the listener's threads connect anew

SENDER = "user@alpha.example"
SUPPORT = "support@vendor.example"
BILLING = "billing@vendor.example"


def wire_mail(**fields: Any) -> bytes:
    """A message with CRLF line ends, as it travels, and a line that must be dot-stuffed."""
    fields.setdefault("body", ".hidden behind a dot\nSince this morning the page is blank.")
    raw = build_mail(**fields)
    return raw.replace(b"\n", b"\r\n")


StartListener = Callable[[], LmtpListener]


@pytest.fixture
def start_listener() -> Iterator[StartListener]:
    """Start a listener on a free port, after the test has set what it reads at start."""
    listeners: list[LmtpListener] = []

    def start() -> LmtpListener:
        listener = LmtpListener(host="127.0.0.1", port=free_port())
        listener.start()
        listeners.append(listener)
        wait_for_port(listener.port)
        return listener

    yield start
    for listener in listeners:
        listener.stop()


@pytest.fixture
def listener(start_listener: StartListener) -> LmtpListener:
    return start_listener()


@pytest.fixture
def mailboxes() -> tuple[Mailbox, Mailbox]:
    return (
        Mailbox.objects.create(name="support", address=SUPPORT),
        Mailbox.objects.create(name="billing", address=BILLING),
    )


@contextlib.contextmanager
def client(listener: LmtpListener) -> Iterator[smtplib.LMTP]:
    connection = smtplib.LMTP("127.0.0.1", listener.port, timeout=10)
    try:
        code, _ = connection.ehlo()  # LHLO
        assert code == 250
        yield connection
    finally:
        connection.close()


def deliver(
    listener: LmtpListener, raw: bytes, recipients: list[str]
) -> tuple[dict[str, tuple[int, bytes]], list[tuple[int, bytes]]]:
    """One LMTP transaction: the RCPT refusals, and every reply after DATA (one for each
    accepted recipient; smtplib reads the first, the rest are read here)."""
    with client(listener) as connection:
        assert connection.mail(SENDER)[0] == 250
        refused: dict[str, tuple[int, bytes]] = {}
        for recipient in recipients:
            code, text = connection.rcpt(recipient)
            if code != 250:
                refused[recipient] = (code, text)
        accepted = len(recipients) - len(refused)
        replies = [connection.data(raw)]
        replies += [connection.getreply() for _ in range(accepted - 1)]
        assert connection.noop()[0] == 250  # nothing more was sent: the session goes on
        return refused, replies


def codes(replies: list[tuple[int, bytes]]) -> list[int]:
    return [code for code, _text in replies]


def test_a_message_to_a_known_mailbox_is_stored_raw_and_answered_250(
    listener: LmtpListener, mailboxes: tuple[Mailbox, Mailbox]
) -> None:
    raw = wire_mail()
    refused, replies = deliver(listener, raw, ["Support@Vendor.example"])
    assert (refused, codes(replies)) == ({}, [250])
    mail = InboundMail.objects.get()
    assert bytes(mail.raw) == raw
    assert mail.mailbox == mailboxes[0]
    assert mail.message_id == "m1@alpha.example"
    assert mail.status == InboundStatus.PENDING  # the worker's retry job processes it
    assert f"stored as inbound mail {mail.pk}".encode() in replies[0][1]


def test_two_recipients_get_two_replies_and_one_stored_message(
    listener: LmtpListener, mailboxes: tuple[Mailbox, Mailbox]
) -> None:
    refused, replies = deliver(listener, wire_mail(), [SUPPORT, BILLING])
    assert (refused, codes(replies)) == ({}, [250, 250])
    assert [SUPPORT.encode() in replies[0][1], BILLING.encode() in replies[1][1]] == [True, True]
    mail = InboundMail.objects.get()
    assert mail.mailbox == mailboxes[0]  # the first recipient's policy applies


def test_an_unknown_recipient_is_refused_at_rcpt_and_the_known_one_still_gets_250(
    listener: LmtpListener, mailboxes: tuple[Mailbox, Mailbox]
) -> None:
    refused, replies = deliver(listener, wire_mail(), ["nobody@vendor.example", SUPPORT])
    assert refused["nobody@vendor.example"][0] == 550
    assert b"5.1.1" in refused["nobody@vendor.example"][1]
    assert codes(replies) == [250]
    assert InboundMail.objects.get().mailbox == mailboxes[0]


def test_with_no_mailbox_configured_any_recipient_is_taken_under_the_default_policy(
    listener: LmtpListener,
) -> None:
    refused, replies = deliver(listener, wire_mail(), ["anyone@elsewhere.example"])
    assert (refused, codes(replies)) == ({}, [250])
    assert InboundMail.objects.get().mailbox is None


def test_a_redelivered_message_is_answered_250_and_kept_once(
    listener: LmtpListener, mailboxes: tuple[Mailbox, Mailbox]
) -> None:
    raw = wire_mail()
    _refused, first = deliver(listener, raw, [SUPPORT])
    _refused, again = deliver(listener, raw, [SUPPORT])
    assert codes(first + again) == [250, 250]
    mail = InboundMail.objects.get()
    assert f"inbound mail {mail.pk}".encode() in again[0][1]


def test_an_over_size_message_gets_552_for_each_recipient_and_nothing_is_stored(
    settings: Any, start_listener: StartListener, mailboxes: tuple[Mailbox, Mailbox]
) -> None:
    settings.SLADESK_MAIL_MAX_BYTES = 2000
    listener = start_listener()
    raw = wire_mail(body="x" * 70 + "\n" + ("y" * 70 + "\n") * 40)
    # MAIL without SIZE=, so the limit is met in the data, where LMTP answers per recipient.
    refused, replies = deliver(listener, raw, [SUPPORT, BILLING])
    assert refused == {}
    assert codes(replies) == [552, 552]
    assert all(b"5.3.4" in text for _code, text in replies)
    # A client that says the size up front is refused at MAIL.
    with client(listener) as connection:
        code, text = connection.mail(SENDER, [f"SIZE={len(raw)}"])
        assert (code, b"5.3.4" in text) == (552, True)
    assert not InboundMail.objects.exists()


def test_a_client_gone_mid_data_stores_nothing_and_the_next_client_is_served(
    listener: LmtpListener, mailboxes: tuple[Mailbox, Mailbox]
) -> None:
    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as raw_socket:
        replies = raw_socket.makefile("rb")

        def say(line: bytes) -> bytes:
            raw_socket.sendall(line + b"\r\n")
            reply = replies.readline()
            while reply[3:4] == b"-":  # a multi-line reply (LHLO)
                reply = replies.readline()
            return reply

        assert replies.readline().startswith(b"220")
        assert say(b"LHLO mta.example").startswith(b"250")
        assert say(b"MAIL FROM:<" + SENDER.encode() + b">").startswith(b"250")
        assert say(b"RCPT TO:<" + SUPPORT.encode() + b">").startswith(b"250")
        assert say(b"DATA").startswith(b"354")
        raw_socket.sendall(wire_mail(message_id="<cut@alpha.example>")[:200])
        replies.close()
    refused, after = deliver(listener, wire_mail(message_id="<next@alpha.example>"), [SUPPORT])
    assert (refused, codes(after)) == ({}, [250])
    assert list(InboundMail.objects.values_list("message_id", flat=True)) == ["next@alpha.example"]


def test_syntax_errors_get_5xx_and_the_session_goes_on(
    listener: LmtpListener, mailboxes: tuple[Mailbox, Mailbox]
) -> None:
    raw = wire_mail()
    with client(listener) as connection:
        assert connection.docmd("RCPT", f"TO:<{SUPPORT}>")[0] == 503  # before MAIL
        assert connection.docmd("FROBNICATE")[0] == 500
        assert connection.docmd("HELO", "mta.example")[0] == 500  # not LMTP
        assert connection.docmd("MAIL")[0] == 501  # no sender
        assert connection.docmd("DATA")[0] == 503  # no recipient yet
        assert connection.mail(SENDER)[0] == 250
        assert connection.rcpt(SUPPORT)[0] == 250
        assert connection.data(raw)[0] == 250
    assert bytes(InboundMail.objects.get().raw) == raw


def test_a_store_that_fails_answers_451_for_each_recipient_and_stores_nothing(
    monkeypatch: pytest.MonkeyPatch, listener: LmtpListener, mailboxes: tuple[Mailbox, Mailbox]
) -> None:
    # A real outage cannot be staged here (the test database must stay up for the
    # assertions): the store raises what Django raises when the database is unreachable.
    def unreachable(**kwargs: Any) -> None:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(lmtp, "inbound_mail_store", unreachable)
    refused, replies = deliver(listener, wire_mail(), [SUPPORT, BILLING])
    assert refused == {}
    assert codes(replies) == [451, 451]
    assert all(b"4.3.0" in text for _code, text in replies)
    assert not InboundMail.objects.exists()
    monkeypatch.undo()  # the database is back: the MTA's retry is stored
    assert codes(deliver(listener, wire_mail(), [SUPPORT])[1]) == [250]
    assert InboundMail.objects.count() == 1


def test_a_recipient_lookup_that_fails_answers_451_at_rcpt(
    monkeypatch: pytest.MonkeyPatch, listener: LmtpListener
) -> None:
    def unreachable(**kwargs: Any) -> None:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(lmtp, "recipient_resolve", unreachable)
    with client(listener) as connection:
        assert connection.mail(SENDER)[0] == 250
        code, text = connection.rcpt(SUPPORT)
        assert (code, b"4.3.0" in text) == (451, True)
        assert connection.noop()[0] == 250


def test_the_listener_serves_a_unix_socket(tmp_path: Path) -> None:
    path = tmp_path / "lmtp.sock"
    with LmtpListener(socket_path=str(path)):
        connection = smtplib.LMTP(str(path), timeout=10)
        try:
            assert connection.ehlo()[0] == 250
            assert connection.sendmail(SENDER, ["anyone@vendor.example"], wire_mail()) == {}
        finally:
            connection.close()
    assert not path.exists()
    assert InboundMail.objects.count() == 1


def test_the_command_answers_lhlo_and_stops_cleanly_on_sigterm() -> None:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603  # our own command
        [sys.executable, "-m", "sladesk.cli", "lmtp", "--port", str(port)],
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port)
        connection = smtplib.LMTP("127.0.0.1", port, timeout=10)
        code, features = connection.ehlo()
        connection.close()
        assert (code, b"ENHANCEDSTATUSCODES" in features) == (250, True)
        process.send_signal(signal.SIGTERM)
        _out, errors = process.communicate(timeout=30)
        assert process.returncode == 0, errors
        assert b"listening on 127.0.0.1:" in errors
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
