"""Limits on guessing passwords and on asking for password-reset mail, per client address
and per account, over sliding windows counted where every process sees them (Redis, else
the database; core/ratelimit.py). An attempt is counted before the
password is checked (parallel guesses cannot slip through between the check and the count)
and taken back when it succeeds: the limits count failures, so an account's owner is kept
out only while someone keeps guessing."""

from __future__ import annotations

import hashlib
import math
import unicodedata
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import ngettext

from sladesk.accounts.models import User
from sladesk.core import ratelimit


@dataclass(frozen=True)
class Limit:
    kind: str
    per: str  # "address", "account", or "account-address" (one account from one address)
    most: int
    window: int  # seconds

    def bucket(self, request: HttpRequest, key: str) -> str:
        """The counter's name; `key` is `account_key` of the name typed (unused by a limit
        per address)."""
        address = request.META.get("REMOTE_ADDR", "")
        if self.per == "address":
            who = address
        elif self.per == "account":
            who = key
        else:
            who = f"{key}:{address}"
        return f"{self.kind}:{self.per}:{who}"


def account_key(account: str) -> str:
    """The account a typed name finds, as the lookup finds it (so that other spellings of
    one address share its count: upper case, or a dotless i that PostgreSQL's UPPER() takes
    for an i); a name that finds none, folded. Never the address itself in the cache's keys."""
    typed = account.strip()
    user_id = User.objects.filter(email__iexact=typed).values_list("pk", flat=True).first()
    if user_id is not None:
        return f"user-{user_id}"
    folded = unicodedata.normalize("NFKC", typed).casefold()
    return hashlib.sha256(folded.encode("utf-8", "surrogatepass")).hexdigest()


SIGN_IN_BY_ADDRESS = Limit("sign-in", "address", most=20, window=15 * 60)
# One guesser keeps an account's owner out only from the guesser's own address; guessing
# from many addresses at once stops at the account's own, higher limit.
SIGN_IN_OF_ACCOUNT_FROM_ADDRESS = Limit("sign-in", "account-address", most=10, window=15 * 60)
SIGN_IN_OF_ACCOUNT = Limit("sign-in", "account", most=50, window=15 * 60)
SIGN_IN_FAILURES = (SIGN_IN_BY_ADDRESS, SIGN_IN_OF_ACCOUNT_FROM_ADDRESS, SIGN_IN_OF_ACCOUNT)
PASSWORD_RESETS_BY_ADDRESS = Limit("reset", "address", most=10, window=60 * 60)
PASSWORD_RESETS_OF_ACCOUNT = Limit("reset", "account", most=3, window=60 * 60)


def _wait(limit: Limit, bucket: str) -> str:
    seconds = ratelimit.wait_for(bucket, window=limit.window, most=limit.most, shared=True)
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many attempts. Try again in %(minutes)d minute.",
        "Too many attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def sign_in_attempt(request: HttpRequest, key: str) -> str | None:
    """Count an attempt at the password of the account `key` names (`account_key`) from
    this address; why it may not be made now, or None. Call `sign_in_succeeded` with the
    same key when the password was right."""
    buckets = [(limit, limit.bucket(request, key)) for limit in SIGN_IN_FAILURES]
    counts = [ratelimit.hit(bucket, window=limit.window, shared=True) for limit, bucket in buckets]
    for (limit, refused), counted in zip(buckets, counts, strict=True):
        if counted > limit.most:
            # No password is tried, so nothing is counted: a guesser over one limit must
            # not run up the other (another person's account) for nothing.
            for other, bucket in buckets:
                ratelimit.take_back(bucket, window=other.window, shared=True)
            return _wait(limit, refused)
    return None


def sign_in_succeeded(request: HttpRequest, key: str) -> None:
    """Take back the attempt: a right password is no failure."""
    for limit in SIGN_IN_FAILURES:
        ratelimit.take_back(limit.bucket(request, key), window=limit.window, shared=True)


def password_reset_refusal(request: HttpRequest) -> str | None:
    """Why this client address may ask for no more reset mail now (said to the asker), or
    None."""
    limit = PASSWORD_RESETS_BY_ADDRESS
    bucket = limit.bucket(request, "")
    if ratelimit.hit(bucket, window=limit.window, shared=True) > limit.most:
        return _wait(limit, bucket)
    return None


def password_reset_mail_allowed(request: HttpRequest, email: str) -> bool:
    """Whether one more reset mail may go to `email`; the asker is not told (the page says
    the same whether the address is known or not)."""
    limit = PASSWORD_RESETS_OF_ACCOUNT
    bucket = limit.bucket(request, account_key(email))
    return ratelimit.hit(bucket, window=limit.window, shared=True) <= limit.most
