"""Reading the top-level header fields of a message parsed with `email.policy.compat32`.

compat32 keeps header values as the raw text; each field here is decoded on its own, so a
hostile value costs that field only, never the whole message.
"""

from __future__ import annotations

import datetime
import re
from email.headerregistry import HeaderRegistry
from email.message import Message
from email.utils import parsedate_to_datetime

from .addresses import parse_mailboxes
from .charsets import clean_header, merge_encoded_words, repair_raw_header
from .model import Address

_REGISTRY = HeaderRegistry()
# Longer values are cut before decoding: the stdlib's structured parsers are superlinear on
# some inputs (thousands of encoded-words), and no honest field comes near this.
_MAX_VALUE_CHARS = 32 * 1024
# A References chain keeps its root and the nearest ancestors, which is what threading uses.
_MAX_REFERENCES = 100
_MAX_ID_LENGTH = 998  # RFC 5322 §2.1.1 line length limit
_BRACKETED_ID = re.compile(r"<([^<>]*)>")
_COMMENT = re.compile(r"\([^()]*\)")
_MAX_COMMENT_NESTING = 4
_ANGLE_ADDRESS = re.compile(r"<([^<>]*)>")


class HeaderReader:
    """Decoded access to the header fields of `message`.

    `charset_hint` is the charset for raw 8-bit bytes in header values that are not UTF-8.
    """

    def __init__(self, message: Message, charset_hint: str | None) -> None:
        self._message = message
        self._charset_hint = charset_hint

    def _unfolded(self, value: str) -> str:
        return merge_encoded_words(
            repair_raw_header("".join(value.splitlines())[:_MAX_VALUE_CHARS], self._charset_hint)
        )

    def values(self, name: str) -> list[str]:
        """The unfolded values of every `name` field, in message order."""
        name = name.lower()
        return [
            self._unfolded(value)
            for key, value in self._message.raw_items()
            if key.strip().lower() == name
        ]

    def runs(self, name: str) -> list[list[str]]:
        """The values of the `name` fields in message order, grouped where the fields stand
        next to each other: another field between two starts a new group."""
        name = name.lower()
        runs: list[list[str]] = []
        previous_matched = False
        for key, value in self._message.raw_items():
            matched = key.strip().lower() == name
            if matched:
                if not previous_matched:
                    runs.append([])
                runs[-1].append(self._unfolded(value))
            previous_matched = matched
        return runs

    def text(self, name: str) -> str | None:
        """The first `name` field as unstructured text: encoded-words decoded (RFC 2047), one
        clean line; None if absent."""
        values = self.values(name)
        if not values:
            return None
        try:
            decoded = str(_REGISTRY("subject", values[0]))  # the name picks the parser
        except Exception:  # the stdlib parser raises assorted errors on hostile input
            decoded = values[0]
        return clean_header(decoded)

    def sender(self) -> Address | None:
        """The From mailbox; None unless there is exactly one From field naming one mailbox.

        Several From fields or mailboxes are a spoofing device: mail clients and DKIM
        verifiers may each pick a different one.
        """
        values = self.values("from")
        if len(values) != 1:
            return None
        mailboxes = parse_mailboxes(values[0])
        return mailboxes[0] if mailboxes is not None and len(mailboxes) == 1 else None

    def mailboxes(self, name: str) -> list[Address]:
        """The mailboxes of the first `name` field; [] if absent or ambiguous."""
        values = self.values(name)
        return (parse_mailboxes(values[0]) or []) if values else []

    def message_ids(self, name: str) -> list[str]:
        """The message identifiers in the first `name` field, without angle brackets."""
        values = self.values(name)
        if not values:
            return []
        # Inside the brackets, the obsolete syntax allows comments and white space between
        # the atoms (RFC 5322 §4.5.4); they are not part of the identifier.
        identifiers = [
            "".join(_COMMENT.sub("", item).split()) for item in _BRACKETED_ID.findall(values[0])
        ]
        if not identifiers:  # some mailers omit the brackets RFC 5322 §3.6.4 asks for
            identifiers = _COMMENT.sub(" ", values[0]).split()
        unique = list(dict.fromkeys(clean_header(item)[:_MAX_ID_LENGTH] for item in identifiers))
        if len(unique) > _MAX_REFERENCES:
            unique = [unique[0], *unique[-(_MAX_REFERENCES - 1) :]]
        return [identifier for identifier in unique if identifier]

    def date(self) -> datetime.datetime | None:
        """The Date field as an aware datetime; None if absent or unparseable."""
        values = self.values("date")
        if not values:
            return None
        # parsedate does not know the comments RFC 5322 §3.3 allows between the parts;
        # innermost first, for a bounded number of nesting levels.
        value = values[0]
        for _ in range(_MAX_COMMENT_NESTING):
            value, count = _COMMENT.subn(" ", value)
            if not count:
                break
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if parsed.tzinfo is None:  # "-0000": the time is UTC, the sender's zone unknown
            parsed = parsed.replace(tzinfo=datetime.UTC)
        return parsed

    def return_path(self) -> str | None:
        """The address of the first Return-Path field; "" for the null path `<>`."""
        value = self.text("return-path")
        if value is None:
            return None
        bracketed = _ANGLE_ADDRESS.search(value)
        return (bracketed.group(1) if bracketed else value).strip()
