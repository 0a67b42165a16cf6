"""Pure rules that tie an inbound message to a ticket; no Django."""

from __future__ import annotations

import re


def ticket_numbers(subject: str, prefix: str) -> list[str]:
    """Ticket numbers (`PREFIX-YYYY-NNNNNN`) in a subject, in order, without repeats."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(prefix)}-(\d{{4}})-(\d{{6}})(?![\w])")
    found = [f"{prefix}-{year}-{serial}" for year, serial in pattern.findall(subject)]
    return list(dict.fromkeys(found))


def domain_of(address: str) -> str:
    """The domain of an address, lower case; "" when there is none."""
    _local, at, domain = address.rpartition("@")
    return domain.strip().lower() if at else ""
