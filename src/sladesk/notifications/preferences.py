"""When people hear of each kind on each personal channel: their own choice, else their
role's default (set by an administrator), else the desk's built-in default."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sladesk.accounts.models import User
from sladesk.notifications import rules
from sladesk.notifications.choices import (
    PERSONAL_CHANNELS,
    DeliveryChannel,
    DeliveryMode,
    NotificationKind,
)
from sladesk.notifications.directory import directory
from sladesk.notifications.models import NotificationPreference

# Kinds only the vendor's people ever receive (a customer's grid leaves them out).
VENDOR_ONLY_KINDS = rules.VENDOR_ONLY_KINDS
# Kinds nobody chooses for: integrations' calls, the digest itself, a password reset, the
# monthly report.
NOT_CHOSEN_KINDS = frozenset(
    {
        NotificationKind.WEBHOOK,
        NotificationKind.DIGEST,
        NotificationKind.PASSWORD_RESET,
        # It carries the PDF: never folded into a digest.
        NotificationKind.MONTHLY_REPORT,
    }
)
# The channels of the grid: in the desk, everything arrives (no choice to make).
GRID_CHANNELS = (DeliveryChannel.EMAIL, DeliveryChannel.CHAT)
BUILT_IN_MODES: Mapping[str, str] = {
    DeliveryChannel.DESK: DeliveryMode.IMMEDIATE,
    DeliveryChannel.EMAIL: DeliveryMode.IMMEDIATE,
    # Only matters for people (and lines) with a chat target.
    DeliveryChannel.CHAT: DeliveryMode.IMMEDIATE,
}


@dataclass(frozen=True)
class GridCell:
    """One select of the grid; `name` is the form field (`cell_name`)."""

    name: str
    channel: str
    channel_label: str
    mode: str


def cell_name(kind: str, channel: str) -> str:
    """The form field of one cell of the grid."""
    return f"mode.{kind}.{channel}"


@dataclass(frozen=True)
class GridRow:
    kind: str
    label: str
    cells: tuple[GridCell, ...]


def grid_kinds(*, vendor_side: bool) -> list[NotificationKind]:
    """The kinds a person of that side chooses for, in the order of `NotificationKind` (pure)."""
    return [
        kind
        for kind in NotificationKind
        if kind not in NOT_CHOSEN_KINDS and (vendor_side or kind not in VENDOR_ONLY_KINDS)
    ]


def grid_describe(*, vendor_side: bool, modes: Mapping[str, Mapping[str, str]]) -> list[GridRow]:
    """The rows of the settings page: one per kind of `grid_kinds`, one cell per channel of
    `GRID_CHANNELS` holding the mode of `modes[kind][channel]` (built-in when absent; pure)."""
    return [
        GridRow(
            kind=kind.value,
            label=str(kind.label),
            cells=tuple(
                GridCell(
                    name=cell_name(kind, channel),
                    channel=channel.value,
                    channel_label=str(channel.label),
                    mode=modes.get(kind, {}).get(channel, BUILT_IN_MODES[channel]),
                )
                for channel in GRID_CHANNELS
            ),
        )
        for kind in grid_kinds(vendor_side=vendor_side)
    ]


def _effective(channel: str, mode: str | None) -> str:
    if mode is None or (channel == DeliveryChannel.DESK and mode == DeliveryMode.OFF):
        return BUILT_IN_MODES[channel]
    return mode


def _resolve(users: Sequence[User], kinds: Iterable[str]) -> dict[int, dict[str, dict[str, str]]]:
    """user id -> kind -> channel -> mode, from the cached directory (no query while the
    choices are unchanged)."""
    kinds = list(kinds)
    if not users or not kinds:
        return {user.pk: {kind: {} for kind in kinds} for user in users}
    tables = directory()
    own, defaults = tables.chosen, tables.defaults
    return {
        user.pk: {
            kind: {
                channel.value: _effective(
                    channel,
                    own.get((user.pk, kind, channel), defaults.get((user.role, kind, channel))),
                )
                for channel in PERSONAL_CHANNELS
            }
            for kind in kinds
        }
        for user in users
    }


def modes_for(*, users: Sequence[User], kind: str) -> dict[int, dict[str, str]]:
    """user id -> channel -> `DeliveryMode` value for `kind`, in at most 2 queries (none for
    no users). The desk is never off."""
    return {user_id: by_kind[kind] for user_id, by_kind in _resolve(users, [kind]).items()}


def modes_of(*, user: User) -> dict[str, dict[str, str]]:
    """kind -> channel -> mode for every kind of `user`'s grid, in 2 queries."""
    return _resolve([user], grid_kinds(vendor_side=user.is_vendor_staff))[user.pk]


def _validate(*, actor: User, kind: str, channel: str, mode: str) -> None:
    if kind not in grid_kinds(vendor_side=actor.is_vendor_staff):
        raise ValidationError(_("You cannot choose for this kind of notification."), code="kind")
    if channel not in PERSONAL_CHANNELS:
        raise ValidationError(_("Unknown channel."), code="channel")
    if mode not in DeliveryMode.values:
        raise ValidationError(_("Unknown choice of when."), code="mode")
    if channel == DeliveryChannel.DESK and mode == DeliveryMode.OFF:
        raise ValidationError(
            _("Notifications always appear in the desk; they cannot be turned off there."),
            code="desk_off",
        )


def preference_set(*, actor: User, kind: str, channel: str, mode: str) -> NotificationPreference:
    """Set when `actor` hears of `kind` on `channel` (their own choice only; the desk cannot
    be turned off: ValidationError)."""
    _validate(actor=actor, kind=kind, channel=channel, mode=mode)
    preference, _created = NotificationPreference.objects.update_or_create(
        user=actor, kind=kind, channel=channel, defaults={"mode": mode}
    )
    return preference


def preferences_save(*, actor: User, choices: Mapping[tuple[str, str], str]) -> int:
    """Save the settings page's grid, `(kind, channel) -> mode`, all or nothing; only the
    cells that differ from what applies now are written, so untouched cells keep following
    the role's default. Returns how many were written."""
    for (kind, channel), mode in choices.items():
        _validate(actor=actor, kind=kind, channel=channel, mode=mode)
    current = modes_of(user=actor)
    changed = {
        (kind, channel): mode
        for (kind, channel), mode in choices.items()
        if current.get(kind, {}).get(channel) != mode
    }
    with transaction.atomic():
        for (kind, channel), mode in changed.items():
            NotificationPreference.objects.update_or_create(
                user=actor, kind=kind, channel=channel, defaults={"mode": mode}
            )
    return len(changed)
