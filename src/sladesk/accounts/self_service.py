"""What a signed-in person changes about their own account: preferences and API tokens."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.utils.translation import gettext as _

from sladesk.accounts.models import ApiToken, User
from sladesk.core import clock
from sladesk.core.errors import DomainError, NotFound


def user_set_preferences(*, user: User, language: str, time_zone: str) -> User:
    """Save the interface language and the zone times are shown in."""
    if language not in dict(settings.LANGUAGES):
        raise DomainError(_("Unknown language."), field="language")
    if time_zone not in zoneinfo.available_timezones():
        raise DomainError(_("Unknown time zone."), field="time_zone")
    user.language = language
    user.time_zone = time_zone
    user.save(update_fields=["language", "time_zone"])
    return user


def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of `user`'s own tokens (another person's is NotFound); idempotent."""
    token = ApiToken.objects.filter(pk=token_id, user=user).first()
    if token is None:
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
    return token
