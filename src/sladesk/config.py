"""Reads the process environment: the one place that knows the `SLADESK_*` variables.

Pure Python (no Django import) so that the CLI can consult it before Django starts.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


class ConfigurationError(RuntimeError):
    """A `SLADESK_*` variable is missing or malformed; the message says which and why."""


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


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


@dataclass(frozen=True)
class Variable:
    """One documented environment variable (the README's configuration table mirrors these)."""

    name: str
    default: str
    meaning: str


VARIABLES = [
    Variable("SLADESK_DATABASE_URL", "sqlite:///./var/sladesk.sqlite3", "database as a URL"),
    Variable("SLADESK_DATABASE_PREPARED", "true", "PostgreSQL: prepared statements"),
    Variable("SLADESK_DATA_DIR", "./var", "embedded database, secret key, uploaded files"),
    Variable("SLADESK_SECRET_KEY", "generated into ./var/secret_key", "Django secret key"),
    Variable("SLADESK_DEBUG", "false", "Django debug mode; never in production"),
    Variable("SLADESK_ALLOWED_HOSTS", "localhost,127.0.0.1", "comma-separated host names"),
    Variable("SLADESK_TIME_ZONE", "Europe/Moscow", "default zone for display and new users"),
    Variable("SLADESK_LANGUAGE", "en", "default interface language (en, ru)"),
    Variable("SLADESK_TICKET_PREFIX", "SD", "prefix of ticket numbers (SD-2026-000123)"),
    Variable("SLADESK_ATTACHMENT_MAX_BYTES", "26214400", "largest accepted attachment"),
    Variable("SLADESK_TASK_BACKEND", "database", "`database` (django-tasks-db) or `immediate`"),
    Variable("SLADESK_REDIS_URL", "", "Redis for the shared cache (rate limits across processes)"),
    Variable("SLADESK_API_RATE_PER_TOKEN", "1200", "API requests a minute per token or session"),
    Variable("SLADESK_API_RATE_PER_IP", "2400", "API requests a minute per client address"),
    Variable("SLADESK_MAIL_FROM", "support@localhost", "the desk's sender address"),
    Variable("SLADESK_MAIL_DOMAIN", "domain of SLADESK_MAIL_FROM", "domain of our Message-IDs"),
    Variable("SLADESK_MAIL_MAX_BYTES", "41943040", "largest inbound message parsed"),
    Variable("SLADESK_MAIL_PARSE_SECONDS", "30", "time limit for parsing one message"),
    Variable("SLADESK_MAIL_RATE_PER_SENDER", "30", "inbound messages an hour per sender"),
    Variable("SLADESK_MAIL_AUTO_REPLY_WINDOW", "3600", "seconds between acknowledgements"),
    Variable("SLADESK_MAIL_UNKNOWN_SENDERS", "quarantine", "mail-in: `create` or `quarantine`"),
    Variable("SLADESK_SMTP_HOST", "localhost", "SMTP server for outbound mail"),
    Variable("SLADESK_SMTP_PORT", "25", "its port"),
    Variable("SLADESK_SMTP_USER", "", "SMTP user (with SLADESK_SMTP_PASSWORD)"),
    Variable("SLADESK_SMTP_STARTTLS", "false", "STARTTLS (SLADESK_SMTP_TLS: implicit TLS)"),
]
