"""Turning bytes in declared, mislabelled or unknown charsets into text, never failing."""

from __future__ import annotations

import base64
import binascii
import codecs
import itertools
import re

# Labels Python does not know, mapped to the codec that decodes them.
_ALIASES = {
    "iso-8859-8-i": "iso-8859-8",  # RFC 1556 logical-order Hebrew: same bytes
    "x-mac-cyrillic": "mac-cyrillic",
    "x-mac-roman": "mac-roman",
}
# Charsets mail software labels text with while using a superset: decode with the superset,
# as the WHATWG Encoding Standard tells browsers to (keys are Python's canonical codec names).
_SUPERSETS = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
}
# Codecs Python calls text encodings that no mail charset label may select.
_REFUSED = frozenset({"unicode-escape", "raw-unicode-escape", "undefined", "idna", "punycode"})
# A well-formed multi-byte UTF-8 sequence: its presence means invalid bytes are damage in UTF-8
# text rather than a sign of some legacy single-byte charset.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
# Raw 8-bit header bytes arrive from the stdlib parser as surrogate escapes.
_ESCAPED_BYTES = re.compile("[\udc80-\udcff]")
# A "Q"-encoded word (RFC 2047 §4.2) holding raw 8-bit bytes, which old mailers wrote.
_Q_WORD_WITH_RAW_BYTES = re.compile(r"=\?[^?\s]+\?[Qq]\?[^?\s]*[\udc80-\udcff][^?\s]*\?=")
# An encoded-word (RFC 2047 §2, with the RFC 2231 §5 language suffix): charset, encoding, text.
_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([QqBb])\?([^?\s]*)\?=")
# Characters a stored body must not hold: C0 controls other than tab, line feed and form feed
# (PostgreSQL rejects NUL) and lone surrogates (not encodable as UTF-8).
_BODY_UNSAFE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff]")
# In a one-line header value also line breaks, C1 controls and bidirectional overrides, which
# could inject header lines into a reply or disguise a name (e.g. U+202E).
_HEADER_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Bytes the stdlib could not decode in an encoded-word come back as lone surrogates.
_SURROGATES = re.compile("[\ud800-\udfff]")


def codec_for(charset: str | None) -> str | None:
    """The Python codec that decodes text labelled `charset`, None if unknown or unusable."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
        b"a".decode(name, errors="replace")  # LookupError for bytes-to-bytes codecs ("base64")
    except (LookupError, ValueError):  # ValueError: NUL or surrogates in the label
        return None
    if name in _REFUSED:
        return None
    return _SUPERSETS.get(name, name)


def decode_bytes(payload: bytes, charset: str | None) -> str:
    """Decode `payload` with the codec for `charset`, falling back when it is unknown or UTF-8.

    Undecodable bytes become U+FFFD.
    """
    codec = codec_for(charset)
    if codec is None or codec == "utf-8":
        return _decode_unlabelled(payload)
    return payload.decode(codec, errors="replace")


def _decode_unlabelled(payload: bytes) -> str:
    """UTF-8 when the bytes are UTF-8, else windows-1252 unless UTF-8 with damage is likelier."""
    codec = "utf-8" if _looks_like_utf8(payload) else "cp1252"
    return payload.decode(codec, errors="replace")


def repair_raw_header(value: str, charset_hint: str | None) -> str:
    """Decode the raw 8-bit bytes of a header value (surrogate escapes from the stdlib parser).

    RFC 6532 makes them UTF-8; older mailers wrote the body's charset, `charset_hint`, or put
    them inside encoded-words.
    """
    if not _ESCAPED_BYTES.search(value):
        return value
    # Raw bytes inside an encoded-word are in that word's charset: make them =XX escapes.
    value = _Q_WORD_WITH_RAW_BYTES.sub(
        lambda word: _ESCAPED_BYTES.sub(
            lambda byte: f"={ord(byte.group()) - 0xDC00:02X}", word.group()
        ),
        value,
    )
    raw = value.encode("utf-8", errors="surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return decode_bytes(raw, charset_hint)


def merge_encoded_words(value: str) -> str:
    """`value` with each run of adjacent encoded-words merged into one per charset, and each
    charset replaced by the codec `decode_bytes` would use.

    The white space between adjacent encoded-words is not text (RFC 2047 §6.2), and mailers
    split multi-byte characters across words; the stdlib decodes a display name word by word,
    so both go wrong unless merged. Merged words stay encoded: decoded text could carry
    "<", "@" or "," into the header's structure.
    """
    pieces: list[str] = []
    run: list[tuple[str | None, bytes]] = []
    position = 0
    for word in _ENCODED_WORD.finditer(value):
        gap = value[position : word.start()]
        decoded = _decode_word(word)
        if run and (gap.strip() or decoded is None):
            pieces.append(_encode_run(run))
            run = []
        if decoded is None:
            pieces.append(gap + word.group())
        elif run:
            run.append(decoded)
        else:
            pieces.append(gap)
            run = [decoded]
        position = word.end()
    if run:
        pieces.append(_encode_run(run))
    pieces.append(value[position:])
    return "".join(pieces)


def _decode_word(word: re.Match[str]) -> tuple[str | None, bytes] | None:
    """The codec (None if the charset is unknown) and bytes of an encoded-word."""
    charset, encoding, text = word.groups()
    try:
        if encoding in "Bb":
            payload = base64.b64decode(text + "=" * (-len(text) % 4))
        else:
            payload = binascii.a2b_qp(text.encode("ascii"), header=True)
    except (ValueError, binascii.Error):  # ValueError: non-ASCII text; left to the stdlib
        return None
    return codec_for(charset), payload


def _encode_run(run: list[tuple[str | None, bytes]]) -> str:
    """One base64 encoded-word for each stretch of words in the same charset."""
    words = []
    for codec, group in itertools.groupby(run, key=lambda item: item[0]):
        payload = b"".join(data for _, data in group)
        name = codec or ("utf-8" if _looks_like_utf8(payload) else "cp1252")
        words.append(f"=?{name}?b?{base64.b64encode(payload).decode('ascii')}?=")
    return "".join(words)


def _looks_like_utf8(payload: bytes) -> bool:
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return bool(_UTF8_SEQUENCE.search(payload))
    return True


def clean_body(text: str) -> str:
    """`text` with LF line ends and without characters a stored body must not contain."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _BODY_UNSAFE.sub("", text)


def clean_header(text: str) -> str:
    """`text` as one line: controls and bidi overrides become spaces, runs of space collapse,
    undecodable characters become U+FFFD."""
    text = _SURROGATES.sub("\ufffd", text)
    return " ".join(_HEADER_UNSAFE.sub(" ", text).split())
