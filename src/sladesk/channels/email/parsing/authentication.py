"""What the receiving mail server found of a message's sender: Authentication-Results
(RFC 8601), read for the From domain.

A From header proves nothing by itself; the desk's own mail server checks DMARC, DKIM and
SPF and writes its findings into an Authentication-Results field under its name (the
authserv-id). Only fields under that name are believed, and of them only the topmost run (the
last hop prepends its fields): a field a sender wrote under the same name further down, or
under any other name, is ignored. A field that does not follow the grammar is believed in
nothing. The sender counts as authenticated when DMARC passed for the From domain, or,
where DMARC decided nothing (no record), when a DKIM signature or SPF passed for a domain
aligned with it (RFC 7489 §3.1, relaxed alignment)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    PASS = "pass"  # noqa: S105  # a verdict, not a password
    FAIL = "fail"  # the server checked, and nothing aligned with the From domain passed
    NONE = "none"  # no field of the server's: nothing is known


_MAX_FIELD_CHARS = 8 * 1024
_MAX_RESULTS = 50
_MAX_COMMENT_DEPTH = 8
_SPACE = " \t\r\n"
_WORD_ENDS = _SPACE + '()";=\\'
# A DMARC result that decides nothing, so that aligned DKIM or SPF still may: the domain
# has no DMARC record (none), a provider's guess (bestguesspass), a lookup that failed.
_NO_DMARC_VERDICT = frozenset({"none", "bestguesspass", "temperror", "permerror", "policy"})


class Unreadable(ValueError):
    """A field that does not follow RFC 8601, or one past the limits: believed in nothing."""


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


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "quoted", ";" or "="
    text: str
    spaced: bool  # white space or a comment comes before it


def _comment_end(value: str, start: int) -> int:
    """Where the comment opening at `start` ends (RFC 5322 §3.2.2: nested comments and
    quoted-pairs; a double quote inside a comment is only a character)."""
    depth, position = 0, start
    while position < len(value):
        character = value[position]
        if character == "\\":
            position += 2
            continue
        if character == "(":
            depth += 1
            if depth > _MAX_COMMENT_DEPTH:
                raise Unreadable("comments nested too deep")
        elif character == ")":
            depth -= 1
            if depth == 0:
                return position + 1
        position += 1
    raise Unreadable("a comment is not closed")


def _quoted_end(value: str, start: int) -> tuple[str, int]:
    """The text of the quoted string opening at `start` and where it ends (parentheses
    inside mean nothing)."""
    characters: list[str] = []
    position = start + 1
    while position < len(value):
        character = value[position]
        if character == "\\" and position + 1 < len(value):
            characters.append(value[position + 1])
            position += 2
            continue
        if character == '"':
            return "".join(characters), position + 1
        characters.append(character)
        position += 1
    raise Unreadable("a quoted string is not closed")


def _scan(value: str) -> Iterator[_Token]:
    position, spaced = 0, False
    while position < len(value):
        character = value[position]
        if character in _SPACE:
            position, spaced = position + 1, True
        elif character == "(":
            position, spaced = _comment_end(value, position), True
        elif character == '"':
            text, position = _quoted_end(value, position)
            yield _Token("quoted", text, spaced)
            spaced = False
        elif character in ";=":
            yield _Token(character, character, spaced)
            position, spaced = position + 1, False
        elif character in ")\\":
            raise Unreadable(f"a stray {character!r}")
        else:
            end = position
            while end < len(value) and value[end] not in _WORD_ENDS:
                end += 1
            yield _Token("word", value[position:end], spaced)
            position, spaced = end, False


def _segments(tokens: Iterable[_Token]) -> list[list[_Token]]:
    segments: list[list[_Token]] = [[]]
    for token in tokens:
        if token.kind == ";":
            segments.append([])
        else:
            segments[-1].append(token)
    return segments


def _value(segment: list[_Token], position: int) -> tuple[str, int]:
    """A property's value: a word or quoted string and what is glued to it (an address
    such as `"a b"@example.com`, a signature such as `abc=`), up to white space."""
    if position >= len(segment) or segment[position].kind not in ("word", "quoted"):
        raise Unreadable("a property has no value")
    parts = [segment[position].text]
    position += 1
    while position < len(segment) and not segment[position].spaced:
        parts.append(segment[position].text)
        position += 1
    return "".join(parts), position


def _result(segment: list[_Token]) -> MethodResult:
    if len(segment) < 3 or [token.kind for token in segment[:3]] != ["word", "=", "word"]:
        raise Unreadable("a result is not `method=result`")
    method = segment[0].text.lower().partition("/")[0]
    properties: dict[str, str] = {}
    position = 3
    while position < len(segment):
        name = segment[position]
        following = segment[position + 1] if position + 1 < len(segment) else None
        if name.kind != "word" or following is None or following.kind != "=":
            raise Unreadable("a property is not `type.name=value`")
        key = name.text.lower()
        if key != "reason" and "." not in key:
            raise Unreadable(f"{key!r} is not a property")
        if key in properties:
            raise Unreadable(f"{key} is given twice")
        properties[key], position = _value(segment, position + 2)
    return MethodResult(method, segment[2].text.lower(), properties)


def _server(segments: list[list[_Token]]) -> str:
    head = segments[0]
    if not head or head[0].kind not in ("word", "quoted"):
        raise Unreadable("the field names no server")
    if len(head) > 2 or (len(head) == 2 and not head[1].text.isdigit()):
        raise Unreadable("the server's name is followed by more than a version")
    return head[0].text.lower()


def server_of(value: str) -> str:
    """The authserv-id a field is written under (read up to its first result, so that a
    field of ours unreadable further on is still ours); "" when even that is unreadable."""
    head = []
    try:
        for token in _scan(value):
            if token.kind == ";":
                break
            head.append(token)
        return _server([head])
    except Unreadable:
        return ""


def parse_field(value: str) -> tuple[str, list[MethodResult]]:
    """The authserv-id of one Authentication-Results value and its method results."""
    if len(value) > _MAX_FIELD_CHARS:
        raise Unreadable("the field is too long")
    segments = _segments(_scan(value))
    server = _server(segments)
    if len(segments) - 1 > _MAX_RESULTS:
        raise Unreadable("too many results")
    results = []
    for segment in segments[1:]:
        if len(segment) == 1 and segment[0].kind == "word" and segment[0].text.lower() == "none":
            continue  # RFC 8601's no-result
        results.append(_result(segment))
    return server, results


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


def _dmarc_verdict(results: list[MethodResult], from_domain: str) -> Verdict | None:
    """What DMARC decided for this From domain, or None when it decided nothing."""
    dmarc = [item for item in results if item.method == "dmarc"]
    if not dmarc:
        return None
    if len(dmarc) > 1:
        return Verdict.FAIL  # one check, one result: a second one was written by someone else
    [result] = dmarc
    if result.result in _NO_DMARC_VERDICT:
        return None
    checked = _domain(result.properties.get("header.from", from_domain))
    # A DMARC result is on the domain in `header.from`: it must be this From's.
    passed = result.result == Verdict.PASS and checked == from_domain.lower()
    return Verdict.PASS if passed else Verdict.FAIL


def _ours(blocks: Sequence[Sequence[str]], wanted: str) -> list[str] | None:
    """The topmost fields under `wanted`: the first such field and those directly below it
    (OpenDKIM and OpenDMARC each write their own), None when there is none."""
    for block in blocks:
        for start, value in enumerate(block):
            if server_of(value) != wanted:
                continue
            run = [value]
            for following in block[start + 1 :]:
                if server_of(following) != wanted:
                    break
                run.append(following)
            return run
    return None


def sender_authentication(
    blocks: Sequence[Sequence[str]], *, authserv_id: str, from_domain: str
) -> SenderAuthentication:
    """The verdict on a sender of `from_domain` of the topmost Authentication-Results fields
    under `authserv_id`. `blocks` are the message's Authentication-Results fields top first,
    grouped where they stand next to each other (another header between two fields starts
    a new group): a forger's fields sit below the server's with other headers between."""
    wanted = authserv_id.strip().lower()
    fields = _ours(blocks, wanted)
    if fields is None:
        return SenderAuthentication(Verdict.NONE, f"no Authentication-Results from {wanted}")
    try:
        results = [result for value in fields for result in parse_field(value)[1]]
    except Unreadable as error:
        return SenderAuthentication(Verdict.FAIL, f"{wanted}: unreadable ({error})")
    summary = " ".join(f"{item.method}={item.result}" for item in results) or "none"
    verdict = _dmarc_verdict(results, from_domain)
    if verdict is None:
        passed = any(_aligned_pass(item, from_domain) for item in results)
        verdict = Verdict.PASS if passed else Verdict.FAIL
    return SenderAuthentication(verdict, f"{wanted}: {summary}")
