"""The people behind each `rules.Party` of one ticket, loaded once per action."""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass, field

from django.conf import settings

from sladesk.accounts.models import User
from sladesk.notifications.directory import directory
from sladesk.notifications.models import ChatTarget
from sladesk.notifications.rules import Party
from sladesk.notifications.services import Recipient
from sladesk.tickets.models import Ticket


@dataclass
class Participants:
    """Whom a set of parties names: people with an account, the address of a sender without
    one, and the chat targets of the ticket's line."""

    people: list[User] = field(default_factory=list)
    contacts: list[Recipient] = field(default_factory=list)
    line_targets: list[ChatTarget] = field(default_factory=list)


def _contact(ticket: Ticket) -> list[Recipient]:
    """The sender of a ticket registered for an address that has no account."""
    contact = ticket.contact.strip()
    if ticket.requester_id is None and "@" in contact and " " not in contact:
        return [Recipient(address=contact, language=settings.LANGUAGE_CODE)]
    return []


def participants(
    ticket: Ticket, parties: frozenset[Party], *, watchers: bool = True
) -> Participants:
    """The people of `parties` in `ticket` as it is now (active accounts only, each once).

    Lines, leads and specialists come from the cached directory; only the ticket's own
    watchers cost a query (none with `watchers=False`: a ticket in its registration has
    none yet). The directory's people are shared by the process: copies are handed out."""
    people = directory()
    found: dict[int, User] = {}
    result = Participants()

    def add(*persons: User | None) -> None:
        for person in persons:
            if person is not None and person.is_active:
                found.setdefault(person.pk, person)

    if Party.REQUESTER in parties:
        add(ticket.requester)
        result.contacts = _contact(ticket)
    if parties & {Party.CUSTOMER_WATCHERS, Party.VENDOR_WATCHERS} and watchers:
        for watcher in ticket.watchers.all():
            wanted = Party.CUSTOMER_WATCHERS if watcher.is_customer else Party.VENDOR_WATCHERS
            if wanted in parties:
                add(watcher)
    if Party.SPECIALISTS in parties and _specialists_hear_all(ticket):
        add(*(copy(people.people[pk]) for pk in people.specialists.get(ticket.organisation_id, ())))
    if Party.ASSIGNEE in parties:
        add(ticket.assignee)
    if Party.LINE in parties and ticket.assignee_id is None and ticket.line_id is not None:
        add(*(copy(people.people[pk]) for pk in people.line_members.get(ticket.line_id, ())))
        result.line_targets = list(people.chat_of_line.get(ticket.line_id, ()))
    if Party.LEAD in parties and ticket.line_id in people.line_leads:
        lead = people.people.get(people.line_leads[ticket.line_id])
        add(copy(lead) if lead is not None else None)
    result.people = list(found.values())
    return result


def _specialists_hear_all(ticket: Ticket) -> bool:
    contract = ticket.contract if ticket.contract_id is not None else None
    return contract is None or contract.specialists_notified == "all"
