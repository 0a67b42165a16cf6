"""The SLA rules of the domain's source documents, shipped as examples (data, not code).

`moscow-categories` (seed 004): Moscow working days 10:00-19:00 with Russian holidays;
reaction to B and C the same working day when registered before 12:00, else the next
working day; C resolution by severity counted from reproduction; B within 60 working days;
3 working days of silence close the ticket as solved.
`always-request-classes` (seeds 000, 003): 24/7, response and resolution by class 1-6.
A working day is 9 business hours on the Moscow calendar.

Each policy has a default row (no class, severity or priority) that applies until line 1
classifies a ticket, and to a class without a row of its own: a ticket not yet classified
may be the worst kind, so it gets the policy's strictest reaction and no resolution target
(the class brings that, counted from registration, once it is known)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

WORKING_DAY_HOURS = 9
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")

CALENDARS: dict[str, dict[str, Any]] = {
    "Moscow working days 10:00-19:00": {
        "timezone": "Europe/Moscow",
        "week": {day: [["10:00", "19:00"]] for day in WEEKDAYS} | {"sat": [], "sun": []},
        "holidays": [],
        "special_days": {},
        "country": "RU",
    },
    "24/7": {
        "timezone": "UTC",
        "week": {day: [["00:00", "24:00"]] for day in (*WEEKDAYS, "sat", "sun")},
        "holidays": [],
        "special_days": {},
    },
}


def days(count: int) -> float:
    """Working days as business hours on the 10:00-19:00 calendar."""
    return float(count * WORKING_DAY_HOURS)


POLICIES: dict[str, dict[str, Any]] = {
    "moscow-categories": {
        "name": "Categories A-E on Moscow working days (seed 004)",
        "calendar": "Moscow working days 10:00-19:00",
        "scheme": "categories-ae",
        "auto_close_working_days": 3,
        "warning_percents": [50, 80],
        "warning_actions": ["notify_assignee"],
        "breach_actions": ["notify_assignee", "notify_line_lead"],
        # Seed 004: a third-party defect unresolved in 60 working days -> find a replacement.
        "breach_notes": {
            "B": gettext_noop("seek a replacement for the third-party component"),
        },
        # (class, severity, response hours or None, cut-off or None, resolution hours, from)
        "targets": [
            (None, None, None, "12:00", None, "registration"),  # until classified
            ("A", None, days(2), None, None, "registration"),
            ("B", None, None, "12:00", days(60), "registration"),
            ("C", None, None, "12:00", None, "reproduction"),
            ("C", 1, None, "12:00", days(1), "reproduction"),
            ("C", 2, None, "12:00", days(5), "reproduction"),
            ("C", 3, None, "12:00", days(15), "reproduction"),
            ("D", None, days(2), None, None, "registration"),
            ("E", None, days(5), None, None, "registration"),
        ],
    },
    "always-request-classes": {
        "name": "Request classes 1-6, 24/7",
        "calendar": "24/7",
        "scheme": "request-classes",
        "auto_close_working_days": None,
        "warning_percents": [50, 80],
        "warning_actions": ["notify_assignee"],
        "breach_actions": ["notify_assignee", "notify_line_lead", "escalate"],
        # After the first reply, an outage (classes 1 and 2) gets a public update this often.
        "update_hours": {"1": 1.0, "2": 2.0},
        "targets": [
            (None, None, 0.5, None, None, "registration"),  # until classified
            ("1", None, 0.5, None, 4.0, "registration"),
            ("2", None, 0.5, None, 8.0, "registration"),
            ("3", None, 1.0, None, 12.0, "registration"),
            ("4", None, 2.0, None, 24.0, "registration"),
            ("5", None, 4.0, None, 72.0, "registration"),
            ("6", None, 8.0, None, None, "registration"),
        ],
    },
}
