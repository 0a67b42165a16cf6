"""The problem lifecycle and the recurrence rule: pure, no database."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sladesk.problems import lifecycle
from sladesk.problems.lifecycle import Action, IllegalTransition, Status
from sladesk.problems.recurrence import Incident, recurrences, signature

DAY = dt.timedelta(days=1)
NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("status", "action", "target"),
    [
        (Status.REGISTERED, Action.ANALYSE, Status.ANALYSING),
        (Status.ANALYSING, Action.KNOWN_ERROR, Status.KNOWN_ERROR),
        (Status.REGISTERED, Action.KNOWN_ERROR, Status.KNOWN_ERROR),
        (Status.KNOWN_ERROR, Action.FIX, Status.FIXED),
        (Status.ANALYSING, Action.FIX, Status.FIXED),
        (Status.FIXED, Action.CLOSE, Status.CLOSED),
        (Status.ANALYSING, Action.CLOSE, Status.CLOSED),  # given up, said why
        (Status.CLOSED, Action.REOPEN, Status.ANALYSING),
        (Status.FIXED, Action.REOPEN, Status.ANALYSING),
    ],
)
def test_a_problem_moves_from_cause_to_fix(status: Status, action: Action, target: Status) -> None:
    assert lifecycle.next_status(status, action) == target


@given(st.sampled_from(list(Status)), st.sampled_from(list(Action)))
def test_every_move_is_a_listed_transition_or_refused(status: Status, action: Action) -> None:
    allowed, target = lifecycle.TRANSITIONS[action]
    if status in allowed:
        assert lifecycle.next_status(status, action) == target
    else:
        with pytest.raises(IllegalTransition):
            lifecycle.next_status(status, action)


def test_a_closed_problem_is_only_reopened() -> None:
    for action in Action:
        if action != Action.REOPEN:
            with pytest.raises(IllegalTransition):
                lifecycle.next_status(Status.CLOSED, action)


def incident(ticket_id: int, title: str, *, days_ago: float = 0, service: int | None = 1,
             organisation: int = 1, ticket_class: int | None = 2) -> Incident:  # fmt: skip
    return Incident(ticket_id, organisation, service, ticket_class, title, NOW - days_ago * DAY)


def test_titles_match_by_their_significant_words_in_any_language() -> None:
    assert signature("DB1 is down again!") == signature("db1: down") != ()
    assert signature("Ошибка: не открывается отчёт") == signature("Снова не открывается отчёт")
    assert signature("Chyba: faktura nefunguje") == signature("faktura znovu nefunguje")
    assert signature("Order 1234 failed") == signature("order 98 failed")  # numbers do not count
    assert signature("help!!!") == ()
    assert signature("VPN not working") != signature("VPN working")
    assert signature("Отчёт не открывается") != signature("Отчёт открывается")
    assert signature("DB1 is down") != signature("db2 down again")


def test_alike_incidents_of_one_service_within_the_window_recur() -> None:
    found = recurrences(
        [
            incident(1, "Invoice page blank", days_ago=20),
            incident(2, "invoice page is blank again", days_ago=3),
            incident(3, "Blank invoice page", days_ago=1),
            incident(4, "Invoice page blank", days_ago=1, service=2),  # another service
            incident(5, "Login slow", days_ago=1),
        ],
        at_least=3,
        within=30 * DAY,
    )
    assert [(group.words, group.ticket_ids) for group in found] == [
        (("blank", "invoice", "page"), (3, 2, 1))
    ]


def test_incidents_too_far_apart_or_too_few_do_not_recur() -> None:
    incidents = [
        incident(1, "Invoice page blank", days_ago=40),
        incident(2, "Invoice page blank", days_ago=2),
        incident(3, "Invoice page blank", days_ago=1),
    ]
    assert recurrences(incidents, at_least=3, within=30 * DAY) == []
    assert len(recurrences(incidents, at_least=2, within=30 * DAY)) == 1


def test_without_a_service_incidents_recur_per_organisation_and_class() -> None:
    incidents = [
        incident(n, "VPN drops", service=None, organisation=n % 2, ticket_class=2)
        for n in range(1, 7)
    ]
    found = recurrences(incidents, at_least=3, within=30 * DAY)
    assert sorted(len(group.ticket_ids) for group in found) == [3, 3]
