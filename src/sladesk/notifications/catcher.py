"""The mail catcher: without an SMTP server (`SLADESK_SMTP_HOST` unset) the desk's mail is
written as `.eml` files under `<SLADESK_DATA_DIR>/mail/`, and administrators read it in the
workspace. A message is kept exactly as SMTP would have carried it (every header, CRLF line
ends), so a mail client can open the file as it is."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage as ParsedMessage
from email.parser import BytesParser
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from sladesk.channels.email.parsing.markup import html_to_text, markup_over_limits, sanitize_html

logger = logging.getLogger(__name__)

BACKEND = "sladesk.notifications.catcher.CatcherBackend"
# "20261203T184900123456Z-<12 hex>.eml": sorts by the moment it was caught (UTC, to the
# microsecond), and the random part keeps two messages of one microsecond apart.
NAME = re.compile(r"\A\d{8}T\d{12}Z-[0-9a-f]{12}\.eml\Z")
# Bodies beyond these are summarised, not shown: the page must stay cheap to render.
MAX_SHOWN_CHARACTERS = 1_000_000


def catcher_active() -> bool:
    """Whether the desk's mail goes to the catcher (no SMTP server configured)."""
    return bool(settings.EMAIL_BACKEND == BACKEND)


def mail_folder() -> Path:
    """Where caught mail is written: `<SLADESK_DATA_DIR>/mail/`."""
    return Path(settings.DATA_DIR) / "mail"


def new_name(moment: dt.datetime | None = None) -> str:
    """A file name that sorts by time and is unique (see `NAME`)."""
    moment = (moment or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return f"{moment:%Y%m%dT%H%M%S%f}Z-{uuid.uuid4().hex[:12]}.eml"


def write_atomically(folder: Path, name: str, data: bytes) -> Path:
    """Write `data` to `folder/name` so that a reader sees the whole file or none: a
    temporary file in the same folder, flushed to disk, then renamed over the name."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp creates the file readable by its owner only: caught mail holds reset links.
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".catching-", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        target = folder / name
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # the rename itself made durable, where possible
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    return target


class CatcherBackend(BaseEmailBackend):
    """Django's mail backend that writes each message to the catcher's folder.

    A message that cannot be written raises (OSError), so the outbox keeps it and tries
    again; with `fail_silently` (Django's own callers, such as error mail to admins) it is
    logged instead, never dropped without a word."""

    def __init__(
        self, fail_silently: bool = False, folder: Path | None = None, **kwargs: object
    ) -> None:
        super().__init__(fail_silently=fail_silently)  # SMTP's options (timeout) do not apply
        self.folder = folder or mail_folder()

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        written = 0
        for message in email_messages:
            if not message.recipients():
                continue
            # The bytes the SMTP backend would hand to the server (smtp.EmailBackend._send).
            data = message.message().as_bytes(linesep="\r\n")
            try:
                write_atomically(self.folder, new_name(), data)
            except OSError:
                if not self.fail_silently:
                    raise
                logger.exception("the mail catcher could not write a message to %s", self.folder)
                continue
            written += 1
        return written


@dataclass(frozen=True)
class CaughtSummary:
    """One line of the list: what the headers say."""

    name: str
    date: dt.datetime | None
    to: str
    subject: str


@dataclass(frozen=True)
class CaughtPart:
    """A text part as a reader sees it: plain text, or the sanitised text of an HTML part."""

    content_type: str
    text: str


@dataclass(frozen=True)
class CaughtMessage:
    """One caught message, decoded: its headers in order, its text parts, its attachments."""

    name: str
    size: int
    subject: str
    headers: list[tuple[str, str]]
    parts: list[CaughtPart]
    attachments: list[str]


def caught_names() -> list[str]:
    """Names of the caught messages, newest first (only names the catcher itself gives)."""
    try:
        names = [entry.name for entry in os.scandir(mail_folder()) if NAME.match(entry.name)]
    except FileNotFoundError:
        return []
    return sorted(names, reverse=True)


def _path_of(name: str) -> Path | None:
    """The file of a caught message, or None: a name the catcher would not give, or one that
    resolves outside its folder, finds nothing."""
    if not NAME.match(name):
        return None
    folder = mail_folder().resolve()
    path = (folder / name).resolve()
    if path.parent != folder or not path.is_file():
        return None
    return path


def _parse(data: bytes, *, headers_only: bool = False) -> ParsedMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(data, headersonly=headers_only)
    assert isinstance(parsed, ParsedMessage)  # noqa: S101  # policy.default makes this class
    return parsed


def _header(message: ParsedMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header the policy cannot parse
        value = None
    return "" if value is None else str(value)


def _date(message: ParsedMessage) -> dt.datetime | None:
    try:
        value = message.get("Date")
        moment = getattr(value, "datetime", None)
    except (ValueError, IndexError, TypeError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return moment


def caught_summaries(names: Sequence[str]) -> list[CaughtSummary]:
    """Date, To and Subject of each named message (headers only are parsed); a file gone
    meanwhile is left out."""
    summaries = []
    for name in names:
        path = _path_of(name)
        if path is None:
            continue
        try:
            with path.open("rb") as handle:
                head = handle.read(64 * 1024)
        except OSError:
            continue
        end = head.find(b"\r\n\r\n")
        message = _parse(head if end < 0 else head[: end + 4], headers_only=True)
        summaries.append(
            CaughtSummary(
                name=name,
                date=_date(message),
                to=_header(message, "To"),
                subject=_header(message, "Subject"),
            )
        )
    return summaries


def _text_of(part: ParsedMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):  # an unknown charset, a broken encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _html_as_text(markup: str) -> str:
    why = markup_over_limits(
        markup, max_bytes=MAX_SHOWN_CHARACTERS, max_depth=200, max_elements=100_000
    )
    if why:
        return f"[{why}]"
    return html_to_text(sanitize_html(markup))


def caught_message(name: str) -> CaughtMessage | None:
    """The caught message `name`, decoded for reading, or None when there is none by that
    name. HTML parts are reduced to their sanitised text: nothing in a message is ever
    shown as markup."""
    path = _path_of(name)
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    message = _parse(data)
    headers = [(name, _decoded(message, name, raw)) for name, raw in message.raw_items()]
    parts: list[CaughtPart] = []
    attachments: list[str] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        if part.get_content_disposition() == "attachment" or not content_type.startswith("text/"):
            attachments.append(part.get_filename() or content_type)
        elif content_type == "text/html":
            parts.append(CaughtPart(content_type, _html_as_text(_text_of(part))))
        else:
            parts.append(CaughtPart(content_type, _text_of(part)[:MAX_SHOWN_CHARACTERS]))
    return CaughtMessage(
        name=name,
        size=len(data),
        subject=_header(message, "Subject"),
        headers=headers,
        parts=parts,
        attachments=attachments,
    )


def _decoded(message: ParsedMessage, name: str, raw: str) -> str:
    """A header's value decoded (encoded words); one the policy cannot parse as it is."""
    try:
        return str(message.policy.header_fetch_parse(name, raw))
    except (ValueError, IndexError, TypeError):
        return str(raw)
