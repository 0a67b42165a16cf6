"""Cutting quoted history and signatures off a reply, for English, Russian and Czech mail.

Every pattern matches within one line (or two, for attributions wrapped by the mailer) and is
linear in the line's length, so hostile text cannot make the cut slow.
"""

from __future__ import annotations

import re

# Attribution lines that mail clients put above the quoted message.
_ATTRIBUTIONS = (
    # English (Gmail, Apple Mail, Thunderbird, Outlook for Mac): "On <date>, <who> wrote:"
    re.compile(r"^\s*On\b.*\bwrote\s*:\s*$", re.IGNORECASE),
    # Russian (Thunderbird, The Bat!, Outlook Web): "<date>, <who> писал(а):" or "пишет:"  # noqa: RUF003
    re.compile(r"(?:писал|написал|пишет)(?:\(а\)|а)?\s*:\s*$", re.IGNORECASE),  # noqa: RUF001
    # Czech (Thunderbird, Gmail): "Dne <date> <who> napsal(a):", "... <who> napsal:"
    re.compile(r"\bnapsal(?:\(a\)|a)?\s*:\s*$", re.IGNORECASE),
    # Gmail, Yandex and Mail.ru in most languages end the attribution with "<address>:"
    re.compile(r"<\s*[^<>\s@]+@[^<>\s]+\s*>\s*:\s*$"),
)
# Outlook's separator above a quoted message.
_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*"
    r"(?:Original Message|Исходное сообщение|Původní zpráva|Původní e-mail)"
    r"\s*-{2,}\s*$",
    re.IGNORECASE,
)
# Outlook's header block of the quoted message: "From:" then "Sent:" or "Date:" within a few
# lines (the labels are localised).
_HEADER_BLOCK_START = re.compile(r"^\s*\*?(?:From|От|Od)\s*:", re.IGNORECASE)
_HEADER_BLOCK_FIELD = re.compile(
    r"^\s*\*?(?:Sent|Date|To|Subject|Отправлено|Дата|Кому|Тема|Odesláno|Datum|Komu|Předmět)\s*:",
    re.IGNORECASE,
)
_HEADER_BLOCK_REACH = 3
_QUOTED_LINE = re.compile(r"^\s*>")
# The signature separator of RFC 3676 §4.3 is "-- "; the trailing space is often lost.
_SIGNATURE_SEPARATOR = re.compile(r"^-- ?$")
_MOBILE_TAGLINE = re.compile(
    r"^\s*(?:Sent from my |Get Outlook for |Отправлено с |Odesláno z )",  # noqa: RUF001
    re.IGNORECASE,
)
_RULE_LINE = re.compile(r"^\s*(?:_{5,}|-{5,})\s*$")
_EXCESS_BLANK_LINES = re.compile(r"\n{3,}")


def visible_text(text: str) -> str:
    """The part of `text` the sender wrote for this message: before the quoted history, without
    quoted (">") lines and without the signature. Falls back to all of `text` rather than
    returning nothing."""
    lines = text.split("\n")
    history = next(
        (index for index in range(len(lines)) if _starts_history(lines, index)), len(lines)
    )
    kept = [line for line in lines[:history] if not _QUOTED_LINE.match(line)]
    signature = next(
        (
            index
            for index, line in enumerate(kept)
            if _SIGNATURE_SEPARATOR.match(line) or _MOBILE_TAGLINE.match(line)
        ),
        len(kept),
    )
    kept = kept[:signature]
    while kept and (not kept[-1].strip() or _RULE_LINE.match(kept[-1])):
        kept.pop()
    visible = _EXCESS_BLANK_LINES.sub("\n\n", "\n".join(line.rstrip() for line in kept)).strip()
    return visible or text.strip()


def _starts_history(lines: list[str], index: int) -> bool:
    """Whether the quoted history of an earlier message begins at `lines[index]`."""
    line = lines[index]
    if _SEPARATOR.match(line) or _is_attribution(line):
        return True
    following = lines[index + 1 : index + 1 + _HEADER_BLOCK_REACH]
    if _HEADER_BLOCK_START.match(line) and any(_HEADER_BLOCK_FIELD.match(f) for f in following):
        return True
    # An attribution the sender's mailer wrapped onto a second line. When the second line is
    # an attribution by itself, it is cut there instead: this line may be the sender's text.
    return (
        bool(following)
        and not _QUOTED_LINE.match(line)
        and not _is_attribution(following[0])
        and _is_attribution(f"{line} {following[0]}")
    )


def _is_attribution(line: str) -> bool:
    return any(pattern.search(line) for pattern in _ATTRIBUTIONS)
