"""The notes the desk itself writes into a ticket's conversation, as kinds with parameters.

A comment of the desk (a system line, an internal note, a public notice) is stored as its
kind and plain parameters and rendered when read, in the reader's language: a note written
while English was active reads Russian to a Russian reader. A person's words are a parameter
(`note`, `reason`, `workaround`) and are never translated; a parameter named in a kind's
`translated` is a shipped source text (a choice's label, a line's name, an SLA target's
breach note) and is translated at read time; a parameter that is a note (a dict with `kind`
and `params`, e.g. the SLA event an attention note was raised for) is rendered as one.

Pure apart from gettext: no models, no database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

# How deep a note may sit in another's parameters (an SLA event inside an attention note).
MAX_DEPTH = 3
MISSING = "…"


@dataclass(frozen=True)
class NoteKind:
    """A kind of desk note: its message (a source text for gettext, named %(param)s
    placeholders), the parameters that are source texts themselves, and the optional
    parameters appended when present (language-neutral formats such as " (%s %%)")."""

    template: str
    translated: tuple[str, ...] = ()
    optional: tuple[tuple[str, str], ...] = ()


# Kind (at most 40 characters, stored in Comment.note) -> how it reads. The messages reuse
# the source texts the desk wrote before notes had kinds, so their translations carry over.
NOTES: dict[str, NoteKind] = {
    "reproduced": NoteKind(gettext_noop("Reproduced: %(note)s")),
    "customer_area": NoteKind(
        gettext_noop(
            "This request is in the customer's area of responsibility "
            "(%(class)s): the answer above is the vendor's advice, pointing to the "
            "solution or the documentation."
        )
    ),
    "auto_closed": NoteKind(
        gettext_noop(
            "There was no answer for %(days)d working days, so the ticket is closed as solved. "
            "Reply or register a new ticket if the problem remains."
        )
    ),
    "escalated": NoteKind(
        gettext_noop("Escalated to line %(level)d (%(name)s): %(reason)s"), translated=("name",)
    ),
    "attention_raised": NoteKind(gettext_noop("Raised to the lead: %(reason)s")),
    "attention_cleared": NoteKind(gettext_noop("Lead: %(note)s")),
    "external_case": NoteKind(
        gettext_noop("External case %(case)s (%(status)s): %(note)s"), translated=("status",)
    ),
    "external_follow_up": NoteKind(
        gettext_noop("Follow up with %(vendor)s on case %(reference)s today.")
    ),
    "sla_event": NoteKind(
        gettext_noop("SLA %(kind)s: %(clock)s"),
        translated=("kind", "clock", "breach_note"),
        optional=(("threshold", " (%s %%)"), ("breach_note", ": %s")),
    ),
    "alert_resolved": NoteKind(gettext_noop("The alert has resolved: %(title)s")),
    "alert_fires_again": NoteKind(gettext_noop("The alert fires again: %(title)s")),
    "alert_scope_dropped": NoteKind(
        gettext_noop("The alert source's service or class was left out: %(reason)s"),
        translated=("reason",),
    ),
    "email_attachments": NoteKind(gettext_noop("Attachments of the e-mail")),
    "workaround_known": NoteKind(
        gettext_noop("A workaround is known (problem %(number)s): %(workaround)s")
    ),
    "cause_fixed": NoteKind(gettext_noop("The cause is fixed (problem %(number)s): %(fix)s")),
    "cause_fixed_in": NoteKind(
        gettext_noop("The cause is fixed in version %(version)s (problem %(number)s): %(fix)s")
    ),
    "release_shipped": NoteKind(
        gettext_noop("Version %(version)s of %(service)s is released, and it includes this ticket.")
    ),
}


@dataclass(frozen=True)
class Note:
    """A desk note to write: its kind (a key of `NOTES`) and its parameters (plain JSON
    values, or a `Note` rendered in place)."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in NOTES:
            raise ValueError(f"unknown note kind {self.kind!r}")

    def stored_params(self) -> dict[str, Any]:
        """The parameters as stored (JSON): a nested note becomes {"kind", "params"}."""
        return {
            name: {"kind": value.kind, "params": value.stored_params()}
            if isinstance(value, Note)
            else value
            for name, value in self.params.items()
        }

    def render(self) -> str:
        """The note in the active language."""
        return note_render(self.kind, self.stored_params())


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return MISSING


def _value(spec: NoteKind, name: str, value: Any, depth: int) -> Any:
    if isinstance(value, Mapping) and "kind" in value:
        if depth >= MAX_DEPTH:
            return MISSING
        params = value.get("params")
        return _render(str(value["kind"]), params if isinstance(params, Mapping) else {}, depth + 1)
    # gettext("") would be the catalogue's header, not an empty text.
    if name in spec.translated and isinstance(value, str) and value:
        return gettext(value)
    return value


def _render(kind: str, params: Mapping[str, Any], depth: int, fallback: str = "") -> str:
    spec = NOTES.get(kind)
    if spec is None:
        return fallback or MISSING
    values = {name: _value(spec, name, value, depth) for name, value in params.items()}
    template = gettext(spec.template)
    try:
        text = template % values
    except (KeyError, TypeError, ValueError):
        if fallback:
            return fallback
        try:
            text = template % _Lenient(values)
        except (TypeError, ValueError):
            return template
    for name, suffix in spec.optional:
        if values.get(name) not in (None, "", 0):
            text += suffix % (values[name],)
    return text


def note_render(kind: str, params: Mapping[str, Any] | None, *, fallback: str = "") -> str:
    """The note `kind` with `params` in the active language; never raises. An unknown kind
    or parameters that do not fit its message give `fallback` (e.g. the comment's stored
    body), else the message with "…" for what is missing."""
    return _render(kind, params if isinstance(params, Mapping) else {}, 0, fallback)


def source_text(label: Any) -> str:
    """The untranslated source text of a lazily translated label (a choice's label), to
    store as a `translated` parameter whatever language is active now."""
    with translation.override(None):
        return str(label)
