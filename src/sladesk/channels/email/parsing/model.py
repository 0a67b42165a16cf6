"""The values the inbound e-mail parser produces, its limits and its errors."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

# Precedence values that mark mass or automatic mail (RFC 3834 §2 names "bulk", "junk" and
# "list"; "auto_reply" is what Exchange and many auto-responders send).
_AUTOMATIC_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
# X-Auto-Response-Suppress tokens (Microsoft [MS-OXCMAIL] §2.2.3.2.20) by which a sender asks
# for no automatic reply; Exchange sets them on its own out-of-office and system messages.
_SUPPRESSING_TOKENS = frozenset({"all", "oof", "autoreply"})


class MailParseError(Exception):
    """The message could not be parsed; `reason` says why. The caller quarantines the raw bytes."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MessageRejected(MailParseError):
    """The message exceeds one of the `ParseLimits`; `reason` names the limit."""


@dataclass(frozen=True)
class ParseLimits:
    """Resource limits, each checked before the work it bounds is done."""

    max_raw_bytes: int = 25 * 1024 * 1024
    # Depth counts the multipart containers around a part: a single-part message has depth 0.
    max_depth: int = 20
    # Every MIME entity counts, containers included; attached messages are one part each.
    max_parts: int = 500
    max_attachments: int = 100
    # Header fields of one entity, and the bytes of the message's own header block.
    max_header_fields: int = 1000
    max_header_bytes: int = 2 * 1024 * 1024
    # What the transfer encodings of all parts decode to, estimated from the encoded sizes.
    max_decoded_bytes: int = 64 * 1024 * 1024
    # An HTML body is sanitised only within these (the sanitiser's cost grows with the square
    # of the nesting depth); beyond them it is kept as an attachment, not shown.
    max_html_bytes: int = 2 * 1024 * 1024
    max_html_depth: int = 512
    max_html_elements: int = 100_000


DEFAULT_LIMITS = ParseLimits()


@dataclass(frozen=True)
class Address:
    """One mailbox. `email` is the addr-spec as written; `name` is display text only ("" if none).

    `name` is never a source of addresses: it may legitimately look like one.
    """

    name: str
    email: str


@dataclass(frozen=True)
class Attachment:
    """A MIME leaf that is not a text body: its transfer-decoded bytes and a file name safe to
    store or offer for download. `content_id` has no angle brackets; `inline` is true when the
    part is shown within the body (an image the HTML refers to by `cid:`, or inline media)."""

    filename: str
    content_type: str
    payload: bytes
    content_id: str | None
    inline: bool


@dataclass(frozen=True)
class HeadersOfInterest:
    """Header values used to tell automatic mail from mail a person wrote, for loop detection.

    Values are unfolded and decoded, None when the header is absent. `return_path` is the
    address inside the angle brackets: "" means the null reverse-path `<>` of bounces and
    auto-replies (RFC 5321 §4.5.5).
    """

    auto_submitted: str | None
    precedence: str | None
    x_auto_response_suppress: str | None
    list_id: str | None
    return_path: str | None
    is_bounce: bool
    # Every Authentication-Results value, top first, grouped where the fields stand next to
    # each other: see `authentication.py`.
    authentication_results: tuple[tuple[str, ...], ...] = ()

    @property
    def is_auto_generated(self) -> bool:
        """True when answering automatically could start a mail loop (RFC 3834 §2, §5)."""
        auto_submitted = (self.auto_submitted or "").split(";")[0].strip().lower()
        suppress = {
            token.strip().lower() for token in (self.x_auto_response_suppress or "").split(",")
        }
        return (
            auto_submitted not in ("", "no")
            or (self.precedence or "").strip().lower() in _AUTOMATIC_PRECEDENCE
            or bool(suppress & _SUPPRESSING_TOKENS)
            or self.list_id is not None
            or self.return_path == ""
            or self.is_bounce
        )


@dataclass(frozen=True)
class InboundMessage:
    """A parsed inbound message.

        Identifiers (`message_id`, `in_reply_to`, `references`) have no angle brackets. `text` is
        the plain-text body, or a rendering of the HTML body when there is no usable plain text;
        `html` is sanitised and safe to embed, None when the message has no HTML body.
        `visible_text` is `text` without quoted history and signature; `html_withheld` says why an
    HTML body over the HTML limits was kept as an attachment instead. `content_hash` is the hex
        SHA-256 of the raw message with CRLF line ends turned into LF, for idempotent intake of
        messages without a Message-ID.
    """

    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    subject: str
    from_address: Address | None
    to: list[Address]
    cc: list[Address]
    reply_to: list[Address]
    date: datetime.datetime | None
    text: str
    html: str | None
    visible_text: str
    attachments: list[Attachment]
    headers_of_interest: HeadersOfInterest
    content_hash: str
    # Why an HTML body was not sanitised and is among the attachments instead, if one was not.
    html_withheld: str | None = None

    @property
    def is_auto_generated(self) -> bool:
        """Shortcut for `headers_of_interest.is_auto_generated`."""
        return self.headers_of_interest.is_auto_generated
