"""Hostile mail is bounded and never stops intake: the HTML sanitiser's quadratic nesting, a
parse that outruns its limit or kills its process, MIME and header floods, over-size mail."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import time_machine
from django.conf import LazySettings
from django.db import connection
from django.test import Client

from sladesk.accounts.services import api_token_create
from sladesk.channels import retries
from sladesk.channels import services as intake_services
from sladesk.channels.choices import InboundStatus
from sladesk.channels.email.parsing import MessageRejected, ParseLimits, parse
from sladesk.channels.email.parsing.markup import markup_over_limits
from sladesk.channels.imap import TOO_LARGE_KEYWORD, mailbox_poll
from sladesk.channels.models import InboundMail
from sladesk.channels.services import (
    inbound_mail_process,
    inbound_mail_process_pending,
    inbound_mail_store,
)
from sladesk.tickets.models import Ticket
from tests.channels.conftest import Dovecot, build_mail
from tests.channels.parsers_for_the_child import crashing_parse, held_parse
from tests.conftest import World

NESTED_HTML = b"<div>" * 500_000 + b"x" + b"</div>" * 500_000  # the 5 MB body of the finding
DEEP_HTML = b"<div>" * 20_000 + b"x" + b"</div>" * 20_000  # small, but seconds in the sanitiser


def html_mail(html: bytes, *, message_id: str = "<nested@alpha.example>", extra: str = "") -> bytes:
    return (
        f"From: user@alpha.example\r\nTo: support@vendor.example\r\nSubject: nested\r\n"
        f"Message-ID: {message_id}\r\n{extra}MIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n"
    ).encode() + html


def intake(raw: bytes) -> InboundMail:
    stored = inbound_mail_store(raw=raw)
    return inbound_mail_process(inbound_mail_id=stored.mail.pk)


# --- the nested HTML of the finding -----------------------------------------------------------


def test_the_html_pre_scan_sees_the_nesting_without_sanitising() -> None:
    reason = markup_over_limits(
        NESTED_HTML.decode(), max_bytes=10**8, max_depth=512, max_elements=10**7
    )
    assert reason == "HTML elements nested deeper than 512 levels"
    honest = "<ul><li>one<li>two</ul><p>a<p>b<br><img src=x>" * 5_000  # optional end tags
    assert markup_over_limits(honest, max_bytes=10**8, max_depth=8, max_elements=10**6) is None
    flat = "<span>x</span>" * 101
    assert markup_over_limits(flat, max_bytes=10**8, max_depth=8, max_elements=100) == (
        "HTML body with more than 100 elements"
    )
    assert markup_over_limits("<p>" * 11, max_bytes=10, max_depth=8, max_elements=100) == (
        "HTML body larger than 10 characters"
    )


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        (NESTED_HTML, "HTML body larger than 2097152 characters"),
        (DEEP_HTML, "HTML elements nested deeper than 512 levels"),
    ],
)
def test_nested_html_is_kept_as_an_attachment_not_sanitised(html: bytes, reason: str) -> None:
    message = parse(html_mail(html))
    assert message.html is None
    assert message.html_withheld == reason
    [kept] = message.attachments
    assert kept.content_type == "text/html"
    assert kept.payload == html  # the original part, whole


def test_the_nested_mail_becomes_a_ticket_that_says_the_html_was_not_shown(world: World) -> None:
    mail = intake(html_mail(NESTED_HTML))
    assert mail.status == InboundStatus.PROCESSED
    assert mail.attempts == 1
    ticket = mail.ticket
    assert ticket is not None
    assert "HTML body was not shown" in ticket.description
    assert "HTML body larger than" in ticket.description
    [attachment] = ticket.attachments.all()
    assert attachment.size == len(NESTED_HTML)


def test_a_parse_stuck_in_native_code_is_killed_at_the_limit_and_quarantined(
    world: World, settings: LazySettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the HTML pre-scan the sanitiser runs for minutes in Rust, where no signal
    reaches it; the child is killed at the limit and intake goes on with the next message."""
    settings.SLADESK_MAIL_PARSE_SECONDS = 1
    unbounded = ParseLimits(
        max_raw_bytes=settings.SLADESK_MAIL_MAX_BYTES,
        max_html_bytes=10**8,
        max_html_depth=10**7,
        max_html_elements=10**8,
    )
    monkeypatch.setattr(intake_services, "_limits", lambda: unbounded)
    mail = intake(html_mail(NESTED_HTML))
    assert mail.status == InboundStatus.QUARANTINED
    assert mail.reason == "parsing took longer than 1 s"
    assert mail.attempts == 1
    following = intake(build_mail(message_id="<next@alpha.example>"))
    assert following.status == InboundStatus.PROCESSED


# --- the desk keeps working meanwhile -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_mail_and_api_writes_go_on_while_a_nested_message_is_parsed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's retry path parses the nested message, held inside the parsing child;
    meanwhile another message is stored and processed and the API registers a ticket. Had
    the parse run inside the write transaction, SQLite would answer "database is locked"."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(60)  # bounded readiness wait
    port = listener.getsockname()[1]
    nested = inbound_mail_store(raw=html_mail(NESTED_HTML, extra=f"X-Hold-Port: {port}\r\n"))
    monkeypatch.setattr(intake_services, "parse", held_parse)
    outcome: list[object] = []

    def worker() -> None:
        try:
            outcome.append(inbound_mail_process_pending())
        except Exception as error:  # reported below
            outcome.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    held, _address = listener.accept()
    try:
        assert held.recv(16) == b"parsing"
        monkeypatch.setattr(intake_services, "parse", parse)
        other = intake(build_mail(message_id="<meanwhile@alpha.example>"))
        assert other.status == InboundStatus.PROCESSED
        _token, raw_token = api_token_create(user=world.alpha.user, name="t", scope="write")
        response = Client(headers={"authorization": f"Bearer {raw_token}"}).post(
            "/api/v1/tickets",
            json.dumps({"title": "Filed through the API meanwhile"}),
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
        nested.mail.refresh_from_db()
        assert nested.mail.status == InboundStatus.PENDING  # still being parsed
        assert nested.mail.attempts == 1  # counted and committed before the parse
        assert nested.mail.claimed_until is not None
    finally:
        held.sendall(b"g")
        held.close()
        listener.close()
        thread.join(120)
    assert outcome == [1]
    nested.mail.refresh_from_db()
    assert nested.mail.status == InboundStatus.PROCESSED
    assert "HTML body was not shown" in Ticket.objects.get(inbound_mail=nested.mail).description
    assert Ticket.objects.count() == 3


# --- a parse that kills its process ---------------------------------------------------------


def test_a_message_that_crashes_the_parser_is_quarantined_after_the_allowed_attempts(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(intake_services, "parse", crashing_parse)
    stored = inbound_mail_store(raw=build_mail())
    for attempt in range(1, retries.MAX_PROCESS_ATTEMPTS + 1):
        with pytest.raises(Exception, match="parsing process ended"):
            inbound_mail_process(inbound_mail_id=stored.mail.pk)
        stored.mail.refresh_from_db()
        assert stored.mail.attempts == attempt
    assert stored.mail.status == InboundStatus.QUARANTINED
    assert "ParserCrashed" in stored.mail.reason
    assert inbound_mail_process_pending() == 0  # nothing left to take up
    monkeypatch.undo()
    assert intake(build_mail(message_id="<healthy@alpha.example>")).ticket is not None


def test_an_attempt_that_killed_the_intake_process_counts(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attempt is committed before the work: a process that dies in it (nothing after
    runs, here a BaseException) leaves it counted and the row claimed until the lease ends;
    after the allowed attempts the message is quarantined without another try."""

    class Killed(BaseException):
        pass

    def die(raw: bytes, **options: object) -> None:
        raise Killed

    monkeypatch.setattr(intake_services, "parse_isolated", die)
    stored = inbound_mail_store(raw=build_mail())
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        with pytest.raises(Killed):
            inbound_mail_process(inbound_mail_id=stored.mail.pk)
        stored.mail.refresh_from_db()
        assert (stored.mail.status, stored.mail.attempts) == (InboundStatus.PENDING, 1)
        assert inbound_mail_process_pending() == 1  # taken, but claimed: left alone
        stored.mail.refresh_from_db()
        assert stored.mail.attempts == 1
        for _attempt in range(retries.MAX_PROCESS_ATTEMPTS - 1):
            traveller.shift(dt.timedelta(hours=1))  # the lease lapsed
            with pytest.raises(Killed):
                inbound_mail_process(inbound_mail_id=stored.mail.pk)
        traveller.shift(dt.timedelta(hours=1))
        mail = inbound_mail_process(inbound_mail_id=stored.mail.pk)
    assert mail.status == InboundStatus.QUARANTINED
    assert mail.attempts == retries.MAX_PROCESS_ATTEMPTS
    assert mail.reason.startswith(f"processing did not finish in {retries.MAX_PROCESS_ATTEMPTS}")
    assert not Ticket.objects.exists()


# --- MIME, base64 and header floods -----------------------------------------------------------


def multipart(parts: list[str], *, boundary: str = "b", headers: str = "") -> bytes:
    body = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts)
    return (
        f"From: user@alpha.example\r\nSubject: flood\r\n{headers}MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n{body}--{boundary}--\r\n'
    ).encode()


def test_a_base64_bomb_is_refused_before_it_is_decoded() -> None:
    encoded = base64.encodebytes(b"\0" * 3000).decode()
    raw = multipart(
        [
            f"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            f"{encoded}"
        ]
    )
    limits = ParseLimits(max_decoded_bytes=2000)
    with pytest.raises(MessageRejected, match="decode to more than 2000 bytes"):
        parse(raw, limits=limits)
    assert len(parse(raw).attachments[0].payload) == 3000


def test_delimiter_floods_and_boundary_floods_are_refused_from_the_bytes() -> None:
    flood = b"\r\n".join(b"--b" for _ in range(2000))
    raw = multipart(["Content-Type: text/plain\r\n\r\nx"]).replace(b"--b--", flood + b"\r\n--b--")
    with pytest.raises(MessageRejected, match="more than 500 MIME parts"):
        parse(raw)
    declared = "".join(f'Content-Type: multipart/mixed; boundary="x{n}"\r\n' for n in range(501))
    with pytest.raises(MessageRejected, match="more than 500 MIME parts"):
        parse(multipart(["Content-Type: text/plain\r\n\r\n" + declared]))


def test_deep_mime_is_refused(world: World) -> None:
    raw = b"From: user@alpha.example\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
    for level in range(40):
        raw += f'Content-Type: multipart/mixed; boundary="l{level}"\r\n\r\n--l{level}\r\n'.encode()
    raw += b"Content-Type: text/plain\r\n\r\ndeep\r\n"
    mail = intake(raw)
    assert mail.status == InboundStatus.QUARANTINED
    assert mail.reason == "MIME parts nested deeper than 20 levels"


def test_header_floods_are_refused(world: World) -> None:
    many = "".join(f"X-Filler-{n}: y\r\n" for n in range(1001))
    mail = intake(build_mail(message_id="<normal@alpha.example>"))  # a normal one goes through
    assert mail.status == InboundStatus.PROCESSED
    flooded = intake(
        f"From: user@alpha.example\r\nMessage-ID: <flood@alpha.example>\r\n{many}\r\nx".encode()
    )
    assert flooded.status == InboundStatus.QUARANTINED
    assert flooded.reason == "more than 1000 header fields"
    huge = "X-Huge: " + "y" * (3 * 1024 * 1024) + "\r\n"
    with pytest.raises(MessageRejected, match="header block larger than"):
        parse(f"From: user@alpha.example\r\n{huge}\r\nx".encode())
    part_flood = multipart([f"Content-Type: text/plain\r\n{many}\r\nx"])
    with pytest.raises(MessageRejected, match="more than 1000 header fields"):
        parse(part_flood)


# --- over-size mail is refused whole ----------------------------------------------------------


def _run(
    arguments: list[str], environment: dict[str, str], raw: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(  # noqa: S603  # our own command
        [sys.executable, "-m", "sladesk.cli", *arguments],
        input=raw,
        capture_output=True,
        env={**os.environ, **environment},
        timeout=300,
        check=False,
    )


def test_mail_in_refuses_an_over_size_message_with_exit_65_and_stores_nothing(
    tmp_path: Path,
) -> None:
    environment = {
        "SLADESK_DATABASE_URL": f"sqlite:///{tmp_path / 'pipe.sqlite3'}",
        "SLADESK_DATA_DIR": str(tmp_path),
        "SLADESK_MAIL_MAX_BYTES": "4000",
    }
    migrate = _run(["migrate", "--verbosity", "0"], environment)
    assert migrate.returncode == 0, migrate.stderr
    refused = _run(["mail-in"], environment, build_mail(body="x" * 10_000))
    assert refused.returncode == 65, refused.stderr
    assert b"refused: larger than 4000 bytes" in refused.stderr
    accepted = _run(["mail-in"], environment, build_mail(sender="stranger@nowhere.example"))
    assert accepted.returncode == 0, accepted.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "pipe.sqlite3") as database:
        rows = database.execute("SELECT size FROM channels_inboundmail").fetchall()
    assert len(rows) == 1  # only the message within the cap
    assert rows[0][0] < 4000


def test_the_poller_leaves_an_over_size_message_whole_on_the_server(
    world: World, dovecot: Dovecot, settings: LazySettings
) -> None:
    settings.SLADESK_MAIL_MAX_BYTES = 4000
    big = build_mail(body="x" * 10_000, message_id="<big@alpha.example>")
    dovecot.append(big)
    dovecot.append(build_mail(message_id="<small@alpha.example>"))
    mailbox = dovecot.mailbox()
    result = mailbox_poll(mailbox=mailbox)
    assert (result.fetched, result.stored, result.failed) == (2, 1, 0)
    assert list(InboundMail.objects.values_list("message_id", flat=True)) == ["small@alpha.example"]
    mailbox.refresh_from_db()
    assert TOO_LARGE_KEYWORD in mailbox.last_error
    client = dovecot.client()
    try:
        _status, data = client.uid("SEARCH", "KEYWORD", TOO_LARGE_KEYWORD)
        [uid] = (data[0] or b"").split()
        _status, fetched = client.uid("FETCH", uid, "(BODY.PEEK[])")
    finally:
        client.logout()
    assert fetched[0][1].replace(b"\r\n", b"\n") == big.replace(b"\r\n", b"\n")
    assert mailbox_poll(mailbox=mailbox).fetched == 0  # never fetched again
