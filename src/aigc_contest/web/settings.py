"""Django settings, read from environment variables (12-factor).

Embedded default: SQLite and media in the data folder, a Celery broker that needs no server.
Scaled: DATABASE_URL (PostgreSQL), AIGC_BROKER_URL (redis:// or amqp://), AIGC_S3_BUCKET (S3 storage).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from aigc_contest.config import data_dir, env_flag, secret_key

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = data_dir()

SECRET_KEY = secret_key()
DEBUG = env_flag("AIGC_DEBUG")
ALLOWED_HOSTS = [h for h in os.environ.get("AIGC_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("AIGC_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SITE_URL = os.environ.get("AIGC_SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "aigc_contest.web.core",
    "aigc_contest.web.accounts",
    "aigc_contest.web.contests",
    "aigc_contest.web.entries",
    "aigc_contest.web.jobs",
    "aigc_contest.web.works",
    "aigc_contest.web.studio",
    "aigc_contest.web.storybooks",
    "aigc_contest.web.judging",
    "aigc_contest.web.certificates",
    "aigc_contest.web.moderation",
    "aigc_contest.web.imagestudio",
    "aigc_contest.web.applications",
    "aigc_contest.web.finetuning",
    "aigc_contest.web.voice",
    "aigc_contest.web.notifications",
    "rules.apps.AutodiscoverRulesConfig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # django-ninja as an app: the API docs page then loads Swagger UI from this site's static files (no CDN,
    # no inline script), so it works offline and under the Content-Security-Policy.
    "ninja",
    "django_filters",
    "django_tables2",  # the organiser's lists: sorting and pagination
]
DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Django fills request.FILES for POST only; the API's `PUT /entries/{id}/file` takes multipart too.
    "ninja.compatibility.files.fix_request_files_middleware",
]

ROOT_URLCONF = "aigc_contest.web.urls"
WSGI_APPLICATION = "aigc_contest.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "aigc_contest.web.core.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("AIGC_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the embedded worker read while one writes; IMMEDIATE transactions
    # take the write lock up front so two writers queue instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

# Password guessing (django-axes; accounts/lockout.py explains the tiers): failures are counted for 15
# minutes; a sign-in is refused, even with the right password, after 5 failures for one account from one
# address, 20 for one account from anywhere, or 50 for any accounts from one address (a school may share
# one). A success does not wipe the count (that would let one known account reset an address's count).
# Teachers unlock their students, organisers anyone; the lock also ends after the 15 minutes.
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", *AUTHENTICATION_BACKENDS]
AIGC_LOCKOUT_TIERS = [(["username", "ip_address"], 5), ("username", 20), ("ip_address", 50)]
AXES_LOCKOUT_PARAMETERS = [parameter for parameter, _limit in AIGC_LOCKOUT_TIERS]
AXES_FAILURE_LIMIT = AIGC_LOCKOUT_TIERS[0][1]
AXES_COOLOFF_TIME = float(os.environ.get("AIGC_LOGIN_LOCK_MINUTES", "15")) / 60  # hours, as axes reads a float
AXES_RESET_ON_SUCCESS = False
AXES_HANDLER = "aigc_contest.web.accounts.lockout.TieredLockoutHandler"
AXES_LOCKOUT_CALLABLE = "aigc_contest.web.accounts.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False

# Languages: English, Traditional Chinese, Simplified Chinese. zh-HK / zh-TW map to zh-Hant and
# zh-CN / zh-SG to zh-Hans in LocaleMiddleware (Django maps them through LANG_INFO fallbacks).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hant", "繁體中文"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# The site's own CSS and JS live beside the settings, outside any app, so the finders need the folder named.
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("AIGC_MEDIA_ROOT", DATA_DIR / "media"))

STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if bucket := os.environ.get("AIGC_S3_BUCKET"):
    # Every file (uploads, pictures, exports, version files, certificates) goes to the bucket, written once
    # (core/storage.py) and private: pages stream files after their permission check, never a bucket link.
    STORAGES["default"] = {
        "BACKEND": "aigc_contest.web.core.storage.WriteOnceS3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": os.environ.get("AIGC_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AIGC_S3_REGION") or None,
            "access_key": os.environ.get("AIGC_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("AIGC_S3_SECRET_ACCESS_KEY") or None,
            # A key prefix, so that several installations (or test runs) can share one bucket.
            "location": os.environ.get("AIGC_S3_PREFIX", "").strip("/"),
            "addressing_style": os.environ.get("AIGC_S3_ADDRESSING_STYLE") or None,
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": int(os.environ.get("AIGC_S3_URL_SECONDS", "300")),
            "file_overwrite": False,
        },
    }
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Uploads: files above this size stream to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 60 * 1024 * 1024

# Email: console by default; SMTP when AIGC_EMAIL_HOST is set.
DEFAULT_FROM_EMAIL = os.environ.get("AIGC_EMAIL_FROM", "aigc-contest <noreply@localhost>")
if email_host := os.environ.get("AIGC_EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = email_host
    EMAIL_PORT = int(os.environ.get("AIGC_EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("AIGC_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("AIGC_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = env_flag("AIGC_EMAIL_TLS", True)
else:
    EMAIL_BACKEND = os.environ.get("AIGC_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Behind HTTPS (AIGC_HTTPS=1): cookies only over TLS, browsers remember HTTPS for a year, plain HTTP is
# redirected. The proxy in front must set X-Forwarded-Proto (and strip it from clients' requests).
if env_flag("AIGC_HTTPS"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a load balancer's plain-HTTP health check is answered, not redirected

# Content-Security-Policy on every response (django-csp): scripts and styles from this site, or inline with
# the request's nonce (`nonce="{{ request.csp_nonce }}"`); no style attributes, no inline event handlers.
# Responses that set their own policy keep it: the novel player, storybook previews and submitted HTML
# works are sandboxed more tightly than this. Files always come from this site (downloads are streamed after
# the permission check, with S3 storage too), so no storage origin is allowed.
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")


from csp.constants import NONCE as _NONCE  # noqa: E402 - beside the policy it serves
from csp.constants import SELF as _SELF  # noqa: E402

CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF, _NONCE],
        "style-src": [_SELF, _NONCE],
        "img-src": [_SELF, "data:", "blob:"],
        "media-src": [_SELF, "blob:"],
        "object-src": [_SELF],  # judges see PDFs embedded
        "frame-src": [_SELF],  # the sandboxed novel player
        "font-src": [_SELF],
        "connect-src": [_SELF],
        "base-uri": [_SELF],
        "form-action": [_SELF],
        **({"upgrade-insecure-requests": True} if env_flag("AIGC_HTTPS") else {}),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("AIGC_LOG_LEVEL", "WARNING")},
}

# Jobs (aigc_contest.web.jobs). The database holds the queue; the broker only carries wake-ups.
# Embedded default: kombu's SQLAlchemy transport on a SQLite file in the data folder. It needs no server,
# works across processes (the web server and the worker) and keeps its messages in a file, so a restart
# loses nothing; even a lost wake-up loses no job, because the worker's watchdog re-sends them.
# Scaled: AIGC_BROKER_URL=redis://… or amqp://…, `aigc-contest worker` per GPU.
CELERY_BROKER_URL = os.environ.get("AIGC_BROKER_URL") or f"sqla+sqlite:///{DATA_DIR / 'broker.sqlite3'}"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# The SQLAlchemy transport hands its options to create_engine, so only broker servers get any.
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = (
    {} if CELERY_BROKER_URL.startswith("sqla+") else {"visibility_timeout": 3600}
)
# Several installations (or a test run beside production) on one Redis: AIGC_BROKER_PREFIX is put before
# every key and channel this installation uses (its queues, bindings and wake-ups), so none sees another's
# messages. RabbitMQ has virtual hosts for this: give each installation its own in AIGC_BROKER_URL.
if broker_prefix := os.environ.get("AIGC_BROKER_PREFIX", ""):
    if not CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        raise ImproperlyConfigured(
            "AIGC_BROKER_PREFIX works with a Redis broker; on RabbitMQ give each installation its own virtual "
            "host instead (amqp://user:password@host:5672/VHOST) and leave AIGC_BROKER_PREFIX unset."
        )
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = broker_prefix.rstrip(":") + ":"
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False


def _env_number(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _job_order() -> str:
    order = os.environ.get("AIGC_JOB_ORDER", "fair").strip().lower() or "fair"
    if order not in ("fair", "fifo"):
        raise ImproperlyConfigured(f"AIGC_JOB_ORDER must be fair or fifo, not {order!r}.")
    return order


# Teams with an unsubmitted draft are reminded once, this many hours before the deadline (by the worker).
AIGC_REMINDER_HOURS = _env_number("AIGC_REMINDER_HOURS", 48)

AIGC_JOBS = {
    "embedded_worker": env_flag("AIGC_EMBEDDED_WORKER", not os.environ.get("AIGC_BROKER_URL")),
    # Each worker writes a heartbeat for its running jobs every `heartbeat_seconds` (the database's clock);
    # every worker's watchdog looks every `watchdog_seconds` and puts back in line a running job not heard
    # from for `stale_seconds` (five missed heartbeats), so a killed worker's job runs again elsewhere
    # within stale + watchdog (12 s) plus its own run time.
    "heartbeat_seconds": _env_number("AIGC_JOB_HEARTBEAT_SECONDS", 2),
    "stale_seconds": _env_number("AIGC_JOB_STALE_SECONDS", 10),
    "watchdog_seconds": _env_number("AIGC_JOB_WATCHDOG_SECONDS", 2),
    "batch_window_seconds": _env_number("AIGC_JOB_BATCH_WINDOW_SECONDS", 0.5),
    # Which queued job goes next: "fair" (round-robin by child, then school) or "fifo" (oldest first, the
    # baseline benchmarks/class_rush.py measures fair share against). Batching and limits apply to both.
    "order": _job_order(),
    "timeout_seconds": int(_env_number("AIGC_JOB_TIMEOUT_SECONDS", 600)),
    "max_attempts": int(_env_number("AIGC_JOB_MAX_ATTEMPTS", 3)),
    "max_loaded_models": int(_env_number("AIGC_WORKER_MAX_LOADED_MODELS", 2)),
    "memory_budget_bytes": int(_env_number("AIGC_WORKER_MEMORY_BUDGET_GB", 0) * 2**30) or None,
    # The apps register their own kinds (e-mail, certificates, studios); more may be named in the environment.
    "kind_modules": [m for m in os.environ.get("AIGC_JOB_KIND_MODULES", "").split(",") if m],
    # Defaults for JobQuota (organisers override per school or user in the admin). None: no limit.
    "quotas": {"user_concurrent": 2, "user_daily": 200, "school_concurrent": 8, "school_daily": 3000},
}

ADMIN_SITE_HEADER = _("aigc-contest administration")
