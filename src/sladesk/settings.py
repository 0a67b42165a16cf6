"""Django settings. Everything deployment-specific comes from `SLADESK_*` (see config.py);
business configuration (lines, contracts, calendars, schemes) is data, never settings."""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

import dj_database_url

from sladesk import config

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = config.data_dir()

SECRET_KEY = config.secret_key()
DEBUG = config.env_bool("SLADESK_DEBUG", default=False)
ALLOWED_HOSTS = config.env_list("SLADESK_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = config.env_list("SLADESK_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "sladesk.core",
    "sladesk.accounts",
    "sladesk.tickets",
    "sladesk.sla",
    "sladesk.channels",
    "sladesk.problems",
    "sladesk.knowledge",
    "sladesk.releases",
    "sladesk.reports",
    "sladesk.notifications",
    "sladesk.webhooks",
    "sladesk.web",
    "sladesk.api",
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "sladesk.core.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sladesk.api.middleware.ApiMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "sladesk.accounts.middleware.AccountAccessMiddleware",
    "sladesk.accounts.middleware.UserPreferencesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "sladesk.urls"
WSGI_APPLICATION = "sladesk.wsgi.application"
ASGI_APPLICATION = "sladesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "sladesk.web.mail_catcher.admin_banner",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    url = config.database_url()
    database: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    if database["ENGINE"] == "django.db.backends.sqlite3":
        Path(str(database["NAME"])).parent.mkdir(parents=True, exist_ok=True)
        database["CONN_MAX_AGE"] = 0
        database["OPTIONS"] = {
            # IMMEDIATE: a writer takes the lock at BEGIN, so concurrent registrations queue
            # instead of failing with "database is locked" on lock upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # A file, not memory, for the test database: concurrency tests need real connections.
        database["TEST"] = {"NAME": str(Path(str(database["NAME"])).with_suffix(".test.sqlite3"))}
    else:
        database["CONN_HEALTH_CHECKS"] = True
        if config.env_bool("SLADESK_DATABASE_PREPARED", default=True):
            # Parameters bound by the server, and a statement prepared once a connection has
            # run it twice: planning a ticket query (dozens of candidate indexes) costs more
            # than running it. Off behind a pooler that cannot keep prepared statements
            # across transactions (PgBouncer in transaction mode before 1.21).
            options = cast(dict[str, object], database.get("OPTIONS") or {})  # the URL's, kept
            database["OPTIONS"] = {**options, "server_side_binding": True, "prepare_threshold": 2}
    return database


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["sladesk.accounts.backends.EmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = os.environ.get("SLADESK_LANGUAGE", "en")
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("SLADESK_TIME_ZONE", "Europe/Moscow")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on a missing root
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

_redis_url = os.environ.get("SLADESK_REDIS_URL", "").strip()
_task_backend = config.env_choice(
    "SLADESK_TASK_BACKEND", "database", ("database", "immediate", "rq")
)
if _task_backend == "rq" and not _redis_url:
    raise config.ConfigurationError(
        "SLADESK_TASK_BACKEND=rq needs SLADESK_REDIS_URL: the Redis server that holds the queue"
    )
TASKS: dict[str, dict[str, object]] = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
            "rq": "django_tasks_rq.RQBackend",
        }[_task_backend],
    }
}
if _task_backend == "rq":
    # django-tasks-rq stores tasks through django-rq, whose RQ_QUEUES names the Redis server
    # of each queue; our tasks all go to "default", the queue that `sladesk worker` works.
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS["default"]["QUEUES"] = ["default"]
    # RQ stops a job after 180 s by default; the database backend sets no limit, and a
    # month's reports with their PDFs can take longer, so an hour (a hung job still ends).
    RQ_QUEUES = {"default": {"URL": _redis_url, "DEFAULT_TIMEOUT": 3600}}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# Served over https (directly, or behind a proxy that sets X-Forwarded-Proto): cookies only
# over https, and browsers told to use nothing else (HSTS) for SLADESK_HSTS_SECONDS.
SLADESK_HTTPS = config.env_bool("SLADESK_HTTPS", default=False)
if SLADESK_HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = config.env_int("SLADESK_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = False  # other hosts of the domain are not the desk's
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

SLADESK_API_RATE_PER_TOKEN = config.env_int("SLADESK_API_RATE_PER_TOKEN", 1200)
SLADESK_API_RATE_PER_IP = config.env_int("SLADESK_API_RATE_PER_IP", 2400)
# Chat targets (apprise URLs) on loopback or private networks: refused unless allowed (the
# desk would otherwise post to services of its own network for anyone who adds a target).
SLADESK_CHAT_ALLOW_PRIVATE = config.env_bool("SLADESK_CHAT_ALLOW_PRIVATE", default=False)

SLADESK_REDIS_URL = _redis_url  # without it, sign-in limits are counted in the database
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_url}
        if _redis_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

SLADESK_TICKET_PREFIX = config.ticket_prefix("SLADESK_TICKET_PREFIX", "SD", taken=("PRB",))
SLADESK_ATTACHMENT_MAX_BYTES = config.env_int("SLADESK_ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# E-mail (config.py documents the variables).
SLADESK_MAIL_FROM = os.environ.get("SLADESK_MAIL_FROM", "support@localhost").strip()
SLADESK_MAIL_DOMAIN = (
    os.environ.get("SLADESK_MAIL_DOMAIN", "").strip()
    or SLADESK_MAIL_FROM.rpartition("@")[2]
    or "localhost"
)
SLADESK_MAIL_MAX_BYTES = config.mail_max_bytes()
SLADESK_MAIL_PARSE_SECONDS = config.env_int("SLADESK_MAIL_PARSE_SECONDS", 30)
SLADESK_MAIL_RATE_PER_SENDER = config.env_int("SLADESK_MAIL_RATE_PER_SENDER", 30)
SLADESK_MAIL_AUTO_REPLY_WINDOW = config.env_int("SLADESK_MAIL_AUTO_REPLY_WINDOW", 3600)
SLADESK_MAIL_UNKNOWN_SENDERS = config.env_choice(
    "SLADESK_MAIL_UNKNOWN_SENDERS", "quarantine", ("quarantine", "create")
)
# The code of the customer organisation that `create` files unknown senders' tickets under.
SLADESK_MAIL_DEFAULT_ORGANISATION = os.environ.get("SLADESK_MAIL_DEFAULT_ORGANISATION", "").strip()
# For piped mail: the receiving server's authserv-id, whose Authentication-Results decide
# whether a known sender is who the From header says (empty: not checked). Mailboxes set their own.
SLADESK_MAIL_AUTHSERV_ID = os.environ.get("SLADESK_MAIL_AUTHSERV_ID", "").strip()
DEFAULT_FROM_EMAIL = SLADESK_MAIL_FROM
# Without an SMTP server, mail is caught: written as .eml files under DATA_DIR/mail/ and
# shown to administrators in the workspace (mail/), so a new desk's mail is never lost.
SLADESK_SMTP_HOST = os.environ.get("SLADESK_SMTP_HOST", "").strip()
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if SLADESK_SMTP_HOST
    else "sladesk.notifications.catcher.CatcherBackend"
)
EMAIL_HOST = SLADESK_SMTP_HOST or "localhost"
EMAIL_PORT = config.env_int("SLADESK_SMTP_PORT", 25)
EMAIL_HOST_USER = os.environ.get("SLADESK_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("SLADESK_SMTP_PASSWORD", "")
EMAIL_USE_TLS = config.env_bool("SLADESK_SMTP_STARTTLS", default=False)
EMAIL_USE_SSL = config.env_bool("SLADESK_SMTP_TLS", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SLADESK_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# The address people reach the desk at: links in mail and chat messages point there.
SLADESK_PUBLIC_URL = os.environ.get("SLADESK_PUBLIC_URL", "http://127.0.0.1:8000").strip()
# Days a notice read in the desk is kept (the bell's list); unread ones are kept.
SLADESK_NOTIFICATIONS_KEEP_DAYS = config.env_int("SLADESK_NOTIFICATIONS_KEEP_DAYS", 180)
