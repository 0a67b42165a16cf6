"""Chat targets (apprise URLs) of people and support lines, the check that keeps them off the
desk's own network, and the deliverer of chat notifications.

Only the chat and push services below are accepted: apprise also knows local schemes (a
desktop pop-up, syslog, D-Bus) and mail or SMS gateways, none of which is a chat. A service
whose URL names its own server (a JSON webhook, Matrix, Mattermost, ntfy, ...) is checked
with the webhook guard: every address of the host must be public unless
`SLADESK_CHAT_ALLOW_PRIVATE`. apprise connects by itself, so unlike a webhook the connection
is not pinned to the checked address; the check runs again right before each delivery."""

from __future__ import annotations

import logging

import apprise
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from sladesk.accounts.choices import Role
from sladesk.accounts.models import SupportLine, User
from sladesk.core.errors import DomainError, NotFound, PermissionDenied
from sladesk.notifications.models import ChatTarget, Notification
from sladesk.webhooks.transport import WebhookRefused, resolve_checked

logger = logging.getLogger(__name__)

# Services whose URL names the server apprise connects to: that host is checked.
SELF_HOSTED_SCHEMES = frozenset(
    {
        "json",
        "jsons",
        "xml",
        "xmls",
        "form",
        "forms",
        "matrix",
        "matrixs",
        "mmost",
        "mmosts",
        "rocket",
        "rockets",
        "ntfy",
        "ntfys",
        "gotify",
        "gotifys",
        "signal",
        "signals",
        "nctalk",
        "nctalks",
        "apprise",
        "apprises",
        "workflow",
        "workflows",
    }
)
# Cloud services: the host part of their URL is a token, the server is the service's own.
CLOUD_SCHEMES = frozenset(
    {
        "tgram",
        "slack",
        "discord",
        "msteams",
        "gchat",
        "wxteams",
        "webex",
        "guilded",
        "revolt",
        "flock",
        "line",
        "viber",
        "whatsapp",
        "threema",
        "lark",
        "feishu",
        "dingtalk",
        "wecombot",
        "pover",
        "pbul",
    }
)
MAX_TARGETS_PER_OWNER = 10


class _Unreachable(Exception):
    """The target's host cannot be resolved now (may change: retried at delivery)."""


class _Refusal(Exception):
    """The target may never be called as it is; the message says why, to the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _schemes_of(plugin: object) -> set[str]:
    names: set[str] = set()
    for attribute in ("protocol", "secure_protocol"):
        value = getattr(type(plugin), attribute, None)
        if isinstance(value, str):
            names.add(value.lower())
        elif isinstance(value, list | tuple):
            names.update(str(name).lower() for name in value)
    return names


def _plugin(url: str, *, allow_private: bool) -> apprise.NotifyBase:
    """The apprise service of `url`, checked; `_Refusal` or `_Unreachable` otherwise."""
    if not url or len(url) > ChatTarget._meta.get_field("url").max_length:  # type: ignore[operator]  # a CharField's max_length is set
        raise _Refusal(_("Enter an apprise URL of at most 2000 characters."))
    plugin = apprise.Apprise.instantiate(url, asset=apprise.AppriseAsset(http_redirects=False))
    if plugin is None:
        raise _Refusal(
            _(
                "This is not an address apprise can send to; see the apprise documentation "
                "for the URL of your chat service."
            )
        )
    # A redirect could lead anywhere, past the address check (a URL may ask for them).
    plugin.redirects = False
    if hasattr(plugin, "discovery"):
        # Matrix's server discovery follows a .well-known answer to whatever server it names.
        plugin.discovery = False
    schemes = _schemes_of(plugin)
    if schemes & CLOUD_SCHEMES:
        return plugin
    if not schemes & SELF_HOSTED_SCHEMES:
        raise _Refusal(
            _("The desk sends to chat services only; %(service)s is not one of them.")
            % {"service": sorted(schemes)[0] if schemes else url.split("://", 1)[0]}
        )
    host = str(plugin.host or "").strip("[]")
    if not host:
        if str(getattr(plugin, "mode", "")) == "cloud":
            return plugin  # ntfy://topic: the public ntfy.sh
        raise _Refusal(_("Name the server of the service in the URL."))
    port = int(plugin.port or (443 if plugin.secure else 80))
    try:
        resolve_checked(host, port, allow_private=allow_private)
    except WebhookRefused as error:
        raise _Refusal(
            _("%(host)s is on a loopback, private or reserved network: the desk never sends there.")
            % {"host": host}
        ) from error
    except ConnectionError as error:
        raise _Unreachable(str(error)) from error
    return plugin


def chat_url_check(url: str, *, allow_private: bool) -> str:
    """The stripped `url` if apprise can send to it and it is a chat service on a public host
    (any host with `allow_private`); ValidationError with the reason otherwise."""
    url = url.strip()
    try:
        _plugin(url, allow_private=allow_private)
    except _Refusal as refusal:
        raise ValidationError(refusal.message, code="chat_url") from None
    except _Unreachable:
        raise ValidationError(
            _("The server of this URL cannot be found; check its name."), code="chat_host"
        ) from None
    return url


def _manages_line(actor: User, line: SupportLine) -> bool:
    return actor.role == Role.ADMINISTRATOR or line.lead_id == actor.pk


def _manageable(actor: User) -> Q:
    if actor.role == Role.ADMINISTRATOR:
        return Q(user=actor) | Q(line__isnull=False)
    return Q(user=actor) | Q(line__lead=actor)


def chat_targets_for(*, actor: User) -> QuerySet[ChatTarget]:
    """The chat targets `actor` manages: their own, and those of the lines they lead (an
    administrator: of every line)."""
    return ChatTarget.objects.filter(_manageable(actor)).select_related("line")


def chat_lines_managed_by(*, actor: User) -> QuerySet[SupportLine]:
    """The lines whose chat targets `actor` may add."""
    if actor.role == Role.ADMINISTRATOR:
        return SupportLine.objects.all()
    return SupportLine.objects.filter(lead=actor)


def chat_target_add(
    *,
    actor: User,
    url: str,
    label: str = "",
    user: User | None = None,
    line: SupportLine | None = None,
) -> ChatTarget:
    """Add a chat target for `user` (only the actor themselves; the default) or for `line`
    (its lead or an administrator). ValidationError for a URL `chat_url_check` refuses."""
    if user is not None and line is not None:
        raise DomainError(_("A chat target belongs to a person or to a line, not both."))
    if line is not None:
        if not _manages_line(actor, line):
            raise PermissionDenied(_("Only the line's lead or an administrator adds its chats."))
        owner = Q(line=line)
    else:
        if user is not None and user.pk != actor.pk:
            raise PermissionDenied(_("People add chat targets for themselves only."))
        owner = Q(user=actor)
    checked = chat_url_check(url, allow_private=settings.SLADESK_CHAT_ALLOW_PRIVATE)
    with transaction.atomic():
        if ChatTarget.objects.filter(owner).count() >= MAX_TARGETS_PER_OWNER:
            raise DomainError(
                _("At most %(count)d chat targets each; remove one first.")
                % {"count": MAX_TARGETS_PER_OWNER},
                field="url",
            )
        return ChatTarget.objects.create(
            user=None if line is not None else actor,
            line=line,
            url=checked,
            label=label.strip()[:100],
        )


def chat_target_remove(*, actor: User, target_id: int) -> None:
    """Remove a target `actor` manages (NotFound for any other); what it still had to
    deliver is skipped (no failure: nobody wants it any more)."""
    from sladesk.notifications.choices import NotificationStatus

    with transaction.atomic():
        deleted, _rows = ChatTarget.objects.filter(_manageable(actor), pk=target_id).delete()
        if not deleted:
            raise NotFound(_("No such chat target."))
        Notification.objects.filter(
            channel="chat",
            recipient=f"chat:{target_id}",
            status__in=[NotificationStatus.PENDING, NotificationStatus.HELD],
        ).update(status=NotificationStatus.SKIPPED)


def _target_of(notification: Notification) -> ChatTarget:
    from sladesk.notifications.services import DeliveryRefused

    prefix, _colon, identifier = notification.recipient.partition(":")
    target = (
        ChatTarget.objects.filter(pk=int(identifier)).first()
        if prefix == "chat" and identifier.isdigit()
        else None
    )
    if target is None:
        raise DeliveryRefused(f"no chat target {notification.recipient}")
    if not target.is_active:
        raise DeliveryRefused(f"chat target {target.pk} is inactive")
    return target


def _failure_reason(result: object) -> str:
    lines: list[str] = []
    logs = getattr(result, "logs", None)
    if callable(logs):
        lines = [
            entry.message
            for entry in logs()
            if str(entry.level).upper() in {"WARNING", "ERROR", "CRITICAL"}
        ]
    return "; ".join(lines)[-500:] or "the service did not accept the message"


def deliver_chat(notification: Notification) -> None:
    """Send a chat notification through apprise, its subject as the title: DeliveryRefused
    for a removed, inactive or refused target; any other failure raises to be retried."""
    from sladesk.notifications.rendering import render
    from sladesk.notifications.services import DeliveryRefused

    target = _target_of(notification)
    try:
        plugin = _plugin(target.url, allow_private=settings.SLADESK_CHAT_ALLOW_PRIVATE)
    except _Refusal as refusal:
        raise DeliveryRefused(f"chat target {target.pk}: {refusal.message}") from None
    except _Unreachable as error:
        raise ConnectionError(f"chat target {target.pk}: {error}") from None
    if not notification.subject:
        # Rendered once, so that a retry sends the same text (saved with the row).
        notification.subject, notification.body = render(notification)
    sender = apprise.Apprise()
    sender.add(plugin)
    result = sender.notify(
        title=notification.subject,
        body=notification.body,
        body_format=apprise.NotifyFormat.TEXT,
        log_level=logging.WARNING,
    )
    try:
        if not result:
            raise ConnectionError(f"chat target {target.pk}: {_failure_reason(result)}")
    finally:
        close = getattr(result, "close", None)
        if callable(close):
            close()
