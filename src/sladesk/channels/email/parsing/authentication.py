"""What the receiving mail server found of a message's sender: Authentication-Results
(RFC 8601), read for the From domain.

A From header proves nothing by itself; the desk's own mail server checks DMARC, DKIM and
SPF and writes its findings into an Authentication-Results field under its name (the
authserv-id). Only fields under that name are believed, and of them only the topmost (the
last hop prepends its field): a field a sender wrote under the same name further down, or
under any other name, is ignored. The sender counts as authenticated when DMARC passed, or,
without a DMARC verdict, when a DKIM signature or SPF passed for a domain aligned with the
From domain (RFC 7489 §3.1, relaxed alignment)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    PASS = "pass"  # noqa: S105  # a verdict, not a password
    FAIL = "fail"  # the server checked, and nothing aligned with the From domain passed
    NONE = "none"  # no field of the server's: nothing is known


_MAX_FIELD_CHARS = 8 * 1024
_MAX_RESULTS = 50
_MAX_COMMENT_NESTING = 4
_COMMENT = re.compile(r"\([^()]*\)")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_METHOD = re.compile(r"^([a-z0-9_-]+)(?:/[0-9]+)?\s*=\s*([a-z0-9_-]+)", re.IGNORECASE)
_PROPERTY = re.compile(r"([a-z0-9_-]+)\.([a-z0-9_.-]+)\s*=\s*(\S+)", re.IGNORECASE)


@dataclass(frozen=True)
class MethodResult:
    """One `method=result` of a field with its properties (`header.d`, `smtp.mailfrom`)."""

    method: str
    result: str
    properties: dict[str, str]


@dataclass(frozen=True)
class SenderAuthentication:
    """What the server found (`verdict`) and, for the administrator, in its words (`summary`)."""

    verdict: Verdict
    summary: str

    @property
    def passed(self) -> bool:
        return self.verdict == Verdict.PASS


def _without_comments(value: str) -> str:
    for _ in range(_MAX_COMMENT_NESTING):
        stripped = _COMMENT.sub(" ", value)
        if stripped == value:
            break
        value = stripped
    return value


def _split(value: str) -> list[str]:
    """`value` cut at the semicolons outside quoted strings, quotes removed."""
    parts: list[str] = []
    current: list[str] = []
    position = 0
    while position < len(value):
        quoted = _QUOTED.match(value, position)
        if quoted:
            current.append(quoted.group(1).replace("\\", ""))
            position = quoted.end()
            continue
        character = value[position]
        if character == ";":
            parts.append("".join(current))
            current = []
        else:
            current.append(character)
        position += 1
    parts.append("".join(current))
    return parts


def parse_field(value: str) -> tuple[str, list[MethodResult]]:
    """The authserv-id of one Authentication-Results value and its method results."""
    parts = _split(_without_comments(value[:_MAX_FIELD_CHARS]))
    head = parts[0].split()
    authserv_id = head[0].lower() if head else ""
    results = []
    for part in parts[1:_MAX_RESULTS]:
        method = _METHOD.match(part.strip())
        if not method:
            continue  # `none`, or a method this reader does not know how to spell
        properties = {
            f"{kind.lower()}.{name.lower()}": found.strip().lower()
            for kind, name, found in _PROPERTY.findall(part[method.end() :])
        }
        results.append(MethodResult(method.group(1).lower(), method.group(2).lower(), properties))
    return authserv_id, results


def _domain(value: str) -> str:
    """The domain of `header.d`, `header.i` or `smtp.mailfrom` (an address or a domain)."""
    return value.rpartition("@")[2].strip().strip(".").lower()


def aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment without a public suffix list: one domain is the other or a
    subdomain of it. A signer proves control of its own domain, so a parent it names is
    one it controls."""
    domain, from_domain = domain.lower(), from_domain.lower()
    if not domain or not from_domain:
        return False
    return (
        domain == from_domain
        or from_domain.endswith("." + domain)
        or domain.endswith("." + from_domain)
    ) and "." in domain


def _aligned_pass(result: MethodResult, from_domain: str) -> bool:
    if result.result != Verdict.PASS:
        return False
    if result.method == "dkim":
        signer = result.properties.get("header.d") or result.properties.get("header.i", "")
        return aligned(_domain(signer), from_domain)
    if result.method == "spf":
        envelope = result.properties.get("smtp.mailfrom", "")
        return aligned(_domain(envelope), from_domain)
    return False


def _dmarc_pass(result: MethodResult, from_domain: str) -> bool:
    checked = _domain(result.properties.get("header.from", from_domain))
    return result.result == Verdict.PASS and checked == from_domain.lower()


def sender_authentication(
    values: Sequence[str], *, authserv_id: str, from_domain: str
) -> SenderAuthentication:
    """The verdict of the topmost Authentication-Results field under `authserv_id` (fields
    in message order, top first) on a sender of `from_domain`."""
    wanted = authserv_id.strip().lower()
    for value in values:
        server, results = parse_field(value)
        if server != wanted:
            continue
        summary = " ".join(f"{item.method}={item.result}" for item in results) or "none"
        dmarc = [item for item in results if item.method == "dmarc"]
        if dmarc:
            # A DMARC verdict is on the domain in `header.from`: it must be this From's.
            passed = all(_dmarc_pass(item, from_domain) for item in dmarc)
        else:
            passed = any(_aligned_pass(item, from_domain) for item in results)
        return SenderAuthentication(
            Verdict.PASS if passed else Verdict.FAIL, f"{wanted}: {summary}"
        )
    return SenderAuthentication(Verdict.NONE, f"no Authentication-Results from {wanted}")
