from __future__ import annotations

from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Signs people in by e-mail (case-insensitive). Blocked accounts authenticate here so
    that the login form can say *why* they may not enter (see `account_access_denial`)."""
