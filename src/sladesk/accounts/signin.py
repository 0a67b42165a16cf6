"""Limits on guessing passwords and on asking for password-reset mail, per client address
and per account, in fixed windows (core/ratelimit.py). An account's limit counts failures
only, so its owner is kept out only while someone keeps guessing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import ngettext

from sladesk.core import ratelimit


@dataclass(frozen=True)
class Limit:
    kind: str
    per: str  # "address" or "account"
    most: int
    window: int  # seconds

    def bucket(self, request: HttpRequest, account: str) -> str:
        if self.per == "address":
            who = request.META.get("REMOTE_ADDR", "")
        else:  # the name as typed, folded: never the address of someone in the cache's keys
            who = hashlib.sha256(account.strip().lower().encode()).hexdigest()
        return f"{self.kind}:{self.per}:{who}"


SIGN_IN_FAILURES = (
    Limit("sign-in", "address", most=20, window=15 * 60),
    Limit("sign-in", "account", most=10, window=15 * 60),
)
PASSWORD_RESETS_BY_ADDRESS = Limit("reset", "address", most=10, window=60 * 60)
PASSWORD_RESETS_OF_ACCOUNT = Limit("reset", "account", most=3, window=60 * 60)


def _wait(window: int) -> str:
    minutes = max(1, round(ratelimit.seconds_left(window) / 60))
    return ngettext(
        "Too many attempts. Try again in %(minutes)d minute.",
        "Too many attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def sign_in_refusal(request: HttpRequest, account: str) -> str | None:
    """Why `account` may not try a password from this address now, or None."""
    for limit in SIGN_IN_FAILURES:
        if ratelimit.count(limit.bucket(request, account), window=limit.window) >= limit.most:
            return _wait(limit.window)
    return None


def sign_in_failed(request: HttpRequest, account: str) -> None:
    for limit in SIGN_IN_FAILURES:
        ratelimit.hit(limit.bucket(request, account), window=limit.window)


def password_reset_refusal(request: HttpRequest, email: str) -> str | None:
    """Why this address may ask for no more reset mail now (said to the asker), or None."""
    limit = PASSWORD_RESETS_BY_ADDRESS
    if ratelimit.hit(limit.bucket(request, email), window=limit.window) > limit.most:
        return _wait(limit.window)
    return None


def password_reset_mail_allowed(request: HttpRequest, email: str) -> bool:
    """Whether one more reset mail may go to `email`; the asker is not told (the page says
    the same whether the address is known or not)."""
    limit = PASSWORD_RESETS_OF_ACCOUNT
    return ratelimit.hit(limit.bucket(request, email), window=limit.window) <= limit.most
