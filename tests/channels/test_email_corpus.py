"""The parser against a real-world corpus: the test mail of stalwartlabs/mail-parser.

The corpus lives beside the repository in shared/mail-corpus/stalwart (its README explains the
expected JSON). Every message must parse, or be refused with a stated reason; the headers,
bodies and attachments must agree with the expected parse except for the disagreements listed
in ACCEPTED and explained in docs/mail-corpus.md. How values are compared is spelled out in
the helpers below and in that document.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from sladesk.channels.email.parsing import Attachment, InboundMessage, MailParseError, parse
from sladesk.channels.email.parsing.filenames import safe_filename

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT.parent / "shared" / "mail-corpus" / "stalwart"
FOLDERS = ("rfc", "legacy", "thirdparty", "malformed")

pytestmark = pytest.mark.skipif(
    not (CORPUS / "eml").is_dir(),
    reason=f"mail corpus not found at {CORPUS}: it comes with the project's shared/ folder",
)

# Every disagreement with the reference that sladesk accepts, by message and aspect, with the
# reason; docs/mail-corpus.md explains each at more length.
_OUTER_ENDS_INNER = "an enclosing boundary ends the inner multipart (RFC 2046 §5.1.2)"
_NOT_A_DELIMITER = "a line that only starts with the boundary is no delimiter (RFC 2046 §5.1.1)"
ACCEPTED: dict[str, dict[str, str]] = {
    "rfc/000.eml": {"attachments": "placeholder text in base64 parts: decoded leniently"},
    "thirdparty/002.eml": {
        "text": "base64 with text after the padding: decoded leniently",
        "attachments": "'?garbage' in a base64 part: decoded leniently",
    },
    "thirdparty/007.eml": {"from": "'moderator' has no domain: not a mailbox"},
    "thirdparty/015.eml": {"attachments": _OUTER_ENDS_INNER},
    "malformed/001.eml": {"text": _OUTER_ENDS_INNER, "attachments": _OUTER_ENDS_INNER},
    "malformed/003.eml": {
        "text": "nested multiparts share one boundary",
        "attachments": "nested multiparts share one boundary",
    },
    "malformed/004.eml": {"attachments": _NOT_A_DELIMITER},
    "malformed/005.eml": {"text": "boundaries that end in '--' are ambiguous"},
    "malformed/006.eml": {"text": "unterminated part", "attachments": "unterminated part"},
    "malformed/007.eml": {"attachments": "a header section without its blank line"},
    "malformed/008.eml": {
        "text": _OUTER_ENDS_INNER,
        "html": _OUTER_ENDS_INNER,
        "attachments": _OUTER_ENDS_INNER,
    },
    "malformed/009.eml": {"text": _OUTER_ENDS_INNER, "attachments": _OUTER_ENDS_INNER},
    "malformed/011.eml": {"text": _OUTER_ENDS_INNER, "attachments": _OUTER_ENDS_INNER},
    "malformed/012.eml": {"attachments": _OUTER_ENDS_INNER},
    "malformed/016.eml": {"text": _OUTER_ENDS_INNER, "attachments": _OUTER_ENDS_INNER},
    "malformed/017.eml": {"attachments": "no ';' before the boundary parameter"},
    "malformed/019.eml": dict.fromkeys(
        ("to", "subject", "date", "message_id", "text", "html"),
        "a broken first header line ends the header section",
    ),
    "malformed/020.eml": {
        "text": "a part whose first boundary is missing",
        "html": "a part whose first boundary is missing",
    },
    "malformed/021.eml": {
        "text": "a part whose first boundary is missing",
        "html": "a part whose first boundary is missing",
    },
}
# Share of messages that agree in every aspect, as measured (see docs/mail-corpus.md).
FLOORS = {"rfc": 0.90, "legacy": 1.00, "thirdparty": 0.85, "malformed": 0.34}
# The channel's promise: header and body agreement at least 95 % in every folder of
# well-formed mail (a body agrees when its text and its HTML both do).
ASPECT_FLOOR = 0.95
WELL_FORMED = frozenset({"rfc", "legacy", "thirdparty"})
_HEADER_ASPECTS = frozenset({"from", "to", "cc", "subject", "date", "message_id"})
# The header-level vectors (headers/*.json), each placed in a message under this field.
VECTOR_FIELDS = {
    "address": "To",
    "content_type": "Content-Type",
    "date": "Date",
    "id": "References",
    "list": "List-Id",
    "received": "Received",
    "unstructured": "Subject",
}
# Share of vectors whose parsed value agrees, as measured (see docs/mail-corpus.md).
VECTOR_FLOORS = {"address": 0.63, "date": 0.90, "id": 0.90, "unstructured": 0.90}

REPLACEMENT = "\ufffd"
_BLOCK_TAGS = frozenset(
    {
        *("address", "blockquote", "body", "br", "caption", "center", "dd", "details", "div"),
        *("dl", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "head", "hr", "html", "li", "ol"),
        *("p", "pre", "summary", "table", "td", "th", "tr", "ul"),
    }
)
_HIDDEN_TAGS = frozenset({"script", "style", "title", "template", "noscript"})
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


def corpus_messages(folder: str | None = None) -> list[Path]:
    if not (CORPUS / "eml").is_dir():
        return []
    pattern = f"{folder}/*.eml" if folder else "*/*.eml"
    return sorted((CORPUS / "eml").glob(pattern))


def name_of(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def header_vectors(kind: str) -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads(
        (CORPUS / "headers" / f"{kind}.json").read_text(encoding="utf-8")
    )
    return vectors


def with_header(field: str, value: str) -> bytes:
    return f"{field}: {value.rstrip()}\nContent-Type: text/plain\n\nbody\n".encode()


# --- how values are compared --------------------------------------------------------------


class _VisibleText(HTMLParser):
    """Text a browser shows: no script, style or title; block elements break words."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in _HIDDEN_TAGS
        if tag in _BLOCK_TAGS:
            self.pieces.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in _HIDDEN_TAGS and self.hidden > 0
        if tag in _BLOCK_TAGS:
            self.pieces.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.pieces.append(data)


def html_words(markup: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(markup)
    parser.close()
    return "".join(parser.pieces).split()


def text_words(text: str) -> list[str]:
    """Words of a body; control characters go, as sladesk strips them before storing."""
    return _CONTROL_CHARACTERS.sub("", text).split()


def normalised(text: str | None) -> str:
    return " ".join((text or "").split())


def agrees(expected: str, actual: str) -> bool:
    """Equal, or equal where the reference has U+FFFD: it could not decode that character,
    sladesk decoded it with a fallback charset."""
    if expected == actual:
        return True
    if REPLACEMENT not in expected:
        return False
    pattern = "".join("." if char == REPLACEMENT else re.escape(char) for char in expected)
    return re.fullmatch(pattern, actual, re.DOTALL) is not None


def header(part: dict[str, Any], name: str) -> Any:
    return next((item["value"] for item in part["headers"] if item["name"] == name), None)


def body(part: dict[str, Any]) -> tuple[str, Any]:
    value = part["body"]
    if isinstance(value, dict):
        kind = next(iter(value))
        return kind, value[kind]
    return value, None


def parameter(part: dict[str, Any], header_name: str, name: str) -> str | None:
    value = header(part, header_name)
    if not isinstance(value, dict) or "ContentType" not in value:
        return None
    attributes = value["ContentType"].get("attributes") or []
    return next((item["value"] for item in attributes if item["name"] == name), None)


def expected_mailboxes(value: Any) -> list[tuple[str, str]]:
    """(name, address) of the reference's entries that have an address: a name alone is no
    mailbox. Groups are flattened, as sladesk does."""
    if not isinstance(value, dict) or "Address" not in value:
        return []
    addresses = value["Address"]
    if "List" in addresses:
        entries = addresses["List"]
    else:
        entries = [entry for group in addresses["Group"] for entry in group.get("addresses") or []]
    return [(normalised(entry["name"]), entry["address"]) for entry in entries if entry["address"]]


def uudecode(data: bytes) -> bytes:
    """The reference keeps x-uuencode content encoded; the stdlib (and so sladesk) decodes it."""
    decoded = bytearray()
    lines = iter(data.splitlines())
    for line in lines:
        if line.startswith(b"begin "):
            break
    for line in lines:
        if line.strip() in (b"end", b""):
            break
        length = (((line[0] - 32) & 63) * 4 + 5) // 3 if line else 0
        decoded += binascii.a2b_uu(line[: max(length, 1)])
    return bytes(decoded)


def expected_content(raw: bytes, part: dict[str, Any]) -> bytes | str | None:
    """The decoded bytes the reference found in `part`, or its text for text parts."""
    kind, value = body(part)
    encoding = (header(part, "content_transfer_encoding") or {}).get("Text", "").strip().lower()
    if kind in ("Binary", "InlineBinary"):
        data = bytes(value)
    elif kind in ("Text", "Html"):
        if "uuencode" not in encoding:
            return str(value)
        data = str(value).encode()
    elif kind == "Message":  # compared with the raw bytes, decoded if the part was encoded
        data = raw[part["offset_body"] : part["offset_end"]]
        if encoding == "base64":
            data = base64.b64decode(data)
    else:
        return None
    return uudecode(data) if "uuencode" in encoding else data


def same_content(attachment: Attachment, content: bytes | str | None, charset: str | None) -> bool:
    if isinstance(content, bytes):
        return attachment.payload == content
    if content is None:
        return False
    try:
        text = attachment.payload.decode(charset or "utf-8", errors="replace")
    except LookupError:
        text = attachment.payload.decode("utf-8", errors="replace")
    return agrees(" ".join(text_words(content)), " ".join(text_words(text)))


# --- the comparison -----------------------------------------------------------------------


def disagreements(path: Path) -> dict[str, str]:
    """Aspects in which sladesk's parse of the LF form disagrees with the reference's."""
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    raw = path.read_bytes().replace(b"\r", b"")
    try:
        parsed = parse(raw)
    except MailParseError as error:
        return {"parse": error.reason}
    found: dict[str, str] = {}
    parts = expected["parts"]
    top = parts[0]
    _compare_headers(parsed, top, found)
    _compare_bodies(parsed, expected, found)
    _compare_attachments(parsed, expected, raw, found)
    return found


def _compare_headers(parsed: InboundMessage, top: dict[str, Any], found: dict[str, str]) -> None:
    sender = [parsed.from_address] if parsed.from_address else []
    for name, ours in (("from", sender), ("to", parsed.to), ("cc", parsed.cc)):
        reference = expected_mailboxes(header(top, name))
        mine = [(normalised(address.name), address.email) for address in ours]
        if len(reference) != len(mine) or not all(
            theirs[1] == own[1] and agrees(theirs[0], own[0])
            for theirs, own in zip(reference, mine, strict=True)
        ):
            found[name] = f"{reference} != {mine}"
    subject = header(top, "subject")
    reference_subject = normalised(subject["Text"]) if isinstance(subject, dict) else ""
    if not agrees(reference_subject, normalised(parsed.subject)):
        found["subject"] = f"{reference_subject!r} != {parsed.subject!r}"
    date = header(top, "date")
    reference_date = _date_fields(date["DateTime"] if isinstance(date, dict) else None)
    if reference_date != _my_date_fields(parsed):
        found["date"] = f"{reference_date} != {_my_date_fields(parsed)}"
    message_id = header(top, "message_id")
    reference_id = message_id["Text"] if isinstance(message_id, dict) else None
    if reference_id != parsed.message_id:
        found["message_id"] = f"{reference_id!r} != {parsed.message_id!r}"


def _vector_agrees(kind: str, expected: Any, parsed: InboundMessage) -> bool:
    if kind == "address":
        reference = expected_mailboxes({"Address": expected} if expected else None)
        mine = [(normalised(address.name), address.email) for address in parsed.to]
        return len(reference) == len(mine) and all(
            theirs[1] == own[1] and agrees(theirs[0], own[0])
            for theirs, own in zip(reference, mine, strict=True)
        )
    if kind == "date":
        return _date_fields(expected) == _my_date_fields(parsed)
    if kind == "id":
        return bool((expected or []) == parsed.references)
    return agrees(normalised(expected), normalised(parsed.subject))


def _date_fields(fields: Any) -> tuple[int, ...] | None:
    """Year to second and the offset in minutes of a reference DateTime."""
    if not isinstance(fields, dict):
        return None
    sign = -1 if fields["tz_before_gmt"] else 1
    offset = sign * (fields["tz_hour"] * 60 + fields["tz_minute"])
    return (*(fields[key] for key in ("year", "month", "day", "hour", "minute", "second")), offset)


def _my_date_fields(parsed: InboundMessage) -> tuple[int, ...] | None:
    if parsed.date is None:
        return None
    offset = parsed.date.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    return (*parsed.date.timetuple()[:6], minutes)


def _words_of(parts: list[dict[str, Any]], indexes: list[int]) -> list[str]:
    words: list[str] = []
    for index in indexes:
        kind, value = body(parts[index])
        if kind == "Text":
            words += text_words(value)
        elif kind == "Html":
            words += html_words(value)
    return words


def _compare_bodies(
    parsed: InboundMessage, expected: dict[str, Any], found: dict[str, str]
) -> None:
    parts = expected["parts"]
    reference_text = " ".join(_words_of(parts, expected["text_body"]))
    # sladesk marks quoted HTML with "> " in its text rendering; those markers are not words.
    my_text = " ".join(word for word in text_words(parsed.text) if word != ">")
    if not agrees(reference_text, my_text):
        found["text"] = f"{reference_text[:200]!r} != {my_text[:200]!r}"
    has_html = any(body(parts[index])[0] == "Html" for index in expected["html_body"])
    if not has_html:
        if parsed.html is not None:
            found["html"] = f"no HTML body expected, got {parsed.html[:100]!r}"
        return
    reference_html = " ".join(_words_of(parts, expected["html_body"]))
    my_html = " ".join(html_words(parsed.html or ""))
    if not agrees(reference_html, my_html):
        found["html"] = f"{reference_html[:200]!r} != {my_html[:200]!r}"


def _compare_attachments(
    parsed: InboundMessage, expected: dict[str, Any], raw: bytes, found: dict[str, str]
) -> None:
    parts = expected["parts"]
    unmatched = list(parsed.attachments)
    problems = []
    for index in expected["attachments"]:
        part = parts[index]
        content = expected_content(raw, part)
        charset = parameter(part, "content_type", "charset")
        match = next((item for item in unmatched if same_content(item, content, charset)), None)
        if match is None:
            problems.append(f"part {index}: no attachment with its content")
            continue
        unmatched.remove(match)
        name = parameter(part, "content_disposition", "filename") or parameter(
            part, "content_type", "name"
        )
        safe = safe_filename(name, ordinal=0, content_type="")
        if name and not (agrees(name, match.filename) or agrees(safe, match.filename)):
            problems.append(f"part {index}: name {name!r} != {match.filename!r}")
    # The reference lists inline media of the bodies in text_body/html_body only; sladesk
    # keeps them as (inline) attachments as well.
    inline_media = [
        expected_content(raw, parts[index])
        for index in set(expected["text_body"] + expected["html_body"])
        if body(parts[index])[0] in ("Binary", "InlineBinary")
    ]
    problems += [
        f"extra attachment {item.filename!r} ({item.content_type})"
        for item in unmatched
        if not any(same_content(item, content, None) for content in inline_media)
    ]
    if problems:
        found["attachments"] = "; ".join(problems)


# --- the tests ----------------------------------------------------------------------------


def _forms(raw: bytes) -> Iterator[tuple[str, bytes]]:
    lf = raw.replace(b"\r", b"")
    yield "LF", lf
    yield "CRLF", lf.replace(b"\n", b"\r\n")


@pytest.mark.parametrize("path", corpus_messages(), ids=name_of)
def test_every_message_parses_or_is_refused_with_a_reason(path: Path) -> None:
    results: dict[str, InboundMessage | MailParseError] = {}
    for form, raw in _forms(path.read_bytes()):
        try:
            results[form] = parse(raw)
        except MailParseError as error:
            results[form] = error
    lf, crlf = results["LF"], results["CRLF"]
    if isinstance(lf, MailParseError) or isinstance(crlf, MailParseError):
        assert isinstance(lf, MailParseError), "refused only with CRLF line ends"
        assert isinstance(crlf, MailParseError), "refused only with LF line ends"
        assert lf.reason
        assert crlf.reason
        return
    for field in ("message_id", "subject", "from_address", "to", "cc", "date", "html"):
        assert getattr(lf, field) == getattr(crlf, field), field
    assert lf.content_hash == crlf.content_hash


@pytest.mark.parametrize("folder", FOLDERS)
def test_agreement_with_the_reference(folder: str, record_property: Any) -> None:
    paths = corpus_messages(folder)
    assert paths
    found = {name_of(path): disagreements(path) for path in paths}
    disagreeing = {name: aspects for name, aspects in found.items() if aspects}
    rate = 1 - len(disagreeing) / len(paths)
    record_property(f"agreement_{folder}", f"{rate:.3f}")
    counts = {
        "headers": sum(not set(aspects) & _HEADER_ASPECTS for aspects in found.values()),
        **{
            aspect: sum(aspect not in aspects for aspects in found.values())
            for aspect in ("text", "html", "attachments")
        },
    }
    print(
        f"\nmail corpus {folder}: {len(paths) - len(disagreeing)}/{len(paths)} agree ({rate:.1%}); "
        + ", ".join(f"{aspect} {count}/{len(paths)}" for aspect, count in counts.items())
    )
    unexplained = {
        name: aspects
        for name, aspects in disagreeing.items()
        if not set(aspects) <= set(ACCEPTED.get(name, {}))
    }
    assert not unexplained, unexplained
    # An accepted disagreement that went away must leave ACCEPTED and docs/mail-corpus.md.
    fixed = {name for name in ACCEPTED if name.startswith(f"{folder}/")} - set(disagreeing)
    assert not fixed, fixed
    assert rate >= FLOORS[folder]
    if folder in WELL_FORMED:
        body_agreeing = sum(not {"text", "html"} & set(aspects) for aspects in found.values())
        record_property(f"header_agreement_{folder}", f"{counts['headers'] / len(paths):.3f}")
        record_property(f"body_agreement_{folder}", f"{body_agreeing / len(paths):.3f}")
        assert counts["headers"] / len(paths) >= ASPECT_FLOOR
        assert body_agreeing / len(paths) >= ASPECT_FLOOR


@pytest.mark.parametrize("kind", sorted(VECTOR_FIELDS))
def test_every_header_vector_parses_or_is_refused_with_a_reason(kind: str) -> None:
    reasons = []
    for vector in header_vectors(kind):
        try:
            parse(with_header(VECTOR_FIELDS[kind], vector["header"]))
        except MailParseError as error:
            reasons.append(error.reason)
    assert all(reasons)


@pytest.mark.parametrize("kind", sorted(VECTOR_FLOORS))
def test_header_vector_agreement(kind: str, record_property: Any) -> None:
    vectors = header_vectors(kind)
    agreeing = sum(
        _vector_agrees(
            kind, vector["expected"], parse(with_header(VECTOR_FIELDS[kind], vector["header"]))
        )
        for vector in vectors
    )
    rate = agreeing / len(vectors)
    record_property(f"vector_agreement_{kind}", f"{rate:.3f}")
    print(f"\nheader vectors {kind}: {agreeing}/{len(vectors)} agree ({rate:.1%})")
    assert rate >= VECTOR_FLOORS[kind]
