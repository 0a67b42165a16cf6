"""The MIME tree: its limits, its text and HTML bodies, and its attachments."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import errors
from email.generator import BytesGenerator
from email.header import Header
from email.headerregistry import HeaderRegistry, ParameterizedMIMEHeader
from email.message import Message
from email.policy import Compat32
from urllib.parse import unquote

from .charsets import clean_body, decode_bytes
from .filenames import safe_filename
from .headers import HeaderReader
from .markup import html_to_text, markup_over_limits, sanitize_html, text_to_html
from .model import Attachment, MessageRejected, ParseLimits


class _ParsingPolicy(Compat32):
    """compat32, which keeps raw header text, so that a bad header costs one field rather than
    the parse (policy.default parses Content-Type while reading, and a deeply nested comment
    there raises RecursionError); but with header values unfolded (RFC 5322 §2.2.3) when read,
    as compat32 does not: a boundary folded inside quotes would never be found."""

    def header_fetch_parse(  # type: ignore[override]  # Compat32's own type; typeshed: "-> str"
        self, name: str, value: str
    ) -> str | Header:
        return super().header_fetch_parse(name, "".join(value.splitlines()))


class _OpaqueMessage(Message):
    """A part whose message/* content stays raw (except message/delivery-status).

    The feedparser parses a part's content into a nested message exactly when
    `get_content_maintype()` is "message", and then cannot give back its bytes: attached
    messages are stored as they came. `get_content_type()` still tells the real type.
    """

    def get_content_maintype(self) -> str:
        maintype = super().get_content_maintype()
        return "application" if maintype == "message" else maintype


# max_line_length=0: the generator re-emits delivery-status blocks without refolding.
PARSER_POLICY = _ParsingPolicy(max_line_length=0, message_factory=_OpaqueMessage)
_REGISTRY = HeaderRegistry()
_TEXT_TYPES = frozenset({"text/plain", "text/html"})
_BOUNCE_TYPES = frozenset(
    {"multipart/report", "message/delivery-status", "message/global-delivery-status"}
)
# type "/" subtype, each an RFC 6838 §4.2 restricted-name.
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
_CID_REFERENCE = re.compile(r"""cid:([^"'\s>]+)""", re.IGNORECASE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_FIELD_START = re.compile(rb"^[^ \t\r\n]", re.MULTILINE)
_BOUNDARY = re.compile(rb"""boundary\*?[0-9]*\*?[ \t]*=[ \t]*"?([^";\r\n]{1,200})""", re.IGNORECASE)
_DASHED_LINE = re.compile(rb"^--([^\r\n]{1,204})", re.MULTILINE)


@dataclass(frozen=True)
class Bodies:
    text: str
    html: str | None
    attachments: list[Attachment]
    is_bounce: bool
    html_withheld: str | None = None


def prescan(raw: bytes, limits: ParseLimits) -> None:
    """Raise `MessageRejected` for what the stdlib parser would spend too long on, from the
    bytes alone and in linear time, before it starts: a huge or crowded header block, or more
    MIME boundaries and delimiter lines than `max_parts` allows (the parser checks every line
    against every enclosing boundary). An estimate; `check_limits` counts exactly after."""
    end = _HEADER_END.search(raw, 0, limits.max_header_bytes + 4)
    header = raw[: end.start()] if end else raw[: limits.max_header_bytes + 1]
    if end is None and len(raw) > limits.max_header_bytes:
        raise MessageRejected(f"header block larger than {limits.max_header_bytes} bytes")
    if len(_FIELD_START.findall(header)) > limits.max_header_fields:
        raise MessageRejected(f"more than {limits.max_header_fields} header fields")
    boundaries = {match.group(1).strip() for match in _BOUNDARY.finditer(raw)}
    if len(boundaries) > limits.max_parts:
        raise MessageRejected(f"more than {limits.max_parts} MIME parts")
    if not boundaries:
        return
    delimiters = 0
    for match in _DASHED_LINE.finditer(raw):
        line = match.group(1).rstrip()
        if line in boundaries or (line.endswith(b"--") and line[:-2] in boundaries):
            delimiters += 1
            if delimiters > limits.max_parts + len(boundaries):
                raise MessageRejected(f"more than {limits.max_parts} MIME parts")


def check_limits(message: Message, limits: ParseLimits) -> None:
    """Raise `MessageRejected` when the tree is deeper or has more parts than `limits` allow,
    an entity has too many header fields, or the parts would decode to more than
    `max_decoded_bytes` (estimated from their encoded sizes, before anything is decoded)."""
    stack = [(message, 0)]
    count = 0
    decoded = 0
    while stack:
        part, depth = stack.pop()
        count += 1
        if count > limits.max_parts:
            raise MessageRejected(f"more than {limits.max_parts} MIME parts")
        if depth > limits.max_depth:
            raise MessageRejected(f"MIME parts nested deeper than {limits.max_depth} levels")
        if len(part) > limits.max_header_fields:
            raise MessageRejected(f"more than {limits.max_header_fields} header fields")
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in payload if isinstance(child, Message))
        elif isinstance(payload, str):
            decoded += _decoded_size(part, payload)
            if decoded > limits.max_decoded_bytes:
                raise MessageRejected(
                    f"parts that decode to more than {limits.max_decoded_bytes} bytes"
                )


def _decoded_size(part: Message, payload: str) -> int:
    """An upper bound of what the part's transfer encoding decodes to: base64 gives three
    bytes for four characters, the others at most one byte a character."""
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    return len(payload) * 3 // 4 + 3 if encoding == "base64" else len(payload)


def trim_glued_close_delimiter(message: Message) -> None:
    """Repair one unambiguous defect in place: a multipart whose close delimiter was never
    found (the stdlib records CloseBoundaryNotFoundDefect) and whose last part ends the
    message with `--boundary--` glued to its last line (no line break before it, so it is no
    delimiter by RFC 2046 §5.1.1). Nothing follows it; it can only be the close delimiter,
    and mail clients treat it as one."""
    current = message
    while isinstance(children := current.get_payload(), list):
        boundary = current.get_boundary()
        if not children or not isinstance(children[-1], Message):
            return
        last = children[-1]
        if boundary and any(
            isinstance(defect, errors.CloseBoundaryNotFoundDefect) for defect in current.defects
        ):
            payload = last.get_payload()
            if isinstance(payload, str):
                closing = f"--{boundary}--"
                stripped = payload.rstrip()
                if stripped.endswith(closing) and stripped != closing:
                    last.set_payload(stripped[: -len(closing)])
                    return
        current = last


def charset_hint(message: Message) -> str | None:
    """The first charset declared in the tree: old mailers wrote raw header bytes in it."""
    return next(
        (charset for part in _walk(message) if (charset := part.get_content_charset())), None
    )


def extract_bodies(message: Message, limits: ParseLimits, hint: str | None) -> Bodies:
    """Text, HTML and attachments of the tree whose limits `check_limits` has checked."""
    text_body: list[Message] = []
    html_body: list[Message] = []
    _select_bodies([message], "mixed", False, html_body, text_body, [])
    text_parts = [part for part in text_body if part.get_content_type() in _TEXT_TYPES]
    html_parts = [part for part in html_body if part.get_content_type() in _TEXT_TYPES]
    # A part is often in both lists (the only alternative): decode it once.
    unique_parts = {id(part): part for part in text_parts + html_parts}
    decoded = {key: _BodyPart.of(part, limits) for key, part in unique_parts.items()}
    withheld = [body.withheld for body in decoded.values() if body.withheld]
    html = None
    if any(decoded[id(part)].is_html and decoded[id(part)].text.strip() for part in html_parts):
        html = "\n".join(decoded[id(part)].html for part in html_parts)
    text = "\n".join(decoded[id(part)].text for part in text_parts).strip("\n")
    if not text.strip() and html is not None:  # an empty plain-text alternative
        text = html_to_text(html)
    referenced = {unquote(cid) for cid in _CID_REFERENCE.findall(html or "")}
    inline_ids = {id(part) for part in text_body + html_body}
    attachments: list[Attachment] = []
    for part in _walk(message):
        if (id(part) in decoded and not decoded[id(part)].withheld) or not _holds_content(part):
            continue  # a body shown, or a container; an HTML body not sanitised is kept here
        if len(attachments) == limits.max_attachments:
            raise MessageRejected(f"more than {limits.max_attachments} attachments")
        in_body = id(part) in inline_ids
        attachments.append(_attachment(part, len(attachments) + 1, hint, in_body, referenced))
    is_bounce = any(part.get_content_type() in _BOUNCE_TYPES for part in _walk(message))
    return Bodies(
        text=text,
        html=html,
        attachments=attachments,
        is_bounce=is_bounce,
        html_withheld=withheld[0] if withheld else None,
    )


@dataclass(frozen=True)
class _BodyPart:
    """A text/plain or text/html body part, decoded, both as text and as sanitised HTML;
    `withheld` says why an HTML part over the HTML limits was not sanitised (it is empty)."""

    is_html: bool
    text: str
    html: str
    withheld: str | None = None

    @classmethod
    def of(cls, part: Message, limits: ParseLimits) -> _BodyPart:
        content = decode_bytes(_payload_bytes(part), part.get_content_charset())
        if part.get_content_type() == "text/html":
            withheld = markup_over_limits(
                content,
                max_bytes=limits.max_html_bytes,
                max_depth=limits.max_html_depth,
                max_elements=limits.max_html_elements,
            )
            if withheld:
                return cls(is_html=True, text="", html="", withheld=withheld)
            sanitized = sanitize_html(content)
            return cls(is_html=True, text=html_to_text(sanitized), html=sanitized)
        text = clean_body(content)
        return cls(is_html=False, text=text, html=text_to_html(text))


def _holds_content(part: Message) -> bool:
    """False for containers: a split multipart, or one the stdlib could not split (no boundary
    found) that is empty. A non-empty unsplit multipart is kept so that nothing is lost."""
    if part.get_content_maintype() != "multipart":
        return True
    return not part.is_multipart() and bool(_payload_bytes(part).strip())


def _walk(message: Message) -> Iterator[Message]:
    """The parts of the tree in document order, without entering attached messages; iterative
    where `Message.walk` recurses."""
    stack = [message]
    while stack:
        part = stack.pop()
        yield part
        children = part.get_payload()
        if part.get_content_maintype() == "multipart" and isinstance(children, list):
            stack.extend(child for child in reversed(children) if isinstance(child, Message))


def _select_bodies(
    parts: list[Message],
    multipart_type: str,
    in_alternative: bool,
    html_body: list[Message] | None,
    text_body: list[Message] | None,
    attachments: list[Message],
) -> None:
    """The body-selection algorithm of RFC 8621 (JMAP Mail) §4.1.4, transcribed.

    Appends to `text_body` the parts to show as plain text and to `html_body` those to show
    as HTML; a None list is one that this branch of the tree must no longer fill. Recursion is
    bounded by the depth limit.
    """
    text_length = len(text_body) if text_body is not None else -1
    html_length = len(html_body) if html_body is not None else -1
    for index, part in enumerate(parts):
        content_type = part.get_content_type()
        is_multipart = part.get_content_maintype() == "multipart" and part.is_multipart()
        is_inline_media = part.get_content_maintype() in ("image", "audio", "video")
        is_inline = (
            part.get_content_disposition() != "attachment"
            and (content_type in _TEXT_TYPES or is_inline_media)
            # In multipart/related only the first part is a body; a named text part that is
            # not first is taken for an attachment.
            and (
                index == 0
                or (multipart_type != "related" and (is_inline_media or not _filename(part)))
            )
        )
        if is_multipart:
            subtype = part.get_content_subtype()
            children = [child for child in part.get_payload() if isinstance(child, Message)]
            _select_bodies(
                children,
                subtype,
                in_alternative or subtype == "alternative",
                html_body,
                text_body,
                attachments,
            )
        elif is_inline:
            if multipart_type == "alternative":
                if content_type == "text/plain" and text_body is not None:
                    text_body.append(part)
                elif content_type == "text/html" and html_body is not None:
                    html_body.append(part)
                else:
                    attachments.append(part)
                continue
            if in_alternative:
                if content_type == "text/plain":
                    html_body = None
                if content_type == "text/html":
                    text_body = None
            if text_body is not None:
                text_body.append(part)
            if html_body is not None:
                html_body.append(part)
            if (text_body is None or html_body is None) and is_inline_media:
                attachments.append(part)
        else:
            attachments.append(part)
    if multipart_type == "alternative" and text_body is not None and html_body is not None:
        if text_length == len(text_body) and html_length != len(html_body):
            text_body.extend(html_body[html_length:])  # found HTML only
        if html_length == len(html_body) and text_length != len(text_body):
            html_body.extend(text_body[text_length:])  # found plain text only


def _attachment(
    part: Message, ordinal: int, hint: str | None, in_body: bool, referenced: set[str]
) -> Attachment:
    """The part as an attachment; inline when the body selection showed it (`in_body`) or the
    HTML body refers to its Content-ID (`referenced`)."""
    content_ids = HeaderReader(part, hint).message_ids("content-id")
    content_id = content_ids[0] if content_ids else None
    # compat32 returns whatever precedes the first ";", such as "multipart/mixed\tboundary=x".
    content_type = "".join(part.get_content_type().split()[:1])
    if not _MEDIA_TYPE.fullmatch(content_type):
        content_type = "application/octet-stream"
    return Attachment(
        filename=safe_filename(_filename(part, hint), ordinal=ordinal, content_type=content_type),
        content_type=content_type,
        payload=_payload_bytes(part),
        content_id=content_id,
        inline=in_body or content_id in referenced,
    )


def _filename(part: Message, hint: str | None = None) -> str | None:
    """The sender's name for the part: Content-Disposition's filename, else Content-Type's
    name (RFC 2183 §2.3), decoded from RFC 2231 or encoded-words."""
    reader = HeaderReader(part, hint)
    for header, parameter in (("content-disposition", "filename"), ("content-type", "name")):
        values = reader.values(header)
        if not values:
            continue
        try:
            parsed = _REGISTRY(header, values[0])
            name = (
                parsed.params.get(parameter)
                if isinstance(parsed, ParameterizedMIMEHeader)
                else None
            )
        except Exception:  # the stdlib parser raises assorted errors on hostile input
            name = None
        if name:
            return str(name)
    return None


def _payload_bytes(part: Message) -> bytes:
    """The part's content with the transfer encoding undone."""
    payload = part.get_payload()
    if isinstance(payload, list):  # message/delivery-status, parsed into header blocks
        buffer = io.BytesIO()
        generator = BytesGenerator(buffer, mangle_from_=False, policy=PARSER_POLICY)
        for block in payload:
            if isinstance(block, Message):
                generator.flatten(block)
        return buffer.getvalue()
    # The stdlib compares the encoding's name unstripped, and trailing blanks are common.
    encoding = part.get("content-transfer-encoding")
    if encoding is not None and str(encoding) != str(encoding).strip():
        part.replace_header("content-transfer-encoding", str(encoding).strip())
    decoded = part.get_payload(decode=True)
    return decoded if isinstance(decoded, bytes) else b""
