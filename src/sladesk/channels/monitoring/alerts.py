"""Alerts from monitoring, read from the Alertmanager webhook payload (version 4), which
Prometheus Alertmanager sends and Grafana, VictoriaMetrics and many others send alike.
Pure: no Django.

An alert is known by its fingerprint: the sender's own when it gives one, else a digest of
its labels (the same labels are the same alert, as Alertmanager itself defines it)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

MAX_ALERTS = 500  # alerts in one notification; Alertmanager's default group limit is 0 (none)
MAX_TEXT = 10_000
MAX_FINGERPRINT = 100


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class AlertPayloadError(ValueError):
    """The notification is not one this reader can take; the message says why."""


@dataclass(frozen=True)
class Alert:
    """One alert of a notification. `title` and `description` are plain text."""

    fingerprint: str
    status: AlertStatus
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    generator_url: str

    @property
    def title(self) -> str:
        summary = self.annotations.get("summary", "").strip()
        summary = summary or self.annotations.get("title", "").strip()
        name = self.labels.get("alertname", "").strip()
        instance = self.labels.get("instance", "").strip()
        title = summary or " ".join(part for part in (name, instance) if part) or self.fingerprint
        return " ".join(title.split())[:200]

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "").strip().lower()

    @property
    def description(self) -> str:
        """What an agent reads first: the description, then every label, link and time."""
        lines = []
        text = self.annotations.get("description") or self.annotations.get("message", "")
        if text:
            lines += [text.strip(), ""]
        lines += [f"{name}: {value}" for name, value in sorted(self.labels.items())]
        for name, value in sorted(self.annotations.items()):
            if name not in ("summary", "title", "description", "message"):
                lines.append(f"{name}: {value}")
        if self.generator_url:
            lines.append(f"source: {self.generator_url}")
        if self.starts_at:
            lines.append(f"started: {self.starts_at.isoformat()}")
        return "\n".join(lines)[:MAX_TEXT]


def _strings(value: Any, field: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise AlertPayloadError(f"{field} must be an object of strings")
    if len(value) > 200:
        raise AlertPayloadError(f"{field} has more than 200 entries")
    result = {}
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str | int | float | bool):
            raise AlertPayloadError(f"{field} must be an object of strings")
        result[key[:200]] = str(item)[:MAX_TEXT]
    return result


def _instant(value: Any, field: str) -> dt.datetime | None:
    """An RFC 3339 instant; Go's zero time (`0001-01-01T00:00:00Z`, "not ended") is None."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise AlertPayloadError(f"{field} must be an RFC 3339 time")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Go writes nanoseconds; Python reads at most microseconds.
    head, dot, rest = text.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}" if digits else head + rest
    try:
        instant = dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise AlertPayloadError(f"{field} must be an RFC 3339 time") from error
    if instant.tzinfo is None:
        raise AlertPayloadError(f"{field} must carry its offset")
    if instant.year <= 1:
        return None
    try:
        return instant.astimezone(dt.UTC)
    except OverflowError as error:  # 9999-12-31T23:59:59-01:00 is past the last UTC year
        raise AlertPayloadError(f"{field} is out of range") from error


def labels_fingerprint(labels: Mapping[str, str]) -> str:
    """A stable digest of a label set, for senders that give no fingerprint."""
    canonical = json.dumps(sorted(labels.items()), ensure_ascii=False, separators=(",", ":"))
    return "labels:" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def read_alert(item: Any, default_status: str, position: int = 0) -> Alert:
    """One alert object of a notification (`default_status`: the notification's)."""
    if not isinstance(item, Mapping):
        raise AlertPayloadError(f"alerts[{position}] must be an object")
    labels = _strings(item.get("labels"), f"alerts[{position}].labels")
    annotations = _strings(item.get("annotations"), f"alerts[{position}].annotations")
    status = str(item.get("status") or default_status).strip().lower()
    if status not in tuple(AlertStatus):
        raise AlertPayloadError(f"alerts[{position}].status must be firing or resolved")
    fingerprint = item.get("fingerprint") or ""
    if not isinstance(fingerprint, str) or len(fingerprint) > MAX_FINGERPRINT:
        raise AlertPayloadError(
            f"alerts[{position}].fingerprint must be text of at most {MAX_FINGERPRINT} characters"
        )
    if not fingerprint.strip() and not labels:
        raise AlertPayloadError(f"alerts[{position}] needs labels or a fingerprint")
    generator = item.get("generatorURL") or ""
    return Alert(
        fingerprint=fingerprint.strip() or labels_fingerprint(labels),
        status=AlertStatus(status),
        labels=labels,
        annotations=annotations,
        starts_at=_instant(item.get("startsAt"), f"alerts[{position}].startsAt"),
        ends_at=_instant(item.get("endsAt"), f"alerts[{position}].endsAt"),
        generator_url=generator[:2000] if isinstance(generator, str) else "",
    )


def _check_text(payload: Any) -> None:
    """Refuse text no database column keeps: a NUL, or half of a UTF-16 surrogate pair (JSON
    can spell both, `\\u0000` and `\\ud800`). Walked without recursion: nesting is the
    sender's to choose."""
    pending = [payload]
    while pending:
        item = pending.pop()
        if isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                raise AlertPayloadError("text must not contain a NUL character")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as error:
                raise AlertPayloadError("text must be valid Unicode") from error


def parse_notification(payload: Any) -> list[Alert]:
    """The alerts of one webhook notification (a decoded JSON object)."""
    if not isinstance(payload, Mapping):
        raise AlertPayloadError("the body must be a JSON object")
    _check_text(payload)
    alerts = payload.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise AlertPayloadError("alerts must be a non-empty list")
    if len(alerts) > MAX_ALERTS:
        raise AlertPayloadError(f"at most {MAX_ALERTS} alerts in one notification")
    default_status = str(payload.get("status") or AlertStatus.FIRING)
    return [read_alert(item, default_status, position) for position, item in enumerate(alerts)]


def impact_of(severity: str) -> str:
    """The impact (and urgency) a severity label stands for: high, medium, low or ""."""
    if severity in ("critical", "disaster", "emergency", "page", "high", "error"):
        return "high"
    if severity in ("warning", "average", "major", "medium"):
        return "medium"
    if severity in ("info", "information", "low", "minor", "notice"):
        return "low"
    return ""


class Step(StrEnum):
    """What an alert does to the incident of its fingerprint."""

    OPEN = "open"  # a new incident
    REOPEN = "reopen"  # the incident was resolved, and the alert fires again
    NOTE_FIRING = "note-firing"  # the incident is open and its alert, resolved, fires again
    NOTE_RESOLVED = "note-resolved"  # the incident is open and its alert resolved
    NOTHING = "nothing"  # a repeat of what is known, or a resolve with no incident to tell


class IncidentState(StrEnum):
    NONE = "none"  # no incident yet, or the last one was closed or cancelled
    OPEN = "open"
    RESOLVED = "resolved"


def next_step(status: AlertStatus, *, incident: IncidentState, last: AlertStatus | None) -> Step:
    """The step for an alert of `status`, given its incident and the status last seen of it.

    Repeats change nothing (Alertmanager resends a firing alert every repeat interval); a
    resolved alert never resolves the incident, that is the line's decision."""
    if status == AlertStatus.FIRING:
        if incident == IncidentState.NONE:
            return Step.OPEN
        if incident == IncidentState.RESOLVED:
            return Step.REOPEN
        return Step.NOTHING if last == AlertStatus.FIRING else Step.NOTE_FIRING
    if incident == IncidentState.OPEN and last == AlertStatus.FIRING:
        return Step.NOTE_RESOLVED
    return Step.NOTHING
