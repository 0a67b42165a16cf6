"""The pure lifecycle machine: every status is reachable only by its declared transitions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sladesk.tickets import lifecycle
from sladesk.tickets.lifecycle import Action, IllegalTransition, Status, next_status

EXPECTED_PATH = [
    (Action.START, Status.IN_PROGRESS),
    (Action.REQUEST_INFO, Status.WAITING_FOR_CUSTOMER),
    (Action.CUSTOMER_REPLY, Status.IN_PROGRESS),
    (Action.RESOLVE, Status.RESOLVED),
    (Action.REOPEN, Status.IN_PROGRESS),
    (Action.RESOLVE, Status.RESOLVED),
    (Action.CLOSE, Status.CLOSED),
]


def test_the_main_path_walks_from_new_to_closed() -> None:
    status = Status.NEW
    for action, expected in EXPECTED_PATH:
        status = next_status(status, action)
        assert status == expected


@pytest.mark.parametrize("terminal", [Status.CLOSED, Status.CANCELLED])
def test_nothing_leaves_a_terminal_status(terminal: Status) -> None:
    assert lifecycle.allowed_actions(terminal) == []
    for action in Action:
        with pytest.raises(IllegalTransition):
            next_status(terminal, action)


def test_an_illegal_transition_names_the_status_and_action() -> None:
    with pytest.raises(IllegalTransition) as caught:
        next_status(Status.NEW, Action.CLOSE)
    assert str(caught.value) == "cannot close a ticket that is new"


def test_reopen_is_only_possible_from_resolved() -> None:
    assert [s for s in Status if Action.REOPEN in lifecycle.allowed_actions(s)] == [Status.RESOLVED]


@given(st.lists(st.sampled_from(list(Action)), max_size=40))
def test_random_action_sequences_never_reach_an_undeclared_status(actions: list[Action]) -> None:
    status = Status.NEW
    for action in actions:
        allowed = action in lifecycle.allowed_actions(status)
        try:
            new_status = next_status(status, action)
        except IllegalTransition:
            assert not allowed
            continue
        assert allowed
        assert new_status == lifecycle.TRANSITIONS[action][1]
        status = new_status
    assert status in set(Status)
