"""Real mail servers on loopback: Dovecot (IMAP) and aiosmtpd (SMTP), and a mail builder."""

from __future__ import annotations

import contextlib
import imaplib
import logging
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from sladesk.channels.choices import ImapSecurity
from sladesk.channels.models import Mailbox

# aiosmtpd logs each connection from its own thread, sometimes after a test's output
# capture has closed; its chatter says nothing the tests do not check.
logging.getLogger("mail.log").setLevel(logging.WARNING)

IMAP_USER = "desk@vendor.example"
IMAP_PASSWORD = "imap-test-password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, seconds: float = 120.0) -> None:
    """Poll a server we started until it accepts connections (bounded)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def build_mail(
    *,
    sender: str = "user@alpha.example",
    to: str = "support@vendor.example",
    subject: str = "The invoice page is blank",
    body: str = "Since this morning the invoice page shows nothing.",
    message_id: str | None = "<m1@alpha.example>",
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Mon, 02 Nov 2026 10:00:00 +0300"
    if message_id:
        message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, content, content_type in attachments or []:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


# --- SMTP -------------------------------------------------------------------------------------


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> Any:
        return BytesParser(policy=default).parsebytes(self.data)


@dataclass
class SmtpRecorder:
    """What the loopback SMTP server received, in order."""

    port: int
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802  # aiosmtpd's hook name
        self.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        return [item for item in self.messages if address in item.recipients]


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpRecorder]:
    port = free_port()
    recorder = SmtpRecorder(port=port)
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.SLADESK_MAIL_FROM = "support@vendor.example"
    settings.SLADESK_MAIL_DOMAIN = "vendor.example"
    try:
        yield recorder
    finally:
        controller.stop()


# --- IMAP -------------------------------------------------------------------------------------


@dataclass
class Dovecot:
    port: int

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(IMAP_USER, IMAP_PASSWORD)
        client.select("INBOX")
        return client

    def append(self, raw: bytes) -> None:
        client = self.client()
        try:
            status, data = client.append("INBOX", None, None, raw)
            assert status == "OK", data
        finally:
            client.logout()

    def unprocessed(self) -> int:
        client = self.client()
        try:
            _status, data = client.uid("SEARCH", "UNKEYWORD", "$SladeskProcessed")
            return len((data[0] or b"").split())
        finally:
            client.logout()

    def mailbox(self, **fields: Any) -> Mailbox:
        return Mailbox.objects.create(
            name=fields.pop("name", "support"),
            address=fields.pop("address", "support@vendor.example"),
            host="127.0.0.1",
            port=self.port,
            security=ImapSecurity.NONE,
            username=IMAP_USER,
            password=IMAP_PASSWORD,
            **fields,
        )


_CONFIG = """
base_dir = {root}/run
state_dir = {root}/run
instance_name = sladesk-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {root}/dovecot.log
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:{root}/mail/%u
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    """A Dovecot of its own on a free loopback port, with one passwd-file user.

    Dovecot must start as root here (it drops to the `dovecot` user for mail); CI installs
    the Debian package (.ci/run)."""
    binary = shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
    )
    if binary is None:
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd; .ci/run does)")
    # Not pytest's tmp_path: its parents are private to root, and Dovecot reads mail as
    # the dovecot user.
    root = Path(tempfile.mkdtemp(prefix="sladesk-dovecot-"))
    root.chmod(0o755)
    (root / "run").mkdir()
    (root / "mail").mkdir()
    shutil.chown(root / "mail", "dovecot", "dovecot")
    (root / "passwd").write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}\n")
    port = free_port()
    (root / "dovecot.conf").write_text(_CONFIG.format(root=root, port=port))
    process = subprocess.Popen(  # noqa: S603  # our binary and config
        [binary, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield Dovecot(port=port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(root, ignore_errors=True)
