"""LMTP intake (RFC 2033): Postfix or Dovecot deliver here, and a message is answered 250
(once per accepted recipient, as LMTP requires) only after its raw bytes are committed.

The listener stores, it does not process: the message stays pending and the worker's retry
job (`inbound_mail_process_pending`) turns it into a ticket or a comment, so a session is
answered as fast as one insert. The ORM is synchronous, so every query runs in a small
thread pool of the listener's own, never on the event loop."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import stat
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, AnyStr, TypeVar

from aiosmtpd.controller import Controller, UnixSocketController
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import close_old_connections

from sladesk.channels.choices import InboundSource
from sladesk.channels.models import Mailbox
from sladesk.channels.services import MessageTooLarge, Stored, inbound_mail_store

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
# LMTP has no port of its own and must not use 25 (RFC 2033 section 5); 24 ("any private
# mail system") needs root. An unprivileged default beside aiosmtpd's 8025.
DEFAULT_PORT = 8024
THREADS = 4  # database connections the listener holds at most

# Replies with enhanced status codes (RFC 3463), which an LMTP server must offer (RFC 2033
# section 5).
TOO_BIG = "552 5.3.4 Message too big for system"
TRY_LATER = "451 4.3.0 Message not stored; try again later"
UNKNOWN_RECIPIENT = "550 5.1.1 No such mailbox here"
LINE_TOO_LONG = "500 5.5.2 Line too long"

# aiosmtpd's own refusals, which carry no enhanced code and, inside DATA, come once for the
# whole transaction where LMTP needs one reply per accepted recipient (an MTA waits for
# them all). Matched by their text: the over-size and long-line tests guard it against an
# aiosmtpd release that words them otherwise.
_REWRITTEN = {
    "552 Error: Too much mail data": TOO_BIG,
    "552 Error: message size exceeds fixed maximum message size": TOO_BIG,
    "500 Line too long (see RFC5321 4.5.3.1.6)": LINE_TOO_LONG,
}

Result = TypeVar("Result")


@dataclass(frozen=True)
class Recipient:
    """Whether a RCPT address is taken, and the mailbox whose policy then applies (None: no
    mailbox is configured, and the settings' policy applies as for `mail-in`)."""

    accepted: bool
    mailbox: Mailbox | None = None


def recipient_resolve(*, address: str) -> Recipient:
    """The mailbox with this address (case-insensitive); with no mailbox configured at all,
    any address is taken under the default policy, as `mail-in` without `--mailbox` does."""
    mailbox = Mailbox.objects.filter(address__iexact=address).order_by("pk").first()
    if mailbox is not None:
        return Recipient(accepted=True, mailbox=mailbox)
    if not Mailbox.objects.exists():
        return Recipient(accepted=True)
    return Recipient(accepted=False)


def lmtp_message_store(*, raw: bytes, recipient: str) -> Stored:
    """Commit one delivered message once, whatever the number of its recipients, under the
    mailbox of the first of them. A redelivery returns the row stored before."""
    mailbox = recipient_resolve(address=recipient).mailbox
    return inbound_mail_store(raw=raw, source=InboundSource.PIPE, mailbox=mailbox)


class LmtpIntake:
    """The aiosmtpd handler: recipients checked at RCPT, the message stored at DATA."""

    def __init__(self, executor: ThreadPoolExecutor) -> None:
        self.executor = executor

    async def _in_thread(self, function: Callable[[], Result]) -> Result:
        def run() -> Result:
            # The pool's threads keep their connections between messages: drop one that is
            # broken or past CONN_MAX_AGE, as Django does around a request.
            close_old_connections()
            try:
                return function()
            finally:
                close_old_connections()

        return await asyncio.get_running_loop().run_in_executor(self.executor, run)

    async def handle_EHLO(  # noqa: N802  # aiosmtpd's hook name (LHLO calls it)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        # Pipelined commands are read in order already; both are required of LMTP servers.
        return [*responses[:-1], "250-PIPELINING", "250-ENHANCEDSTATUSCODES", responses[-1]]

    async def handle_RCPT(  # noqa: N802  # aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        try:
            recipient = await self._in_thread(lambda: recipient_resolve(address=address))
        except Exception as error:
            logger.warning(
                "lmtp: recipient %s deferred (%s: %s)", address, type(error).__name__, error
            )
            return TRY_LATER
        if not recipient.accepted:
            logger.info("lmtp: recipient %s refused: no mailbox has this address", address)
            return UNKNOWN_RECIPIENT
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802  # aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        recipients = list(envelope.rcpt_tos)
        raw = bytes(envelope.original_content or b"")
        try:
            stored = await self._in_thread(
                lambda: lmtp_message_store(raw=raw, recipient=recipients[0])
            )
        except MessageTooLarge:  # the cap was lowered since the listener started
            logger.info("lmtp: message from %s refused: too large", envelope.mail_from)
            return _each(recipients, lambda _recipient: TOO_BIG)
        except Exception as error:  # nothing is committed: the MTA keeps the message
            logger.warning(
                "lmtp: message from %s not stored (%s: %s); answered 451",
                envelope.mail_from,
                type(error).__name__,
                error,
            )
            return _each(recipients, lambda _recipient: TRY_LATER)
        logger.info(
            "lmtp: inbound mail %s %s (from %s to %s)",
            stored.mail.pk,
            "stored" if stored.created else "delivered again, kept once",
            envelope.mail_from,
            ", ".join(recipients),
        )
        return _each(
            recipients,
            lambda recipient: f"250 2.0.0 <{recipient}> stored as inbound mail {stored.mail.pk}",
        )


def _each(recipients: list[str], reply: Callable[[str], str]) -> str:
    """One reply per accepted recipient, in their order (RFC 2033 section 4.2)."""
    return "\r\n".join(reply(recipient) for recipient in recipients)


class LmtpServer(LMTP):
    """aiosmtpd's LMTP with its own refusals given enhanced codes and, after DATA, repeated
    for each recipient."""

    _data_recipients = 0

    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802  # aiosmtpd's command method
        self._data_recipients = len(self.envelope.rcpt_tos) if self.envelope else 0
        try:
            await super().smtp_DATA(arg)
        finally:
            self._data_recipients = 0

    async def push(self, status: AnyStr) -> None:
        if isinstance(status, str) and status in _REWRITTEN:
            await super().push("\r\n".join([_REWRITTEN[status]] * max(self._data_recipients, 1)))
            return
        await super().push(status)


class _InetController(Controller):
    def factory(self) -> SMTP:
        return LmtpServer(self.handler, **self.SMTP_kwargs)


class _UnixController(UnixSocketController):
    def factory(self) -> SMTP:
        return LmtpServer(self.handler, **self.SMTP_kwargs)


class LmtpListener:
    """The LMTP server on a TCP address or a Unix socket, in a thread of its own."""

    def __init__(
        self, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, socket_path: str | None = None
    ) -> None:
        self.host, self.port, self.socket_path = host, port, socket_path
        self.executor = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="lmtp-db")
        options: dict[str, Any] = {
            "data_size_limit": settings.SLADESK_MAIL_MAX_BYTES,
            "server_hostname": socket.gethostname(),
            "ident": "sladesk LMTP",
        }
        handler = LmtpIntake(self.executor)
        self.controller: Controller | UnixSocketController
        if socket_path:
            self.controller = _UnixController(handler, unix_socket=socket_path, **options)
        else:
            self.controller = _InetController(handler, hostname=host, port=port, **options)

    @property
    def address(self) -> str:
        return f"unix:{self.socket_path}" if self.socket_path else f"{self.host}:{self.port}"

    def start(self) -> None:
        if self.socket_path:
            _stale_socket_remove(Path(self.socket_path))
        self.controller.start()

    def stop(self) -> None:
        """Close the listener and its sessions; a store already running finishes (an MTA
        whose reply was cut off delivers again, and the message is kept once)."""
        self.controller.stop()
        self.executor.shutdown(wait=True)
        if self.socket_path:
            Path(self.socket_path).unlink(missing_ok=True)

    def __enter__(self) -> LmtpListener:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _stale_socket_remove(path: Path) -> None:
    """A socket left by a listener that died cannot be bound again; anything else at the
    path is not ours to remove."""
    if path.exists():
        if not stat.S_ISSOCK(path.stat().st_mode):
            raise FileExistsError(f"{path} exists and is not a socket")
        path.unlink()


def lmtp_run(*, host: str, port: int, socket_path: str | None) -> int:
    """Serve LMTP until SIGINT or SIGTERM, then stop cleanly; the process's exit code."""
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with LmtpListener(host=host, port=port, socket_path=socket_path) as listener:
            logger.info("lmtp: listening on %s", listener.address)
            while not stopping.wait(1.0):
                pass
            logger.info("lmtp: stopping")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
