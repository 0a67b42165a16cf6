"""`sladesk mail-in --recipient` with `SLADESK_LMTP`: the MTA's pipe hands the message to the
running LMTP listener, which commits it before it answers, without starting Django; with no
listener answering it stores the message itself, as before."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sladesk.channels.models import InboundMail, Mailbox
from tests.channels.conftest import free_port
from tests.channels.test_lmtp import SUPPORT, StartListener, start_listener, wire_mail

__all__ = ["start_listener"]

pytestmark = pytest.mark.django_db(transaction=True)


def mail_in(raw: bytes, *arguments: str, **environment: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(  # noqa: S603  # our own command
        [sys.executable, "-m", "sladesk.cli", "mail-in", *arguments],
        input=raw,
        capture_output=True,
        env={**os.environ, **environment},
        timeout=120,
        check=False,
    )


def test_the_message_goes_through_the_listener_and_exits_0_once_stored(
    start_listener: StartListener,
) -> None:
    Mailbox.objects.create(name="support", address=SUPPORT)
    listener = start_listener()
    raw = wire_mail()
    result = mail_in(raw, "--recipient", SUPPORT, SLADESK_LMTP=f"127.0.0.1:{listener.port}")
    assert result.returncode == 0, result.stderr
    stored = InboundMail.objects.get()
    assert bytes(stored.raw) == raw
    assert stored.mailbox is not None
    assert stored.mailbox.address == SUPPORT


def test_a_recipient_no_mailbox_has_exits_67_and_nothing_is_stored(
    start_listener: StartListener,
) -> None:
    Mailbox.objects.create(name="support", address=SUPPORT)
    listener = start_listener()
    result = mail_in(
        wire_mail(),
        "--recipient",
        "nobody@vendor.example",
        SLADESK_LMTP=f"127.0.0.1:{listener.port}",
    )
    assert result.returncode == 67, result.stderr
    assert not InboundMail.objects.exists()


def test_a_message_the_listener_finds_too_big_exits_65(
    settings: Any, start_listener: StartListener
) -> None:
    settings.SLADESK_MAIL_MAX_BYTES = 2000
    Mailbox.objects.create(name="support", address=SUPPORT)
    listener = start_listener()
    result = mail_in(
        wire_mail(body="x" * 5000),
        "--recipient",
        SUPPORT,
        SLADESK_LMTP=f"127.0.0.1:{listener.port}",
    )
    assert result.returncode == 65, result.stderr
    assert not InboundMail.objects.exists()


def test_with_no_listener_answering_it_stores_the_message_itself(tmp_path: Path) -> None:
    # No listener on this port, and no database either: the direct path is taken, and
    # fails as it always did, with 75 (the MTA keeps the message).
    result = mail_in(
        wire_mail(),
        "--recipient",
        SUPPORT,
        SLADESK_LMTP=f"127.0.0.1:{free_port()}",
        SLADESK_DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere",
        SLADESK_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 75, result.stderr
    assert b"not stored" in result.stderr
