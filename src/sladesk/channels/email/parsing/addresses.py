"""Strict parsing of address headers (From, To, Cc, Reply-To).

A header either parses into mailboxes without ambiguity or yields none. The address is taken
only from a parsed addr-spec, never from display text: `email.utils.parseaddr` and
`getaddresses` mistook names for addresses (CVE-2023-27043), so they are not used. The parser of
`email.headerregistry` (the one behind `email.policy.default`) is; every defect it reports
about the address structure rejects its result, since it may then have picked the wrong text:
given `alice@example.org <bob@evil.example>` it returns `alice@example.org`, the display text.
One malformed shape is common and unambiguous, a name that breaks the syntax followed by a
single angle-addr: the angle-addr is where mail goes, so it is the address.
"""

from __future__ import annotations

import re
from email import errors
from email.headerregistry import AddressHeader, HeaderRegistry

from .charsets import clean_header
from .model import Address

_REGISTRY = HeaderRegistry()
# Defects that leave the structure unambiguous: RFC 2047 forbids encoded-words inside quoted
# strings, yet Outlook and others write `"=?utf-8?q?...?=" <a@example.org>`, and mailers often
# omit the space around encoded-words.
_HARMLESS_DEFECTS = frozenset(
    {
        "encoded word inside quoted string",
        "missing trailing whitespace after encoded-word",
        "missing whitespace before encoded word",
    }
)
# RFC 5321 §4.5.3.1.3 limits a path to 256 octets, angle brackets included.
_MAX_ADDRESS_LENGTH = 254
# A dot-atom host name or an address literal (RFC 5322 §3.4.1); rejects what the lenient
# parser lets through into the domain, such as spaces, brackets inside names or a second "@".
_DOMAIN = re.compile(r"[^\s@<>()\[\]\\,;:\"]+|\[[^\[\]\\\s]+\]")
# Text without quotes, comments or commas, then one angle-addr ending the value.
_LONE_ANGLE_ADDRESS = re.compile(r"([^\"(),<>]*)<([^<>\s]+)>")


def parse_mailboxes(value: str) -> list[Address] | None:
    """The mailboxes of an address-list header value, groups flattened; None when the value is
    ambiguous or malformed. `value` is unfolded, with raw 8-bit bytes already decoded."""
    mailboxes = _parse_address_list(value)
    if mailboxes is not None:
        return mailboxes
    lone = _LONE_ANGLE_ADDRESS.fullmatch(value.strip())
    if lone is None:
        return None
    name, address = lone.groups()
    mailboxes = _parse_address_list(f"<{address}>")
    if mailboxes is None or len(mailboxes) != 1:
        return None
    try:
        name = str(_REGISTRY("subject", name))  # decodes encoded-words, as in a phrase
    except Exception:  # the stdlib parser raises assorted errors on hostile input
        return None
    return [Address(name=clean_header(name), email=mailboxes[0].email)]


def _parse_address_list(value: str) -> list[Address] | None:
    try:
        header = _REGISTRY("to", value)
        if not isinstance(header, AddressHeader):
            return None
        addresses = header.addresses
    except Exception:  # the stdlib parser raises assorted errors on hostile input
        return None  # (RecursionError on deeply nested comments, IndexError, ...)
    if any(_is_structural(defect) for defect in header.defects):
        return None
    mailboxes = []
    for address in addresses:
        email = clean_header(address.addr_spec)
        if (
            not address.username
            or not _DOMAIN.fullmatch(address.domain)
            or email != address.addr_spec
            or len(email) > _MAX_ADDRESS_LENGTH
        ):
            return None
        mailboxes.append(Address(name=clean_header(address.display_name), email=email))
    return mailboxes


def _is_structural(defect: errors.MessageDefect) -> bool:
    """Whether `defect` leaves doubt about which mailboxes the header names."""
    if isinstance(defect, errors.InvalidHeaderDefect):
        return str(defect) not in _HARMLESS_DEFECTS
    return isinstance(defect, errors.HeaderMissingRequiredValue)
