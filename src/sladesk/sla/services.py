"""SLA on tickets: keep the cached columns true, and act once when a moment passes.

`ticket_sla_refresh` runs after every ticket change (tickets.services.common.finish);
`sla_sweep` runs periodically and handles tickets whose `sla_next_check_at` has passed."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, QuerySet
from django.utils import translation

from sladesk.accounts.choices import Role
from sladesk.accounts.models import SupportLine, User
from sladesk.core import clock as desk_clock
from sladesk.core.configcache import cached
from sladesk.sla.choices import SlaAction, SlaEventKind, TicketSlaState
from sladesk.sla.clocks import (
    STOP_STATUSES,
    Clock,
    ClockKind,
    ClockState,
    auto_close_at,
    auto_close_reminder_at,
)
from sladesk.sla.models import Calendar, SlaEvent, SlaPolicy, SlaTarget, default_target_fields
from sladesk.sla.selectors import CLOCK_EVENT_KINDS, TicketSla, matching_target, ticket_sla
from sladesk.tickets.choices import CommentKind, EventKind, Priority
from sladesk.tickets.models import Ticket, TicketEvent
from sladesk.tickets.notes import Note
from sladesk.tickets.signals import tickets_changed

logger = logging.getLogger(__name__)

PRIORITY_LADDER = [Priority.LOW, Priority.MEDIUM, Priority.HIGH, Priority.CRITICAL]
OPEN_CLOCK_STATES = frozenset({ClockState.RUNNING, ClockState.BREACHED, ClockState.PAUSED})


def _is_open(clock: Clock) -> bool:
    return clock.met_at is None and clock.state in OPEN_CLOCK_STATES


Recorded = tuple[str, str, int, int]  # clock, kind, threshold, cycle


def _recorded(ticket: Ticket) -> set[Recorded]:
    return set(
        SlaEvent.objects.filter(ticket=ticket).values_list("clock", "kind", "threshold", "cycle")
    )


def _moments(sla: TicketSla, recorded: set[Recorded]) -> list[dt.datetime]:
    """Every future (or overdue) instant at which the sweep has something to do."""
    moments = []
    for clock in sla.clocks:
        if not _is_open(clock) or clock.state == ClockState.PAUSED:
            continue
        for percent, instant in clock.warnings.items():
            if (clock.kind.value, SlaEventKind.WARNING.value, percent, clock.cycle) not in recorded:
                moments.append(instant)
        if (
            clock.due_at is not None
            and (clock.kind.value, SlaEventKind.BREACH.value, 0, clock.cycle) not in recorded
        ):
            moments.append(clock.due_at)
    closing = auto_close_at(sla.timeline, sla.calendar, sla.policy.auto_close_working_days)
    if closing is not None:
        moments.append(closing)
    reminder = auto_close_reminder_at(
        sla.timeline, sla.calendar, sla.policy.auto_close_working_days
    )
    if reminder is not None and _reminder_key(reminder[1]) not in recorded:
        moments.append(reminder[0])
    return moments


def _reminder_key(cycle: int) -> Recorded:
    return ("", SlaEventKind.CLOSE_REMINDER.value, 0, cycle)


def _state(sla: TicketSla, now: dt.datetime) -> str:
    """The worst of the clocks still owed: breached, at risk, on track, paused. A clock met
    (late or not) is no longer owed; a ticket is "done" only once it is resolved, closed or
    cancelled, never while its resolution is still owed (with or without a target)."""
    status = sla.timeline.spans[-1].status if sla.timeline.spans else "new"
    if status in STOP_STATUSES:
        return TicketSlaState.DONE  # resolved, closed or cancelled: nothing is owed now
    owed = [c for c in sla.clocks if _is_open(c) or c.state == ClockState.PENDING]
    if any(c.state == ClockState.BREACHED for c in owed):
        return TicketSlaState.BREACHED
    running = [c for c in owed if c.state == ClockState.RUNNING]
    if any(min(c.warnings.values(), default=now + dt.timedelta(days=1)) <= now for c in running):
        return TicketSlaState.AT_RISK
    if running:
        return TicketSlaState.OK
    if owed:
        return TicketSlaState.PAUSED
    return TicketSlaState.PAUSED if status in sla.policy.pause_statuses else TicketSlaState.OK


SLA_COLUMNS = [
    "sla_state",
    "sla_response_due_at",
    "sla_resolution_due_at",
    "sla_next_due_at",
    "sla_next_check_at",
]


def _columns(sla: TicketSla | None, recorded: set[Recorded], now: dt.datetime) -> dict[str, Any]:
    if sla is None:
        return {
            "sla_state": "",
            "sla_response_due_at": None,
            "sla_resolution_due_at": None,
            "sla_next_due_at": None,
            "sla_next_check_at": None,
        }
    due = {clock.kind.value: clock.due_at for clock in sla.clocks}
    open_dues = [c.due_at for c in sla.clocks if _is_open(c) and c.due_at is not None]
    moments = _moments(sla, recorded)
    return {
        "sla_state": _state(sla, now),
        "sla_response_due_at": due.get("response"),
        "sla_resolution_due_at": due.get("resolution"),
        "sla_next_due_at": min(open_dues, default=None),
        "sla_next_check_at": min(moments, default=None),
    }


Policies = dict[int, tuple[SlaPolicy, list[SlaTarget]]]


def policies_loaded() -> Policies:
    """Every policy with its target rows, for batch work (a sweep, a recomputation)."""
    return {
        policy.pk: (policy, list(policy.targets.all()))
        for policy in SlaPolicy.objects.select_related("calendar").prefetch_related("targets")
    }


def _ticket_sla(
    ticket: Ticket,
    now: dt.datetime,
    policies: Policies | None,
    events: list[TicketEvent] | None = None,
) -> TicketSla | None:
    policy_id = ticket.contract.sla_policy_id if ticket.contract else None
    if policy_id is None:
        return None
    if policies is None:
        # The policy's target rows with the policy and its calendar joined: one query where
        # `ticket_sla` alone makes two. No target row, no SLA.
        targets = cached(
            ("sla_targets", policy_id),
            lambda: list(
                SlaTarget.objects.filter(policy_id=policy_id).select_related("policy__calendar")
            ),
        )
        if not targets:
            return None
        return ticket_sla(ticket, now=now, policy=targets[0].policy, targets=targets, events=events)
    policy, targets = policies[policy_id]
    return ticket_sla(ticket, now=now, policy=policy, targets=targets, events=events)


def ticket_sla_prime(ticket: Ticket, *, now: dt.datetime) -> None:
    """Set the cached SLA columns of a ticket being registered, before its INSERT: it has
    no clock events and nothing recorded yet, so no query of its history is needed."""
    sla = _ticket_sla(ticket, now, None, events=[])
    for key, value in _columns(sla, set(), now).items():
        setattr(ticket, key, value)


def due_moved(before: dt.datetime, after: dt.datetime) -> bool:
    """Whether a due time changed in a way a person can see: by a whole second or more.

    Clocks are exact to the microsecond, so a pause of a fraction of a second (a request
    for information answered in the same second, a status that flips and flips back)
    moves a due time by that fraction; the column keeps the exact value, but the history
    would read "due 19:00 -> 18:59" and back."""
    return abs(after - before) >= dt.timedelta(seconds=1)


def ticket_sla_refresh(
    ticket: Ticket,
    *,
    actor: User | None = None,
    now: dt.datetime | None = None,
    policies: Policies | None = None,
    changed: tuple[str, ...] = (),
) -> TicketSla | None:
    """Recompute the ticket's cached SLA columns from its events and policy.

    A due time that moves while it exists (e.g. after an accepted reclassification) is
    recorded in the ticket's history with the old and the new value. `changed`: other
    columns the caller set on `ticket` and not saved yet, written in the same UPDATE."""
    from sladesk.tickets.services import history

    moment = now or desk_clock.now()
    sla = _ticket_sla(ticket, moment, policies)
    # Without an SLA there is nothing recorded to look up.
    columns = _columns(sla, _recorded(ticket) if sla is not None else set(), moment)
    for field in ("sla_response_due_at", "sla_resolution_due_at"):
        before, after = getattr(ticket, field), columns[field]
        if before is not None and after is not None and due_moved(before, after):
            history.record(
                ticket, actor, EventKind.SLA_DUE_CHANGED, field=field, before=before, after=after
            )
    if changed or any(getattr(ticket, key) != value for key, value in columns.items()):
        for key, value in columns.items():
            setattr(ticket, key, value)
        Ticket.objects.filter(pk=ticket.pk).update(
            **columns, **{name: getattr(ticket, name) for name in changed}
        )
    return sla


def _emit(
    ticket: Ticket, clock: Clock, kind: str, threshold: int, now: dt.datetime
) -> SlaEvent | None:
    """Record a warning or breach once; None when some worker recorded it already."""
    try:
        with transaction.atomic():
            return SlaEvent.objects.create(
                ticket=ticket,
                clock=clock.kind.value,
                kind=kind,
                threshold=threshold,
                cycle=clock.cycle,
                due_at=clock.due_at,
                at=now,
            )
    except IntegrityError:
        return None


def _recipients(ticket: Ticket, actions: Iterable[str]) -> list[User]:
    people: list[User] = []
    if SlaAction.NOTIFY_ASSIGNEE in actions and ticket.assignee is not None:
        people.append(ticket.assignee)
    if (
        SlaAction.NOTIFY_LINE_LEAD in actions
        and ticket.line is not None
        and ticket.line.lead is not None
    ):
        people.append(ticket.line.lead)
    if SlaAction.NOTIFY_SUPERVISORS in actions:
        people.extend(User.objects.filter(role=Role.SUPERVISOR, is_active=True))
    return list({person.pk: person for person in people}.values())


def _act(ticket: Ticket, event: SlaEvent, actions: list[str], note: str = "") -> None:
    """Carry out a policy's actions for one SLA event (the event is recorded once); `note`:
    what the target row asks of the lead at a breach (seed 004: seek a replacement)."""
    from sladesk.tickets.services import history
    from sladesk.tickets.services.conversation import add_comment
    from sladesk.tickets.services.escalation import raise_attention

    history.action_end(ticket)  # each SLA event is an action of its own
    notified = _recipients(ticket, actions)
    event.data = {"notify": [person.email for person in notified], "actions": actions}
    event.save(update_fields=["data"])
    with translation.override(None):  # the labels' source texts, translated when read
        sla_note = Note(
            "sla_event",
            {
                "kind": event.get_kind_display(),
                "clock": event.get_clock_display(),
                "threshold": event.threshold,
            },
        )
    label = sla_note.render()
    from sladesk.notifications.services import notifications_for_sla_event
    from sladesk.webhooks.services import webhooks_for_sla_event

    notifications_for_sla_event(ticket=ticket, event=event, recipients=notified, note=sla_note)
    webhooks_for_sla_event(ticket=ticket, event=event)
    if SlaAction.RAISE_PRIORITY in actions and ticket.priority != Priority.CRITICAL:
        higher = PRIORITY_LADDER[PRIORITY_LADDER.index(Priority(ticket.priority)) + 1]
        history.change(ticket, None, "priority", higher.value, data={"sla_event_id": event.pk})
    if SlaAction.ESCALATE in actions and ticket.line is not None:
        limit = ticket.contract.included_lines if ticket.contract else 4
        above = (
            # Never to an external vendor: line 4 only with the customer's consent.
            SupportLine.objects.filter(
                level__gt=ticket.line.level, level__lte=limit, is_external=False
            )
            .order_by("level")
            .first()
        )
        if above is not None:
            history.change(
                ticket,
                None,
                "line_id",
                above.pk,
                kind=EventKind.ESCALATED,
                data={"reason": label, "sla_event_id": event.pk},
            )
            if (
                ticket.assignee_id is not None
                and not above.members.filter(pk=ticket.assignee_id).exists()
            ):
                history.change(ticket, None, "assignee_id", None, kind=EventKind.ASSIGNED)
    if note:
        # Shipped breach notes are marked for translation: the source text is stored.
        sla_note = Note("sla_event", sla_note.params | {"breach_note": note})
        label = sla_note.render()
    raised = (SlaAction.RAISE_ATTENTION in actions or bool(note)) and raise_attention(
        ticket, None, label, reason_note=sla_note
    )
    if not raised:  # raising wrote its own note
        add_comment(ticket, None, CommentKind.INTERNAL, note=sla_note)
    ticket.save()
    history.action_end(ticket)


def sla_process(
    ticket_id: int, *, now: dt.datetime | None = None, policies: Policies | None = None
) -> int:
    """Act on everything due for one ticket; returns the number of SLA events recorded.

    The ticket row is locked (skipped if another worker holds it); the unique constraint
    on SLA events makes each warning and breach happen once even so. Without `now` the
    clocks are read at the moment the lock is held: a reply committed while a sweep ran
    is then in the past, not in the future of the instant the clocks are computed for."""
    from sladesk.tickets.services.actions import ticket_auto_close

    emitted = 0
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("contract", "line", "assignee")
            .filter(pk=ticket_id, sla_next_check_at__lte=now or desk_clock.now())
            .first()
        )
        if ticket is None:
            return 0
        moment = now or desk_clock.now()
        sla = _ticket_sla(ticket, moment, policies)
        if sla is None:
            ticket_sla_refresh(ticket, now=moment, policies=policies)
            return 0
        for clock in sla.clocks:
            if not _is_open(clock) or clock.state == ClockState.PAUSED:
                continue
            for percent, instant in sorted(clock.warnings.items()):
                if instant <= moment and (
                    event := _emit(ticket, clock, SlaEventKind.WARNING, percent, moment)
                ):
                    _act(ticket, event, list(sla.policy.warning_actions))
                    emitted += 1
            overdue = clock.due_at is not None and clock.due_at <= moment
            if overdue and (event := _emit(ticket, clock, SlaEventKind.BREACH, 0, moment)):
                note = sla.target.breach_note if clock.kind == ClockKind.RESOLUTION else ""
                _act(ticket, event, list(sla.policy.breach_actions), note)
                emitted += 1
        days = sla.policy.auto_close_working_days
        reminder = auto_close_reminder_at(sla.timeline, sla.calendar, days)
        if reminder is not None and reminder[0] <= moment:
            emitted += _remind_of_closing(ticket, reminder[1], moment, sla)
        closing = auto_close_at(sla.timeline, sla.calendar, sla.policy.auto_close_working_days)
        if closing is not None and closing <= moment:
            days = sla.policy.auto_close_working_days
            with desk_clock.at(closing):
                ticket_auto_close(ticket_id=ticket.pk, working_days=days or 0)
            SlaEvent.objects.create(ticket=ticket, kind=SlaEventKind.AUTO_CLOSED, at=closing)
            emitted += 1
            ticket.refresh_from_db()
        ticket_sla_refresh(ticket, now=moment, policies=policies)
    return emitted


def _remind_of_closing(ticket: Ticket, cycle: int, moment: dt.datetime, sla: TicketSla) -> int:
    """Tell the customer, once per wait, that the ticket closes by itself the next working
    day unless they answer (seed 004's three days, announced a day ahead)."""
    from sladesk.notifications.services import notifications_for_closing

    try:
        with transaction.atomic():
            event = SlaEvent.objects.create(
                ticket=ticket, kind=SlaEventKind.CLOSE_REMINDER, cycle=cycle, at=moment
            )
    except IntegrityError:
        return 0  # another worker told them
    closing = auto_close_at(sla.timeline, sla.calendar, sla.policy.auto_close_working_days)
    notifications_for_closing(ticket=ticket, event=event, closes_at=closing)
    return 1


def sla_sweep(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Process every ticket whose next SLA moment has passed, oldest first (each at the
    moment it is processed, unless `now` fixes one for all)."""
    moment = now or desk_clock.now()
    total = 0
    seen: set[int] = set()
    policies = policies_loaded()
    while True:
        due = list(
            Ticket.objects.filter(sla_next_check_at__lte=moment)
            .exclude(pk__in=seen)
            .order_by("sla_next_check_at")
            .values_list("pk", flat=True)[:batch]
        )
        if not due:
            return total  # what is left is held by another worker, which handles it
        for ticket_id in due:
            total += sla_process(ticket_id, now=now, policies=policies)
        seen.update(due)


def sla_policy_ensure_default(*, policy: SlaPolicy) -> SlaTarget:
    """The policy's default row (no class, severity or priority), created if it is missing
    from the strictest reaction among the policy's rows; see `default_target_fields`."""
    rows = list(policy.targets.all())
    for row in rows:
        if row.is_default:
            return row
    return SlaTarget.objects.create(policy=policy, **default_target_fields(rows))


def sla_install_examples() -> dict[str, SlaPolicy]:
    """Create or update the shipped calendars and policies (idempotent); returns them by code."""
    from sladesk.sla.builtin import CALENDARS, POLICIES
    from sladesk.tickets.models import Severity, TicketClass
    from sladesk.tickets.services.schemes import scheme_install_builtin

    installed: dict[str, SlaPolicy] = {}
    with transaction.atomic():
        calendars = {
            name: Calendar.objects.update_or_create(name=name, defaults={"spec": spec})[0]
            for name, spec in CALENDARS.items()
        }
        for code, spec in POLICIES.items():
            scheme = scheme_install_builtin(code=spec["scheme"])
            policy, _created = SlaPolicy.objects.update_or_create(
                name=spec["name"],
                defaults={
                    "calendar": calendars[spec["calendar"]],
                    "auto_close_working_days": spec["auto_close_working_days"],
                    "warning_percents": spec["warning_percents"],
                    "warning_actions": spec["warning_actions"],
                    "breach_actions": spec["breach_actions"],
                },
            )
            policy.targets.all().delete()
            for class_code, level, response, cutoff, resolution, starts in spec["targets"]:
                ticket_class = (
                    TicketClass.objects.get(scheme=scheme, code=class_code)
                    if class_code is not None
                    else None
                )
                SlaTarget.objects.create(
                    policy=policy,
                    ticket_class=ticket_class,
                    severity=Severity.objects.get(ticket_class=ticket_class, level=level)
                    if level
                    else None,
                    response_budget=dt.timedelta(hours=response) if response is not None else None,
                    response_cutoff=dt.time.fromisoformat(cutoff) if cutoff else None,
                    resolution_budget=dt.timedelta(hours=resolution)
                    if resolution is not None
                    else None,
                    resolution_starts=starts,
                    update_interval=(
                        dt.timedelta(hours=spec["update_hours"][class_code])
                        if class_code in spec.get("update_hours", {})
                        else None
                    ),
                    breach_note=spec.get("breach_notes", {}).get(class_code, "")
                    if level is None
                    else "",
                )
            installed[code] = policy
    return installed


def sla_recompute(
    tickets: QuerySet[Ticket], *, now: dt.datetime | None = None, batch: int = 1000
) -> int:
    """Recompute the cached SLA columns of many tickets from their events, in batches of a
    few queries each (after a calendar or policy edit, or to verify invariant 4); returns
    how many were recomputed. Only the tickets whose columns change are written (one UPDATE
    per batch) and announced with `tickets_changed`.

    Unlike `ticket_sla_refresh` it records no history: it restates what the events say."""
    moment = now or desk_clock.now()
    policies = policies_loaded()
    done = 0
    chunk: list[Ticket] = []
    # Only what `ticket_sla` reads (the target row's match, the timeline's start) and the
    # columns compared with; of the contract only its policy (no Contract per ticket).
    matched_by = ("registered_at", "ticket_class", "severity", "priority")
    loaded = tickets.only(*matched_by, *SLA_COLUMNS).annotate(
        recompute_policy_id=F("contract__sla_policy_id")
    )
    for ticket in loaded.order_by("pk").iterator(chunk_size=batch):
        chunk.append(ticket)
        if len(chunk) == batch:
            done += _recompute_chunk(chunk, policies, moment)
            chunk = []
    if chunk:
        done += _recompute_chunk(chunk, policies, moment)
    return done


def _recompute_chunk(
    chunk: list[Ticket],
    policies: Policies,
    moment: dt.datetime,
) -> int:
    ids = [ticket.pk for ticket in chunk]
    events: dict[int, list[TicketEvent]] = defaultdict(list)
    # The fields `timeline_of` reads; of the actor only the role (`is_vendor_staff`).
    clock_events = (
        TicketEvent.objects.filter(ticket_id__in=ids, kind__in=CLOCK_EVENT_KINDS)
        .select_related("actor")
        .only("ticket", "at", "kind", "field", "after", "data", "actor__role")
    )
    for event in clock_events.order_by("ticket_id", "at", "id"):
        events[event.ticket_id].append(event)
    recorded: dict[int, set[Recorded]] = defaultdict(set)
    for ticket_id, clock_kind, kind, threshold, cycle in SlaEvent.objects.filter(
        ticket_id__in=ids
    ).values_list("ticket_id", "clock", "kind", "threshold", "cycle"):
        recorded[ticket_id].add((clock_kind, kind, threshold, cycle))
    # The row matching a (policy, class, severity, priority), found once per batch; passed
    # alone, `ticket_sla` matches it again at once.
    matched: dict[tuple[int, int | None, int | None, str], SlaTarget | None] = {}
    changed: dict[int, dict[str, Any]] = {}
    for ticket in chunk:
        policy_id = ticket.recompute_policy_id  # type: ignore[attr-defined]  # the annotation
        sla = None
        if policy_id is not None:
            policy, targets = policies[policy_id]
            key = (policy_id, ticket.ticket_class_id, ticket.severity_id, ticket.priority)
            if key not in matched:
                matched[key] = matching_target(targets, ticket)
            target = matched[key]
            if target is not None:
                sla = ticket_sla(
                    ticket, now=moment, policy=policy, targets=[target], events=events[ticket.pk]
                )
        columns = _columns(sla, recorded[ticket.pk], moment)
        if any(getattr(ticket, column) != value for column, value in columns.items()):
            changed[ticket.pk] = columns
    if changed:
        _sla_columns_write(changed)
        tickets_changed.send(sender=Ticket, ticket_ids=list(changed))
    return len(chunk)


def _sla_columns_write(changed: dict[int, dict[str, Any]]) -> None:
    """Write the SLA columns of many tickets in one UPDATE ... FROM (VALUES ...) per as many
    rows as the database takes bound parameters for (Django's `bulk_update` would build a
    CASE per row and column). Values are converted as Django converts them for a save."""
    table = connection.ops.quote_name(Ticket._meta.db_table)
    pk = Ticket._meta.pk
    assert pk is not None  # noqa: S101  # a concrete model always has one
    concrete = {field.name: field for field in Ticket._meta.concrete_fields}
    fields = [concrete[name] for name in SLA_COLUMNS]
    if connection.vendor == "postgresql":
        # A VALUES list types its columns from its rows: NULLs need the cast.
        casts = [f"::{field.db_type(connection)}" for field in [pk, *fields]]
        names = [connection.ops.quote_name(field.column) for field in [pk, *fields]]
        alias = f"v({', '.join(names)})"
    else:
        casts = [""] * (len(fields) + 1)
        names = [f"column{number}" for number in range(1, len(fields) + 2)]  # SQLite's names
        alias = "v"
    row_sql = "(" + ", ".join(f"%s{cast}" for cast in casts) + ")"
    assignments = ", ".join(
        f"{connection.ops.quote_name(field.column)} = v.{name}"
        for field, name in zip(fields, names[1:], strict=True)
    )
    where = f"{table}.{connection.ops.quote_name(pk.column)} = v.{names[0]}"
    rows = [
        [
            pk.get_db_prep_save(ticket_id, connection),
            *(field.get_db_prep_save(columns[field.name], connection) for field in fields),
        ]
        for ticket_id, columns in changed.items()
    ]
    per_statement = max(1, _max_query_params() // len(casts))
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            part = rows[start : start + per_statement]
            values = ", ".join([row_sql] * len(part))
            # Names quoted from the model, every value bound: no outside text enters the SQL.
            sql = f"UPDATE {table} SET {assignments} FROM (VALUES {values}) AS {alias}"  # noqa: S608
            sql += f" WHERE {where}"
            cursor.execute(sql, [value for row in part for value in row])


def _max_query_params() -> int:
    """Bound parameters one statement may hold: SQLite's compiled-in limit (32766 on modern
    builds, 999 on old ones; Django assumes 999), PostgreSQL's protocol limit otherwise."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return int(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return connection.features.max_query_params or 65535
