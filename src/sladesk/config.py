"""Reads the process environment: the `SLADESK_*` variables, parsed or refused with a
message that names the variable (the README's configuration table documents every one;
a test checks that it names each that the code reads).

Pure Python (no Django import) so that the CLI can consult it before Django starts.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class ConfigurationError(RuntimeError):
    """A `SLADESK_*` variable is missing or malformed; the message says which and why."""


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


MAIL_MAX_BYTES = 40 * 1024 * 1024  # SLADESK_MAIL_MAX_BYTES when it is not set


def mail_max_bytes() -> int:
    return env_int("SLADESK_MAIL_MAX_BYTES", MAIL_MAX_BYTES)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ConfigurationError(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer; got {raw!r}") from None


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ConfigurationError(f"{name} must be one of {', '.join(choices)}; got {raw!r}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def data_dir() -> Path:
    """Where the embedded database, the secret key and uploaded files live (`./var`)."""
    return Path(os.environ.get("SLADESK_DATA_DIR", "var")).resolve()


def database_url() -> str:
    explicit = os.environ.get("SLADESK_DATABASE_URL", "").strip()
    if explicit:
        return explicit
    return f"sqlite:///{data_dir() / 'sladesk.sqlite3'}"


def secret_key() -> str:
    """`SLADESK_SECRET_KEY`, or a key generated once and kept in the data directory."""
    explicit = os.environ.get("SLADESK_SECRET_KEY", "").strip()
    if explicit:
        return explicit
    key_file = data_dir() / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # O_EXCL: two processes starting at once must agree on one key.
    try:
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
    return key


def ticket_prefix(name: str, default: str, *, taken: tuple[str, ...]) -> str:
    """A prefix of ticket numbers: letters and digits, and none of `taken` (the numbers of
    problems), so that a number always says what it numbers."""
    value = (os.environ.get(name) or default).strip()
    if not value.isalnum() or not value.isascii():
        raise ConfigurationError(f"{name} must be letters and digits; got {value!r}")
    if value.upper() in taken:
        raise ConfigurationError(f"{name} cannot be {value!r}: problems are numbered so")
    return value
