"""SummaSaaS Ops settings.

Every environment variable is read here, once. With none set, the project runs on its embedded
defaults (SQLite, SqliteHuey, local files, `.eml` files in an outbox folder); each production
service is switched on by its variable (see the README's table).
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from project import components
from project.unfold import unfold_settings

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if not value:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def required(name: str, why: str) -> str:
    """A variable production cannot start without: a missing one stops start-up by name."""
    value = env(name)
    if not value and not DEBUG:
        raise ImproperlyConfigured(
            f"{name} is not set. It is required when DEBUG is off ({why}); "
            f"set the {name} environment variable."
        )
    return value


DEBUG = env_bool("DEBUG", default=True)
VAR_DIR = Path(env("VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = required("SECRET_KEY", "it signs sessions, unsubscribe links and download links") or (
    "django-insecure-embedded-default-only-for-local-development"
)
# Old keys, comma-separated, after a rotation: signatures and the outbox's encrypted secret
# values made with them are still accepted (new ones use SECRET_KEY).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or (
    ["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else []
)
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is not set. It is required when DEBUG is off; set it to the site's "
        "host names, comma-separated."
    )
SITE_URL = (required("SITE_URL", "links in emails point there") or "http://127.0.0.1:8000").rstrip(
    "/"
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS") or [SITE_URL]

# The apps, middleware, templates and other fixed tables are in project/components.py.
INSTALLED_APPS = components.INSTALLED_APPS
MIDDLEWARE = [*components.MIDDLEWARE]
if not DEBUG:  # gunicorn serves the collected static files itself; runserver does in DEBUG
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = components.templates(base_dir=BASE_DIR)

# --- database ------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
    # A session idle inside a transaction this long belongs to a stalled process (a paused
    # consumer, a frozen machine): PostgreSQL ends it and its row locks go with it, so the
    # reaper, which must write the rows that process held, is not kept waiting for ever. The
    # process, if it resumes, gets an error: its task's retry or the reaper settles the rest.
    DATABASE_IDLE_TRANSACTION_SECONDS = int(env("DATABASE_IDLE_TRANSACTION_SECONDS", "300"))
    if "postgresql" in DATABASES["default"]["ENGINE"]:
        _idle = f"-c idle_in_transaction_session_timeout={DATABASE_IDLE_TRANSACTION_SECONDS}s"
        _db_options = DATABASES["default"].setdefault("OPTIONS", {})
        _db_options["options"] = f"{_db_options.get('options', '')} {_idle}".strip()
else:
    DATABASES = components.sqlite_databases(var_dir=VAR_DIR)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- broker, cache, sessions -----------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
HUEY_WORKERS = int(env("HUEY_WORKERS", "2"))
_huey_consumer = {"workers": HUEY_WORKERS, "worker_type": "thread", "check_worker_health": True}
# huey's own classes with reliable fetch (apps/jobs/adapter): a consumer registers what it
# takes in the broker, so a killed consumer's tasks are found and marked lost, never vanish.
if REDIS_URL:
    HUEY = {
        "huey_class": "apps.jobs.adapter.RedisHuey",
        "name": env("HUEY_NAME", "summasaas"),
        "url": REDIS_URL,
        "immediate": env_bool("HUEY_IMMEDIATE", default=False),
        "consumer": _huey_consumer,
    }
    CACHES = components.redis_caches(url=REDIS_URL)
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    HUEY = {
        "huey_class": "apps.jobs.adapter.SqliteHuey",
        "name": env("HUEY_NAME", "summasaas"),
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": env_bool("HUEY_IMMEDIATE", default=False),
        "consumer": _huey_consumer,
    }
    CACHES = components.database_caches()
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

TASKS = components.TASKS  # Django's task framework, run by huey's consumers

# --- jobs: periodic runs, task history, consumer heartbeats ------------------------------
JOBS_TASK_HISTORY = env_bool("JOBS_TASK_HISTORY", default=True)
JOBS_HISTORY_FLUSH_SECONDS = float(env("JOBS_HISTORY_FLUSH_SECONDS", "0.25"))
JOBS_HEARTBEAT_SECONDS = float(env("JOBS_HEARTBEAT_SECONDS", "10"))
JOBS_CONSUMER_DEAD_AFTER_SECONDS = float(env("JOBS_CONSUMER_DEAD_AFTER_SECONDS", "60"))
# A task declared idempotent that was lost on this attempt is not enqueued again: a task that
# kills its consumer (out of memory, a crash in C code) must not kill every consumer in turn.
JOBS_LOST_MAX_ATTEMPTS = int(env("JOBS_LOST_MAX_ATTEMPTS", "5"))
# The reconciliation (every 5 minutes) looks in the broker for runs the history has shown
# waiting (enqueued, scheduled, retrying) for longer than this; one the broker lost is `lost`.
JOBS_RECONCILE_GRACE_SECONDS = float(env("JOBS_RECONCILE_GRACE_SECONDS", "120"))
# How long a periodic job's run waits for its job's lock (held by another period's run)
# before it gives up and retries `retry_delay` later.
JOBS_LOCK_WAIT_SECONDS = float(env("JOBS_LOCK_WAIT_SECONDS", "5"))
JOBS_HISTORY_RETENTION_DAYS = int(env("JOBS_HISTORY_RETENTION_DAYS", "30"))
JOBS_BATCH_SIZE = int(env("JOBS_BATCH_SIZE", "5000"))
JOBS_REVOKE_INDEX = env_bool("JOBS_REVOKE_INDEX", default=True)  # bench switch: storage_redis
# Test-only: the schedulers' clock runs this many times faster from JOBS_SIMULATED_EPOCH and
# check periodic jobs every second, so a test sees dozens of periods in under a minute.
JOBS_SIMULATED_CLOCK_RATE = float(env("JOBS_SIMULATED_CLOCK_RATE", "0"))
JOBS_SIMULATED_EPOCH = env("JOBS_SIMULATED_EPOCH")
JOBS_SIMULATED_STARTED_AT = float(env("JOBS_SIMULATED_STARTED_AT", "0"))
# Ops alerts: staff emailed (once per job and hour) when a task fails its last retry or a
# periodic job misses its period (late = no run this long after its trigger).
OPS_ALERT_RECIPIENTS = [a.lower() for a in env_list("OPS_ALERT_RECIPIENTS")]
OPS_LATE_AFTER_SECONDS = int(env("OPS_LATE_AFTER_SECONDS", "600"))
# A queue whose oldest waiting task has waited this long is alerted (consumers do not keep up).
OPS_QUEUE_MAX_WAIT_SECONDS = int(env("OPS_QUEUE_MAX_WAIT_SECONDS", "600"))
OPS_RETRY_MAX = int(env("OPS_RETRY_MAX", "1000"))  # "retry all matching" enqueues at most this
# The summarizer engine (a class with `summarize(*, text, mode) -> str`). The default is a
# local, deterministic extractive stand-in for a model provider: no network, no model download.
SUMMARIZER = env("SUMMARIZER", "apps.summaries.summarizers.LocalExtractiveSummarizer")
SUMMARY_INLINE_MAX_CHARS = int(env("SUMMARY_INLINE_MAX_CHARS", "4000"))  # longer: in storage
SUMMARY_SYNC_MAX_CHARS = int(env("SUMMARY_SYNC_MAX_CHARS", "20000"))  # longer: run as a task
SUMMARY_MAX_INPUT_CHARS = int(env("SUMMARY_MAX_INPUT_CHARS", "500000"))
SUMMARIES_ARCHIVE_AFTER_DAYS = int(env("SUMMARIES_ARCHIVE_AFTER_DAYS", "90"))
# A pending summary queued longer ago than this whose task is nowhere (the broker lost it) is
# queued again by the `summaries_requeue` job (every 5 minutes; failed and refunded after 3).
SUMMARY_REQUEUE_AFTER_SECONDS = int(env("SUMMARY_REQUEUE_AFTER_SECONDS", "300"))
# API calls are logged in memory and written in batches this often (0: only when flushed).
ANALYTICS_FLUSH_SECONDS = float(env("ANALYTICS_FLUSH_SECONDS", "1"))
ANALYTICS_RAW_RETENTION_DAYS = int(env("ANALYTICS_RAW_RETENTION_DAYS", "90"))
MAIL_LOG_RETENTION_DAYS = int(env("MAIL_LOG_RETENTION_DAYS", "180"))
MAIL_EVENT_RETENTION_DAYS = int(env("MAIL_EVENT_RETENTION_DAYS", "180"))
# Rows `sending` this long belong to a delivery that ended without settling them (a chunk of 25
# takes seconds): the outbox sweep settles them as interrupted.
MAIL_SENDING_STALE_SECONDS = int(env("MAIL_SENDING_STALE_SECONDS", "3600"))
REPORT_LINK_MAX_AGE_SECONDS = int(env("REPORT_LINK_MAX_AGE_SECONDS", str(14 * 24 * 3600)))

# --- files ---------------------------------------------------------------------------------
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
# Where collectstatic writes and the web process serves from (a deployment may keep it apart).
STATIC_ROOT = Path(env("STATIC_ROOT") or BASE_DIR / "staticfiles")
_static_backend = (
    "django.contrib.staticfiles.storage.StaticFilesStorage"
    if DEBUG
    else "whitenoise.storage.CompressedManifestStaticFilesStorage"
)
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env("AWS_S3_REGION_NAME", "us-east-1"),
            "access_key": env("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY") or None,
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 3600,
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    }
STORAGES = {"default": _default_storage, "staticfiles": {"BACKEND": _static_backend}}
MAX_UPLOAD_BYTES = int(env("MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES
ALLOWED_UPLOAD_TYPES = components.ALLOWED_UPLOAD_TYPES

# --- email ---------------------------------------------------------------------------------
EMAIL_PROVIDER = env("EMAIL_PROVIDER", "file").lower()
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "SummaSaaS <hello@summasaas.local>")
SERVER_EMAIL = env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
EMAIL_OUTBOX_DIR = VAR_DIR / "outbox"
_EMAIL_PROVIDERS = components.EMAIL_PROVIDERS
if EMAIL_PROVIDER not in _EMAIL_PROVIDERS:
    raise ImproperlyConfigured(
        f"EMAIL_PROVIDER={EMAIL_PROVIDER!r} is not supported; use one of "
        f"{', '.join(sorted(_EMAIL_PROVIDERS))}."
    )
_backend, _provider_keys = _EMAIL_PROVIDERS[EMAIL_PROVIDER]
ANYMAIL = {key: required(key, f"EMAIL_PROVIDER is {EMAIL_PROVIDER}") for key in _provider_keys}
# Where the provider's API lives (a staging or test server), read by anymail and the batch senders.
_api_url = env(f"{EMAIL_PROVIDER.upper()}_API_URL")
if _api_url:
    ANYMAIL[f"{EMAIL_PROVIDER.upper()}_API_URL"] = _api_url
_mailer_options = {
    "smtp": {
        "host": env("EMAIL_HOST", "localhost"),
        "port": int(env("EMAIL_PORT", "25")),
        "username": env("EMAIL_HOST_USER"),
        "password": env("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", default=False),
        "timeout": 20,
    },
    "file": {"outbox_dir": str(EMAIL_OUTBOX_DIR)},
}.get(EMAIL_PROVIDER, {})
MAILERS = {"default": {"BACKEND": _backend, "OPTIONS": _mailer_options}}
# Provider webhooks (anymail's tracking views) require HTTP basic auth "user:password".
WEBHOOK_SECRET = required("WEBHOOK_SECRET", "provider webhooks authenticate with it")
if WEBHOOK_SECRET:
    ANYMAIL["WEBHOOK_SECRET"] = WEBHOOK_SECRET
if env("RESEND_SIGNING_SECRET"):  # Resend also signs its webhooks (svix)
    ANYMAIL["RESEND_SIGNING_SECRET"] = env("RESEND_SIGNING_SECRET")
if env("MAILGUN_WEBHOOK_SIGNING_KEY"):  # Mailgun signs its webhooks (HMAC); required for them
    ANYMAIL["MAILGUN_WEBHOOK_SIGNING_KEY"] = env("MAILGUN_WEBHOOK_SIGNING_KEY")
# Provider webhook bodies larger than this are refused (413) before they are read.
MAIL_WEBHOOK_MAX_BYTES = int(env("MAIL_WEBHOOK_MAX_BYTES", str(2 * 1024 * 1024)))
MAIL_BRAND_NAME = env("MAIL_BRAND_NAME", "SummaSaaS")
MAIL_UNSUBSCRIBE_MAILTO = env("MAIL_UNSUBSCRIBE_MAILTO") or (
    "unsubscribe@" + DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].rstrip(">").strip()
)
MAIL_MAX_ATTEMPTS = int(env("MAIL_MAX_ATTEMPTS", "6"))  # first try + retries
MAIL_RETRY_DELAY = float(env("MAIL_RETRY_DELAY", "30"))  # seconds, doubled after each retry
# Emails per delivery task, sent over one connection (SMTP session or provider HTTP session).
MAIL_BATCH_SIZE = int(env("MAIL_BATCH_SIZE", "100"))
MAIL_LINK_MAX_AGE = int(env("MAIL_LINK_MAX_AGE_DAYS", "180")) * 24 * 3600  # unsubscribe links
# Secret values of an email (reset and verification links) are wiped after delivery, or after
# this many hours if it was never delivered (the longest such link, verification, lasts 7 days).
MAIL_SECRETS_MAX_AGE_HOURS = int(env("MAIL_SECRETS_MAX_AGE_HOURS", "168"))
# The email studio's test sends: to the sender's own address or these staff addresses only,
# at most this many per user per hour.
MAIL_TEST_RECIPIENTS = [a.lower() for a in env_list("MAIL_TEST_RECIPIENTS")]
MAIL_TEST_SENDS_PER_HOUR = int(env("MAIL_TEST_SENDS_PER_HOUR", "20"))
# Stripe signs its payment webhooks (/webhooks/stripe/) with this `whsec_...` secret.
STRIPE_WEBHOOK_SECRET = required(
    "STRIPE_WEBHOOK_SECRET", "Stripe payment webhooks are verified with it"
)
UPGRADE_URL = env("UPGRADE_URL") or f"{SITE_URL}/accounts/plan/"  # the customer's plan page

# --- auth ----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "/admin/"
# Public auth forms (login, admin login, password reset, verification resend, signup): POSTs
# allowed per client IP and per address typed, "count/period" (django-ratelimit's syntax), kept
# in the default cache. Behind a proxy, RATELIMIT_IP_META_KEY names the header holding the
# client's IP (e.g. HTTP_FLY_CLIENT_IP on fly.io); REMOTE_ADDR otherwise.
AUTH_RATE_PER_IP = env("AUTH_RATE_PER_IP", "30/10m")
AUTH_RATE_PER_ADDRESS = env("AUTH_RATE_PER_ADDRESS", "8/10m")
# The JSON API: requests per API key by plan code (django-ratelimit's "count/period").
API_RATE_BY_PLAN = {
    "free": env("API_RATE_FREE", "60/m"),
    "pro": env("API_RATE_PRO", "600/m"),
    "business": env("API_RATE_BUSINESS", "3000/m"),
}
API_RATE_DEFAULT = env("API_RATE_DEFAULT", "60/m")
API_INTERACTION_LOG = env_bool("API_INTERACTION_LOG", default=True)
RATELIMIT_IP_META_KEY = env("RATELIMIT_IP_META_KEY") or None
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", default=True)
AUTH_PASSWORD_VALIDATORS = components.AUTH_PASSWORD_VALIDATORS

LANGUAGE_CODE = "en-us"
# The languages a customer can choose (User.language): emails are sent in that translation.
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- production hardening ------------------------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    # The platform's health check speaks plain HTTP inside the private network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Content-Security-Policy (Django's core CSP), logging ------------------------------------
# The policies, directive by directive with their reasons, are in project/components.py.
SECURE_CSP = components.SECURE_CSP
SECURE_CSP_CONSOLE = components.SECURE_CSP_CONSOLE
LOGGING_CONFIG = "project.logs.configure"  # applies LOGGING, then spares unused lookups
LOGGING = components.logging_settings(level=env("LOG_LEVEL", "INFO"))

# --- admin console -------------------------------------------------------------------------
SITE_NAME = "SummaSaaS Ops"
# Seconds between live updates of the dashboard, task history, consumers, schedules, outbox.
CONSOLE_LIVE_SECONDS = int(env("CONSOLE_LIVE_SECONDS", "15"))
# django-unfold's look and sidebar, kept in project/unfold.py (it reads no environment).
UNFOLD = unfold_settings(site_name=SITE_NAME)
