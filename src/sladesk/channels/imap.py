"""Polling IMAP mailboxes (stdlib `imaplib`: the raw bytes must reach the store untouched).
A message is flagged or moved on the server only after it is committed here."""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
from dataclasses import dataclass
from typing import Any

from sladesk.channels.choices import ImapSecurity, InboundSource
from sladesk.channels.models import Mailbox
from sladesk.channels.services import MessageTooLarge, inbound_mail_process, inbound_mail_store
from sladesk.core import clock

logger = logging.getLogger(__name__)

# A keyword (RFC 3501 §2.3.2) rather than \Seen: a person reading the mailbox must not make
# the desk skip a message.
PROCESSED_KEYWORD = "$SladeskProcessed"
# Over SLADESK_MAIL_MAX_BYTES: refused, never stored, left whole on the server with this.
TOO_LARGE_KEYWORD = "$SladeskTooLarge"
BATCH = 200
TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class PollResult:
    fetched: int
    stored: int
    failed: int


class ImapError(Exception):
    """The IMAP server refused a command; the message says which."""


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    if mailbox.security == ImapSecurity.TLS:
        return imaplib.IMAP4_SSL(
            mailbox.host,
            mailbox.port,
            ssl_context=ssl.create_default_context(),
            timeout=TIMEOUT_SECONDS,
        )
    client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=TIMEOUT_SECONDS)
    if mailbox.security == ImapSecurity.STARTTLS:
        client.starttls(ssl_context=ssl.create_default_context())
    return client


def _check(response: tuple[str, list[Any]], what: str) -> list[Any]:
    status, data = response
    if status != "OK":
        raise ImapError(f"{what}: {status} {data!r}")
    return data


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mailbox_poll(*, mailbox: Mailbox) -> PollResult:
    """Fetch the mailbox's unprocessed messages; store each (commit), process it, then mark
    it on the server. A failure to store stops the poll with the message unmarked, so the
    next poll fetches it again; a message over the size cap is refused and left whole on the
    server with the keyword `TOO_LARGE_KEYWORD` (never fetched again); a processing failure
    leaves it pending in the database (retried there) and it is marked, since it is stored."""
    fetched = stored = failed = too_large = 0
    client = _connect(mailbox)
    try:
        _check(client.login(mailbox.username, mailbox.password), "LOGIN")
        _check(client.select(_quoted(mailbox.folder)), "SELECT")
        data = _check(
            client.uid("SEARCH", "UNKEYWORD", PROCESSED_KEYWORD, "UNKEYWORD", TOO_LARGE_KEYWORD),
            "SEARCH",
        )
        uids = [item.decode() for item in (data[0] or b"").split()] if data else []
        for uid in uids[:BATCH]:
            fetched += 1
            raw = _fetch(client, uid)
            try:
                result = inbound_mail_store(raw=raw, source=InboundSource.IMAP, mailbox=mailbox)
            except MessageTooLarge as error:  # kept whole there, for an administrator
                logger.warning("message %s of %s left on the server: %s", uid, mailbox, error)
                _check(client.uid("STORE", uid, "+FLAGS", f"({TOO_LARGE_KEYWORD})"), "STORE")
                too_large += 1
                continue
            except Exception:
                logger.exception("could not store message %s of %s", uid, mailbox)
                failed += 1
                break  # the database is away: leave this and the rest for the next poll
            stored += int(result.created)
            try:
                inbound_mail_process(inbound_mail_id=result.mail.pk)
            except Exception:  # stays pending in the database, retried by the periodic job
                logger.warning("message %s stored, its processing deferred", uid)
            _mark(client, mailbox, uid)
        if mailbox.processed_folder:
            client.expunge()
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    problem = "store failed" if failed else ""
    if too_large:
        problem = (
            f"{too_large} message(s) over the size limit left on the server ({TOO_LARGE_KEYWORD})"
        )
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=clock.now(), last_error=problem)
    return PollResult(fetched=fetched, stored=stored, failed=failed)


def _fetch(client: imaplib.IMAP4, uid: str) -> bytes:
    data = _check(client.uid("FETCH", uid, "(BODY.PEEK[])"), "FETCH")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    raise ImapError(f"FETCH {uid}: no message in the response")


def _mark(client: imaplib.IMAP4, mailbox: Mailbox, uid: str) -> None:
    _check(client.uid("STORE", uid, "+FLAGS", f"({PROCESSED_KEYWORD})"), "STORE")
    if mailbox.processed_folder:
        # COPY then delete (MOVE, RFC 6851, is not universal); the keyword set first means a
        # crash in between leaves a copy that is never fetched again.
        _check(client.uid("COPY", uid, _quoted(mailbox.processed_folder)), "COPY")
        _check(client.uid("STORE", uid, "+FLAGS", "(\\Deleted)"), "STORE")


def mailboxes_poll() -> list[PollResult]:
    """Poll every active mailbox with a host; one failing mailbox does not stop the others."""
    results = []
    for mailbox in Mailbox.objects.filter(is_active=True).exclude(host=""):
        try:
            results.append(mailbox_poll(mailbox=mailbox))
        except Exception as error:
            logger.exception("polling %s failed", mailbox)
            Mailbox.objects.filter(pk=mailbox.pk).update(last_error=str(error)[:2000])
    return results
