"""Recurring incidents that no problem covers yet: the candidates for a new problem (pure).

Incidents recur when the same service (or, without one, the same organisation) sees the
same class of incident with a title of the same words, again and again within a window.
Titles are compared by their significant words, so "DB1 is down" and "db1 down again"
match, while numbers that change every time (ids, times) do not keep them apart."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

# Words of three letters or more, and names mixing letters and digits ("db1", "vm12"): a
# number alone (an order, a time) changes every time and says nothing.
_WORD = re.compile(r"\b(?=\w*[^\W\d_])[^\W_]{2,}\b", re.UNICODE)
# Words that say nothing of the fault, in the desk's languages.
_NOISE = frozenset(
    {
        "the", "and", "again", "still", "does", "with", "from", "after",
        "error", "problem", "issue", "please", "help", "urgent",
        "опять", "снова", "ошибка", "проблема", "срочно", "помогите", "после",
        "znovu", "chyba", "problém",
    }
)  # fmt: skip


_NEGATIONS = frozenset({"no", "не", "ne"})


@dataclass(frozen=True)
class Incident:
    ticket_id: int
    organisation_id: int
    service_id: int | None
    ticket_class_id: int | None
    title: str
    registered_at: dt.datetime


@dataclass(frozen=True)
class Recurrence:
    """A group of alike incidents, newest first, and the words they share."""

    words: tuple[str, ...]
    ticket_ids: tuple[int, ...]


def signature(title: str) -> tuple[str, ...]:
    """The significant words of a title, folded and sorted. Negations ("not", "не",
    "nefunguje") are kept: "VPN working" is not "VPN not working"; so are names with
    digits: "DB1 down" is not "DB2 down"."""
    words = {word.casefold() for word in _WORD.findall(title)}
    words = {
        word
        for word in words
        if len(word) > 2 or word in _NEGATIONS or any(c.isdigit() for c in word)
    }
    return tuple(sorted(words - _NOISE))


def recurrences(
    incidents: Iterable[Incident], *, at_least: int = 3, within: dt.timedelta
) -> list[Recurrence]:
    """Groups of at least `at_least` alike incidents registered within `within` of the
    group's newest, largest groups first."""
    groups: dict[tuple[tuple[object, ...], tuple[str, ...]], list[Incident]] = defaultdict(list)
    for incident in incidents:
        words = signature(incident.title)
        if not words:
            continue
        where = (
            ("service", incident.service_id)
            if incident.service_id
            else ("organisation", incident.organisation_id)
        )
        groups[((*where, incident.ticket_class_id), words)].append(incident)
    found = []
    for (_where, words), members in groups.items():
        members.sort(key=lambda item: (item.registered_at, item.ticket_id), reverse=True)
        newest = members[0].registered_at
        recent = [item for item in members if newest - item.registered_at <= within]
        if len(recent) >= at_least:
            found.append(Recurrence(words, tuple(item.ticket_id for item in recent)))
    return sorted(found, key=lambda group: (-len(group.ticket_ids), group.words))
