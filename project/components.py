"""The project's fixed parts: its apps, middleware, templates, password validators, accepted
upload types, email providers, Content-Security-Policy and logging.

`project/settings.py` takes these as they are and wires them to what the environment says;
this module reads no environment variable (a value that depends on one is a parameter).
"""

from pathlib import Path

from django.utils.csp import CSP

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "anymail",
    "ninja",  # serves /api/docs from its bundled Swagger UI files, not a CDN
    "apps.accounts",
    "apps.billing",
    "apps.summaries",
    "apps.mail",
    "apps.jobs",
    "apps.analytics",
    "apps.api",
    "apps.console",
    "apps.demo",
]

# settings.py adds whitenoise's when DEBUG is off (gunicorn serves the static files then).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",  # SECURE_CSP on every response
    "project.csp.ConsolePolicyMiddleware",  # ... and SECURE_CSP_CONSOLE on the console's
    "apps.api.middleware.ApiJsonErrorsMiddleware",  # every /api/ error answers JSON
    "apps.api.middleware.InteractionLogMiddleware",  # times /api/v1/ calls for the log
    "apps.api.middleware.UploadSizeLimitMiddleware",  # 413 before reading a huge body
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.console.middleware.AdminQueryMiddleware",
]


def templates(*, base_dir: Path) -> list[dict]:
    """The `TEMPLATES` setting: the project's `templates/` folder, then each app's."""
    return [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [base_dir / "templates"],
            "APP_DIRS": True,
            "OPTIONS": {
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                    "django.contrib.messages.context_processors.messages",
                    # {{ csp_nonce }} and {% csp_nonce_attr %}
                    "django.template.context_processors.csp",
                ],
            },
        },
    ]


AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

ALLOWED_UPLOAD_TYPES = {
    "text/plain",
    "text/markdown",
    "text/html",
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

# EMAIL_PROVIDER -> (backend, {ANYMAIL key: its environment variable, required with DEBUG off})
EMAIL_PROVIDERS = {
    "postmark": ("anymail.backends.postmark.EmailBackend", {"POSTMARK_SERVER_TOKEN": ""}),
    "sendgrid": ("anymail.backends.sendgrid.EmailBackend", {"SENDGRID_API_KEY": ""}),
    # anymail's, plus Resend's Idempotency-Key (apps/mail/backends.py)
    "resend": ("apps.mail.backends.ResendBackend", {"RESEND_API_KEY": ""}),
    "mailgun": (
        "anymail.backends.mailgun.EmailBackend",
        {"MAILGUN_API_KEY": "", "MAILGUN_SENDER_DOMAIN": ""},
    ),
    "amazon_ses": ("anymail.backends.amazon_ses.EmailBackend", {}),
    "test": ("anymail.backends.test.EmailBackend", {}),
    # Django's, with the usual envelope addresses read without the header parser
    "smtp": ("apps.mail.backends.SMTPBackend", {}),
    "console": ("django.core.mail.backends.console.EmailBackend", {}),
    "file": ("apps.mail.backends.EmlFileBackend", {}),
}

# --- Content-Security-Policy (Django's core CSP: django.middleware.csp) ---------------------
# Every page: scripts and styles from our own origin, or inline only with this response's
# nonce (`{% csp_nonce_attr %}`): no inline event handler, no `javascript:` URL, no eval.
# Nothing is framed by another site, no plugin runs, forms post only to us.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# The console (/admin/, project/csp.py) weakens three directives, each for a reason it cannot
# avoid; scripts still need our origin or the nonce, so an injected <script> or onclick= is
# refused there too.
SECURE_CSP_CONSOLE = {
    **SECURE_CSP,
    # django-unfold's Alpine.js compiles its x-data/x-on/x-bind attributes with `new Function`
    # (Alpine's CSP build cannot run unfold's expressions), and htmx's hx-on likewise.
    "script-src": [CSP.SELF, CSP.NONCE, CSP.UNSAFE_EVAL],
    # Inline styles, and so no nonce (a nonce switches 'unsafe-inline' off): unfold writes its
    # theme colours in a <style> element and sizes panels with style attributes and Alpine's
    # x-bind:style; the studio's previews are srcdoc iframes, which inherit this policy, and
    # an email is built from inline styles. (A preview also has its own stricter policy.)
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    # A previewed email shows its images from wherever the template links them.
    "img-src": [CSP.SELF, "data:", "https:"],
}


def logging_settings(*, level: str) -> dict:
    """The `LOGGING` setting: one plain format to the console, the root logger at `level`.

    project/logs.py applies it, then spares each record the lookups (caller, thread, process,
    task) that no formatter of the process prints: all of them in a consumer (the "plain"
    format shows none), not the process id in gunicorn, whose error log shows it."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # run_huey adds a handler of its own only when "huey" has none: give it ours, once.
            "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }


def sqlite_databases(*, var_dir: Path) -> dict:
    """The embedded `DATABASES`: one SQLite file in `var_dir` (and one for the tests)."""
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": var_dir / "db.sqlite3",
            # A file, not memory, so that a consumer subprocess sees what a test wrote.
            "TEST": {"NAME": var_dir / "test-db.sqlite3"},
            # The web process and the consumer write at once: WAL plus BEGIN IMMEDIATE make
            # them queue for the lock instead of failing with "database is locked".
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }


def redis_caches(*, url: str) -> dict:
    """`CACHES` with Redis: Redis, degrading to the database cache while Redis does not answer
    (project/cache.py), so staff keep logging in and rate limits keep counting when it is down."""
    return {
        "default": {
            "BACKEND": "project.cache.FallbackCache",
            "LOCATION": url,
            "KEY_PREFIX": "summasaas",
            "OPTIONS": {"fallback": "database", "socket_connect_timeout": 1, "socket_timeout": 2},
        },
        "database": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
            "KEY_PREFIX": "summasaas",
        },
    }


def database_caches() -> dict:
    """`CACHES` without Redis: the database's cache table alone."""
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
        }
    }


# Django's own task framework (`from django.tasks import task`) runs on huey's consumers through
# huey's backend, enqueued when the caller's transaction commits; results through django.tasks.
TASKS = {
    "default": {
        "BACKEND": "huey.contrib.djhuey.tasks_backend.HueyBackend",
        "ENQUEUE_ON_COMMIT": True,
    }
}
