"""Who is who for notifications, read once per configuration generation: the lines' members
and leads, the customers' specialists, the chat targets, everyone's choices and the roles'
defaults, and the desk's own addresses. Every table read here is tracked by
`core.configcache`, so a change anywhere is seen at once, and an action costs no query for
them while nothing changed."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from sladesk.accounts.choices import Role
from sladesk.accounts.models import SupportLine, User
from sladesk.core import configcache
from sladesk.notifications.models import ChatTarget, NotificationDefault, NotificationPreference


@dataclass(frozen=True)
class Directory:
    """Shared by the process: read it, never change what it holds."""

    people: dict[int, User]  # vendor staff and customers' specialists, active
    line_members: dict[int, tuple[int, ...]]
    line_leads: dict[int, int]
    specialists: dict[int, tuple[int, ...]]  # organisation id -> user ids
    chat_of_user: dict[int, tuple[ChatTarget, ...]]
    chat_of_line: dict[int, tuple[ChatTarget, ...]]
    chosen: dict[tuple[int, str, str], str]  # (user id, kind, channel) -> mode
    defaults: dict[tuple[str, str, str], str]  # (role, kind, channel) -> mode
    own_addresses: frozenset[str]


def _load() -> Directory:
    from sladesk.channels.models import Mailbox

    people = {
        user.pk: user
        for user in User.objects.filter(is_active=True).exclude(role=Role.CUSTOMER_USER)
    }
    members: dict[int, list[int]] = {}
    for line_id, user_id in SupportLine.members.through.objects.values_list(
        "supportline_id", "user_id"
    ):
        if user_id in people:
            members.setdefault(line_id, []).append(user_id)
    leads = dict(SupportLine.objects.exclude(lead=None).values_list("pk", "lead_id"))
    specialists: dict[int, list[int]] = {}
    for user in people.values():
        if user.role == Role.SPECIALIST:
            specialists.setdefault(user.organisation_id, []).append(user.pk)
    of_user: dict[int, list[ChatTarget]] = {}
    of_line: dict[int, list[ChatTarget]] = {}
    for target in ChatTarget.objects.filter(is_active=True).order_by("pk"):
        if target.user_id is not None:
            of_user.setdefault(target.user_id, []).append(target)
        elif target.line_id is not None:
            of_line.setdefault(target.line_id, []).append(target)
    addresses = {settings.SLADESK_MAIL_FROM.lower()}
    addresses.update(a.lower() for a in Mailbox.objects.values_list("address", flat=True))
    return Directory(
        people=people,
        line_members={line: tuple(ids) for line, ids in members.items()},
        line_leads=leads,
        specialists={org: tuple(ids) for org, ids in specialists.items()},
        chat_of_user={user: tuple(targets) for user, targets in of_user.items()},
        chat_of_line={line: tuple(targets) for line, targets in of_line.items()},
        chosen={
            (user_id, kind, channel): mode
            for user_id, kind, channel, mode in NotificationPreference.objects.values_list(
                "user_id", "kind", "channel", "mode"
            )
        },
        defaults={
            (role, kind, channel): mode
            for role, kind, channel, mode in NotificationDefault.objects.values_list(
                "role", "kind", "channel", "mode"
            )
        },
        own_addresses=frozenset(address for address in addresses if address),
    )


def directory() -> Directory:
    return configcache.cached(("notifications", "directory"), _load)
