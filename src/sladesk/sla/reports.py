"""SLA compliance figures per contract and period (the KPIs reported to the customer)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from sladesk.accounts.models import Contract, User
from sladesk.core.errors import NotFound
from sladesk.sla.clocks import ClockKind, ClockState
from sladesk.sla.selectors import ticket_sla
from sladesk.tickets.models import Ticket


@dataclass(frozen=True)
class ClockFigures:
    measured: int  # clocks that are met or breached
    met: int
    met_percent: float | None
    median: dt.timedelta | None  # business time to first response / to resolution (met clocks)
    p90: dt.timedelta | None


@dataclass(frozen=True)
class Compliance:
    contract: str
    start: dt.date
    end: dt.date
    tickets: int
    response: ClockFigures
    resolution: ClockFigures
    breaches_by_class: dict[str, int] = field(default_factory=dict)
    breaches_by_line: dict[str, int] = field(default_factory=dict)


def _percentile(values: list[dt.timedelta], fraction: float) -> dt.timedelta | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def _figures(states: list[ClockState], durations: list[dt.timedelta]) -> ClockFigures:
    measured = [s for s in states if s in (ClockState.MET, ClockState.BREACHED)]
    met = sum(s == ClockState.MET for s in measured)
    return ClockFigures(
        measured=len(measured),
        met=met,
        met_percent=round(100 * met / len(measured), 1) if measured else None,
        median=statistics.median_low(durations) if durations else None,
        p90=_percentile(durations, 0.9),
    )


def sla_compliance(*, actor: User, contract_id: int, start: dt.date, end: dt.date) -> Compliance:
    """Figures for tickets registered on [start, end] under the contract.

    Vendor staff see every contract; a customer's specialist only their organisation's."""
    contracts = Contract.objects.all()
    if not actor.is_vendor_staff:
        contracts = (
            contracts.filter(organisation_id=actor.organisation_id)
            if actor.role == "specialist"
            else contracts.none()
        )
    contract = contracts.filter(pk=contract_id).first()
    if contract is None:
        raise NotFound(_("No such contract."))
    tickets = Ticket.objects.filter(
        contract=contract, registered_at__date__gte=start, registered_at__date__lte=end
    ).select_related("contract", "ticket_class", "line")
    states: dict[ClockKind, list[ClockState]] = {ClockKind.RESPONSE: [], ClockKind.RESOLUTION: []}
    durations: dict[ClockKind, list[dt.timedelta]] = {
        ClockKind.RESPONSE: [],
        ClockKind.RESOLUTION: [],
    }
    by_class: Counter[str] = Counter()
    by_line: Counter[str] = Counter()
    count = 0
    for ticket in tickets:
        count += 1
        sla = ticket_sla(ticket)
        for clock in sla.clocks if sla else []:
            if clock.kind not in states:
                continue  # the update clock is a working rhythm, not a reported target
            states[clock.kind].append(clock.state)
            if clock.met_at is not None:
                durations[clock.kind].append(clock.elapsed)
            if clock.state == ClockState.BREACHED:
                by_class[ticket.ticket_class.code if ticket.ticket_class else "-"] += 1
                by_line[str(ticket.line.level) if ticket.line else "-"] += 1
    return Compliance(
        contract=contract.number,
        start=start,
        end=end,
        tickets=count,
        response=_figures(states[ClockKind.RESPONSE], durations[ClockKind.RESPONSE]),
        resolution=_figures(states[ClockKind.RESOLUTION], durations[ClockKind.RESOLUTION]),
        breaches_by_class=dict(sorted(by_class.items())),
        breaches_by_line=dict(sorted(by_line.items())),
    )
