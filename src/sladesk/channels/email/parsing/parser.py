"""`parse`: raw RFC 5322 bytes to an `InboundMessage`, raising nothing but `MailParseError`."""

from __future__ import annotations

import hashlib
from email.parser import BytesParser

from .headers import HeaderReader
from .model import (
    DEFAULT_LIMITS,
    HeadersOfInterest,
    InboundMessage,
    MailParseError,
    MessageRejected,
    ParseLimits,
)
from .quotes import visible_text
from .structure import (
    PARSER_POLICY,
    charset_hint,
    check_limits,
    extract_bodies,
    prescan,
    trim_glued_close_delimiter,
)


def parse(raw: bytes, *, limits: ParseLimits = DEFAULT_LIMITS) -> InboundMessage:
    """Parse one message as received (CRLF or LF line ends).

    Raises `MessageRejected` when the message exceeds `limits` and `MailParseError` when it
    cannot be parsed at all; a malformed message otherwise parses as well as it can.
    """
    if not isinstance(raw, bytes):
        raise MailParseError(f"a raw message is bytes, not {type(raw).__name__}")
    if len(raw) > limits.max_raw_bytes:
        raise MessageRejected(f"message larger than {limits.max_raw_bytes} bytes")
    try:
        return _parse(raw, limits)
    except MailParseError:
        raise
    except RecursionError as error:  # the stdlib parser recurses once per nesting level
        raise MessageRejected("MIME parts nested too deeply to parse") from error
    except Exception as error:  # the promise: the caller quarantines on MailParseError only
        raise MailParseError(f"unexpected {type(error).__name__} while parsing") from error


def peek_message_id(raw: bytes) -> str | None:
    """The Message-ID of a raw message read from its header alone, as `parse` reads it; None
    when there is none or the header cannot be read. Cheap: the body is not parsed."""
    try:
        message = BytesParser(policy=PARSER_POLICY).parsebytes(raw, headersonly=True)
        identifiers = HeaderReader(message, None).message_ids("message-id")
    except Exception:  # hostile headers: the caller falls back to the content hash
        return None
    return identifiers[0] if identifiers else None


def content_hash(raw: bytes) -> str:
    """The hex SHA-256 of a raw message with CRLF line ends turned into LF."""
    return hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest()


def _parse(raw: bytes, limits: ParseLimits) -> InboundMessage:
    prescan(raw, limits)
    message = BytesParser(policy=PARSER_POLICY).parsebytes(raw)
    check_limits(message, limits)
    trim_glued_close_delimiter(message)
    hint = charset_hint(message)
    headers = HeaderReader(message, hint)
    bodies = extract_bodies(message, limits, hint)
    message_ids = headers.message_ids("message-id")
    return InboundMessage(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=headers.message_ids("in-reply-to"),
        references=headers.message_ids("references"),
        subject=headers.text("subject") or "",
        from_address=headers.sender(),
        to=headers.mailboxes("to"),
        cc=headers.mailboxes("cc"),
        reply_to=headers.mailboxes("reply-to"),
        date=headers.date(),
        text=bodies.text,
        html=bodies.html,
        visible_text=visible_text(bodies.text),
        attachments=bodies.attachments,
        headers_of_interest=HeadersOfInterest(
            auto_submitted=headers.text("auto-submitted"),
            precedence=headers.text("precedence"),
            x_auto_response_suppress=headers.text("x-auto-response-suppress"),
            list_id=headers.text("list-id"),
            return_path=headers.return_path(),
            is_bounce=bodies.is_bounce,
            authentication_results=tuple(
                tuple(run) for run in headers.runs("authentication-results")
            ),
        ),
        content_hash=content_hash(raw),
        html_withheld=bodies.html_withheld,
    )
