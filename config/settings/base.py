"""Settings shared by every environment. Environment-specific modules set the secret and database."""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


class _Env(environ.Env):
    """django-environ, but a value that does not cast (SINERGI_UPLOAD_MAX_ROWS=lots) stops start-up with the
    variable's name in the message instead of a bare ValueError. Values of the right type but out of range are
    refused by the system checks in sinergi/core/checks.py."""

    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(f"environment variable {var}={os.environ.get(var)!r}: {exc}") from exc


env = _Env()

DEBUG = env.bool("SINERGI_DEBUG", default=False)
ALLOWED_HOSTS = env.list("SINERGI_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("SINERGI_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "django_htmx",
    "channels",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "sinergi.core",
    "sinergi.accounts",
    "sinergi.regions",
    "sinergi.elections",
    "sinergi.risk",
    "sinergi.deployment",
    "sinergi.incidents",
    "sinergi.coordination",
    "sinergi.operations",
    "sinergi.logistics",
    "sinergi.reports",
    "sinergi.exercises",
    "sinergi.personnel",
    "sinergi.messaging",
    "sinergi.api",
]

MIDDLEWARE = [
    "sinergi.core.clientip.TrustedProxyMiddleware",  # first: proxy headers only from SINERGI_TRUSTED_PROXIES
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",  # HTML/JSON compressed (static files: WhiteNoise's own copies)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "sinergi.core.middleware.IndonesianFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sinergi.accounts.middleware.SessionTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "sinergi.accounts.otp.OTPRequiredMiddleware",
    "sinergi.exercises.middleware.ExerciseMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "sinergi.core.csp.ContentSecurityPolicyMiddleware",  # no inline script (docs/security.md)
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "sinergi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sinergi.core.context_processors.sinergi",
            ],
        },
    },
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Sessions: 30 minutes idle, 12 hours absolute (enforced by SessionTimeoutMiddleware).
SESSION_IDLE_TIMEOUT = env.int("SINERGI_SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SINERGI_SESSION_ABSOLUTE_SECONDS", default=12 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Two-factor sign-in (TOTP) is required for these roles (comma-separated; empty turns it off).
SINERGI_OTP_REQUIRED_ROLES = env.list("SINERGI_OTP_REQUIRED_ROLES", default=["admin", "commander"])
OTP_TOTP_ISSUER = "Sinergi"

# Login lockout (django-axes): 5 failures per username+IP lock for one hour.
AXES_FAILURE_LIMIT = env.int("SINERGI_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "sinergi" / "locale"]
TIME_ZONE = "Asia/Makassar"  # WITA; data is stored in UTC
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("SINERGI_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "sinergi" / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False
# Hashed names + gzip/brotli copies, cached a year as immutable (issue 16; sinergi/core/staticfiles.py).
STORAGES = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "sinergi.core.staticfiles.HashedStaticStorage"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "sinergi.api.authentication.HashedTokenAuthentication",  # API keys hashed at rest, with expiry
        "sinergi.api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "sinergi.api.pagination.StandardPagination",
    # JSON: deep nesting / oversized bodies are a 400, never a RecursionError 500 (sinergi/core/jsonsafe.py)
    "DEFAULT_PARSER_CLASSES": ["sinergi.core.jsonsafe.SafeJSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "PAGE_SIZE": 100,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "sinergi.api.schema.AutoSchema",  # documents 400/401/403/404 bodies everywhere
    # Django ValidationError from selectors/filters -> 400 naming the field (sinergi/api/errors.py)
    "EXCEPTION_HANDLER": "sinergi.core.api_errors.exception_handler",
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.NamespaceVersioning",
    "ALLOWED_VERSIONS": ["v1"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Sinergi API",
    "DESCRIPTION": "Cross-agency election security coordination. All reads are scoped to the caller's unit/agency.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The API documentation page loads Swagger UI from our static files (closed network: nothing from the internet).
    "SWAGGER_UI_DIST": "/static/vendor/swagger-ui",
    "SWAGGER_UI_FAVICON_HREF": "/static/vendor/swagger-ui/favicon-32x32.png",
    "COMPONENT_SPLIT_REQUEST": True,
    # One clear component name per choice set (fields called status/kind/direction exist in several apps).
    "ENUM_NAME_OVERRIDES": {
        "TaskRunStatusEnum": "sinergi.core.models.TaskRun.Status",
        "ReceiptStatusEnum": [("accepted", "accepted"), ("duplicate", "duplicate")],  # intake and check-in receipts
        "OfficerStatusEnum": "sinergi.personnel.choices.Status",
        "ContestKindEnum": "sinergi.elections.models.Contest.Kind",
        "PlanStatusEnum": "sinergi.deployment.choices.PlanStatus",
        "RiskModelStatusEnum": "sinergi.risk.choices.ModelStatus",
        "IncidentStatusEnum": "sinergi.incidents.choices.IncidentStatus",
        "ProcessingStatusEnum": "sinergi.incidents.choices.ProcessingStatus",
        "LocationStatusEnum": "sinergi.incidents.choices.LocationStatus",
        "SeverityEnum": "sinergi.incidents.choices.Severity",
        "MarkingEnum": "sinergi.coordination.choices.Marking",
        "MeetingStatusEnum": "sinergi.coordination.choices.MeetingStatus",
        "ActionStatusEnum": "sinergi.coordination.choices.ActionStatus",
        "MessageKindEnum": "sinergi.messaging.models.Message.Kind",
        "MessagingChannelEnum": "sinergi.messaging.models.ChannelKind",
        "OutboxStatusEnum": "sinergi.messaging.models.Outbox.Status",
        "NoteKindEnum": "sinergi.coordination.choices.NoteKind",
        "CheckInKindEnum": "sinergi.operations.models.CheckInKind",
        "AlertKindEnum": "sinergi.operations.models.AlertKind",
        "MovementStatusEnum": "sinergi.logistics.models.Status",
        "MovementDirectionEnum": "sinergi.logistics.models.Direction",
        "NodeKindEnum": "sinergi.logistics.models.NodeKind",
        "LegModeEnum": "sinergi.logistics.models.LegMode",
        "LegEventKindEnum": "sinergi.logistics.models.LegEventKind",
        "SealCheckEnum": "sinergi.logistics.models.SealCheck",
        "SituationReportStatusEnum": "sinergi.reports.choices.ReportStatus",
        "SituationReportKindEnum": "sinergi.reports.choices.ReportKind",
    },
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Live updates (situation room, command dashboard): one channel layer shared by every process of the install (web
# server, worker, incident processor, tick). Redis when REDIS_URL is set; else the embedded default fans group
# messages out through <data dir>/live.sqlite3 (docs/adr/0030-live-channel-layer.md).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {
        "hosts": [REDIS_URL], "prefix": env.str("SINERGI_CHANNEL_PREFIX", default="sinergi")}}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "sinergi.core.live_layer.SQLiteFanoutChannelLayer"}}

# Incidents: the SMS gateway webhook is refused until a shared secret is configured (no default secret).
SINERGI_SMS_WEBHOOK_SECRET = env.str("SINERGI_SMS_WEBHOOK_SECRET", default="")
SINERGI_INCIDENT_PROCESSING = env.str("SINERGI_INCIDENT_PROCESSING", default="inline")  # or "deferred"
# "loop" when a processor loop runs beside the web processes (set by `sinergi up` / `sinergi serve` for their
# children): deferred reports are then picked up by its polling, no task is queued per report.
SINERGI_INCIDENT_PROCESSOR = env.str("SINERGI_INCIDENT_PROCESSOR", default="task")
# Intake writes reports in group commits (one transaction per batch, benchmarks/intake.py) when true.
SINERGI_INCIDENT_GROUP_COMMIT = env.bool("SINERGI_INCIDENT_GROUP_COMMIT", default=False)
# Lean single-report intake path (same contract as the DRF view) and writer threads per process for group commit.
SINERGI_INCIDENT_LEAN_INTAKE = env.bool("SINERGI_INCIDENT_LEAN_INTAKE", default=True)
SINERGI_INCIDENT_GROUP_WRITERS = env.int("SINERGI_INCIDENT_GROUP_WRITERS", default=2)
# Reports per processing transaction (the processor works in batches); 0 = by database: 50 on SQLite (intake waits
# for the single writer), 500 on PostgreSQL.
SINERGI_INCIDENT_PROCESS_CHUNK = env.int("SINERGI_INCIDENT_PROCESS_CHUNK", default=0)
# Longest a processing transaction holds SQLite's single write lock (milliseconds) before it commits what it has
# done and lets waiting intake writers in; the chunk goes on in the next transaction. 0 = by database: 100 on SQLite,
# no limit on PostgreSQL (no single write lock).
SINERGI_INCIDENT_PROCESS_HOLD_MS = env.int("SINERGI_INCIDENT_PROCESS_HOLD_MS", default=0)
# Public report form: reports accepted per client IP per hour.
SINERGI_PUBLIC_REPORTS_PER_HOUR = env.int("SINERGI_PUBLIC_REPORTS_PER_HOUR", default=10)
# Triage: the deployment's home province (BPS code; place names are matched there first). Empty = NTT (53).
SINERGI_TRIAGE_HOME_PROVINCE = env.str("SINERGI_TRIAGE_HOME_PROVINCE", default="53")
# Risk: a recompute asked for by an edit waits this many seconds, so a burst of edits makes one recompute.
RISK_RECOMPUTE_DELAY_S = env.int("SINERGI_RISK_RECOMPUTE_DELAY_S", default=10)
# Command dashboard: seconds its check-in cache is kept before it is rebuilt (0 = rebuilt on every read).
SINERGI_OPS_CACHE_TTL = env.float("SINERGI_OPS_CACHE_TTL", default=60.0)
# Daily situation report (Laporan Situasi Harian): generated automatically at this local (WITA) time.
SINERGI_SITREP_TIME = env.str("SINERGI_SITREP_TIME", default="06:00")
# Units (codes) that get the automatic daily report; empty = the Polda of the election's province only.
SINERGI_SITREP_UNITS = env.list("SINERGI_SITREP_UNITS", default=[])
# Public base URL (e.g. https://sinergi.example) for absolute links in webhook payloads; empty = relative links.
SINERGI_BASE_URL = env.str("SINERGI_BASE_URL", default="")
# Logistics escorts: a leg is late this many minutes after its expected arrival; every TPS must have its
# logistics by DEADLINE_TIME (WITA) DEADLINE_DAYS_BEFORE days before voting; the tick looks back ALERT_HORIZON_H.
SINERGI_LOGISTICS_TOLERANCE_MIN = env.int("SINERGI_LOGISTICS_TOLERANCE_MIN", default=60)
SINERGI_LOGISTICS_DEADLINE_DAYS_BEFORE = env.int("SINERGI_LOGISTICS_DEADLINE_DAYS_BEFORE", default=1)
SINERGI_LOGISTICS_DEADLINE_TIME = env.str("SINERGI_LOGISTICS_DEADLINE_TIME", default="18:00")
SINERGI_LOGISTICS_ALERT_HORIZON_H = env.int("SINERGI_LOGISTICS_ALERT_HORIZON_H", default=72)
# API tokens (issue 15): keys are hashed at rest and expire this many days after issue (0 = never expire);
# their last use is recorded at most every TOUCH seconds per token (keeps reads from turning into writes).
SINERGI_API_TOKEN_DAYS = env.int("SINERGI_API_TOKEN_DAYS", default=30)
SINERGI_API_TOKEN_TOUCH_SECONDS = env.int("SINERGI_API_TOKEN_TOUCH_SECONDS", default=300)
# Keyed audit chain (issue 15, ADR 0010): the HMAC key lives outside the database — this variable, or the file
# SINERGI_AUDIT_KEY_FILE (default <data>/audit_key, created 0600 on first use). Rotated keys stay usable for
# verification in SINERGI_AUDIT_OLD_KEYS or <data>/audit_keys/*.key. Signed checkpoints are also appended to
# SINERGI_AUDIT_CHECKPOINT_FILE (default <data>/audit_checkpoints.jsonl), which the database cannot rewrite.
SINERGI_AUDIT_KEY = env.str("SINERGI_AUDIT_KEY", default="")
SINERGI_AUDIT_KEY_FILE = env.str("SINERGI_AUDIT_KEY_FILE", default="")
SINERGI_AUDIT_OLD_KEYS = env.list("SINERGI_AUDIT_OLD_KEYS", default=[])
SINERGI_AUDIT_CHECKPOINT_FILE = env.str("SINERGI_AUDIT_CHECKPOINT_FILE", default="")
# Encryption key for secrets stored in the database (TOTP device keys): this variable, or the file
# SINERGI_FIELD_KEY_FILE (default <data>/field_key, created 0600 on first use). Never stored in the database.
SINERGI_FIELD_KEY = env.str("SINERGI_FIELD_KEY", default="")
SINERGI_FIELD_KEY_FILE = env.str("SINERGI_FIELD_KEY_FILE", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("SINERGI_LOG_LEVEL", default="WARNING")},
}

# Data folder of the embedded deployment (SQLite database, generated secret, uploads).
DATA_DIR = Path(env.str("SINERGI_DATA_DIR", default=str(BASE_DIR / "var")))
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
# Files Sinergi creates (SQLite database and its WAL, uploads, imports, keys, checkpoints) are readable by its
# own user only: 0600 files, 0700 folders (issue 15). The process umask covers every writer; uploads through
# Django's storage also get explicit modes.
os.umask(0o077)
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700


def sqlite_database(path: Path) -> dict:
    """SQLite in WAL mode with a busy timeout, so the web server and the task worker share it; transactions queue
    for the write lock on a lock file (sinergi/core/db/sqlite3/base.py)."""
    return {
        "ENGINE": "sinergi.core.db.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }

# --- Input hardening (issue 15, docs/security.md) ---
# Uploads (TPS list, risk observations): refused above this size (bytes) or this many rows, before any work;
# XLSX sheets are read streaming and at most UPLOAD_MAX_COLUMNS columns wide.
SINERGI_UPLOAD_MAX_BYTES = env.int("SINERGI_UPLOAD_MAX_BYTES", default=25 * 1024 * 1024)
SINERGI_UPLOAD_MAX_ROWS = env.int("SINERGI_UPLOAD_MAX_ROWS", default=500_000)
SINERGI_UPLOAD_MAX_COLUMNS = env.int("SINERGI_UPLOAD_MAX_COLUMNS", default=200)
# Outbound HTTP (sinergi/core/outbound.py): internal addresses are refused unless listed here (CIDRs or host
# names, comma-separated); answers are read up to this many bytes.
SINERGI_OUTBOUND_ALLOW = env.list("SINERGI_OUTBOUND_ALLOW", default=[])
# Messaging channels (sinergi.messaging, docs/messaging.md). Credentials only here, from the environment; never in
# the database. A webhook whose secret is empty answers 503 (disabled); a send whose credentials are empty fails.
# SMS Gateway for Android: the webhook signing key, and the send URL (the device's or cloud's /message) + Basic auth.
SINERGI_SMSGW_SIGNING_KEY = env.str("SINERGI_SMSGW_SIGNING_KEY", default="")
SINERGI_SMSGW_SEND_URL = env.str("SINERGI_SMSGW_SEND_URL", default="")
SINERGI_SMSGW_USERNAME = env.str("SINERGI_SMSGW_USERNAME", default="")
SINERGI_SMSGW_PASSWORD = env.str("SINERGI_SMSGW_PASSWORD", default="")
# Telegram Bot API: the bot token (sendMessage) and the secret_token given to setWebhook.
SINERGI_TELEGRAM_BOT_TOKEN = env.str("SINERGI_TELEGRAM_BOT_TOKEN", default="")
SINERGI_TELEGRAM_WEBHOOK_SECRET = env.str("SINERGI_TELEGRAM_WEBHOOK_SECRET", default="")
SINERGI_TELEGRAM_API_BASE = env.str("SINERGI_TELEGRAM_API_BASE", default="https://api.telegram.org")
# WhatsApp Business Cloud API: access token + phone number id (sending), app secret (X-Hub-Signature-256) and
# the verify token typed into the app dashboard (GET hub.verify_token).
SINERGI_WHATSAPP_TOKEN = env.str("SINERGI_WHATSAPP_TOKEN", default="")
SINERGI_WHATSAPP_PHONE_NUMBER_ID = env.str("SINERGI_WHATSAPP_PHONE_NUMBER_ID", default="")
SINERGI_WHATSAPP_APP_SECRET = env.str("SINERGI_WHATSAPP_APP_SECRET", default="")
# Web Push (sinergi.messaging.webpush): the VAPID key pair that signs every push request (RFC 8292). The private
# key is a secret: from the environment (PEM or raw base64url) or from a 0600 file in the data folder that
# `python manage.py messaging_vapid_keys` (run by `sinergi up`) writes when none is configured; never in the
# database. The public key is derived from it and given to browsers. SUBJECT is the contact the push services see.
SINERGI_WEBPUSH_VAPID_PRIVATE_KEY = env.str("SINERGI_WEBPUSH_VAPID_PRIVATE_KEY", default="")
SINERGI_WEBPUSH_VAPID_KEY_FILE = env.str("SINERGI_WEBPUSH_VAPID_KEY_FILE", default=str(DATA_DIR / "vapid_private.pem"))
SINERGI_WEBPUSH_SUBJECT = env.str("SINERGI_WEBPUSH_SUBJECT", default="mailto:admin@sinergi.invalid")
SINERGI_WHATSAPP_VERIFY_TOKEN = env.str("SINERGI_WHATSAPP_VERIFY_TOKEN", default="")
SINERGI_WHATSAPP_API_BASE = env.str("SINERGI_WHATSAPP_API_BASE", default="https://graph.facebook.com/v21.0")
SINERGI_OUTBOUND_MAX_RESPONSE_BYTES = env.int("SINERGI_OUTBOUND_MAX_RESPONSE_BYTES", default=1024 * 1024)
# Reverse proxies (CIDRs) whose X-Forwarded-For / -Proto / X-Real-IP are believed; empty = nobody's.
SINERGI_TRUSTED_PROXIES = env.list("SINERGI_TRUSTED_PROXIES", default=[])
# Login lockout counts per client IP as resolved above (sinergi/core/clientip.py), not per raw header.
AXES_CLIENT_IP_CALLABLE = "sinergi.core.clientip.axes_client_ip"
# JSON request bodies: refused (400) when nested deeper than this.
SINERGI_JSON_MAX_DEPTH = env.int("SINERGI_JSON_MAX_DEPTH", default=64)
# One cache shared by every process (public form rate limit, the check-in cache's version): a folder under the
# data folder in the embedded default, Redis when REDIS_URL is set (production, several machines).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                      "LOCATION": env.str("SINERGI_CACHE_DIR", default=str(DATA_DIR / "cache")),
                      "OPTIONS": {"MAX_ENTRIES": 10_000}}}
if env.str("REDIS_URL", default=""):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": env.str("REDIS_URL"), "KEY_PREFIX": "sinergi"}}
# --- Production operations (issue 17, docs/operations-guide.md) ---
# Task workers beat every HEARTBEAT_S seconds; a RUNNING task whose worker was silent for LEASE_S seconds is
# released and run again, at most MAX_ATTEMPTS starts in all.
SINERGI_TASK_LEASE_S = env.float("SINERGI_TASK_LEASE_S", default=60.0)
SINERGI_TASK_HEARTBEAT_S = env.float("SINERGI_TASK_HEARTBEAT_S", default=5.0)
SINERGI_TASK_MAX_ATTEMPTS = env.int("SINERGI_TASK_MAX_ATTEMPTS", default=3)
# /metrics (Prometheus) answers to these addresses (CIDRs), or to "Authorization: Bearer <SINERGI_METRICS_TOKEN>".
SINERGI_METRICS_ALLOWED_IPS = env.list("SINERGI_METRICS_ALLOWED_IPS", default=["127.0.0.1/32", "::1/128"])
SINERGI_METRICS_TOKEN = env.str("SINERGI_METRICS_TOKEN", default="")
# Content-Security-Policy header (sinergi/core/csp.py): None = the built-in policy; a string replaces it (e.g. to
# allow a map tile server); "" sends no header.
SINERGI_CSP: str | None = None
MIDDLEWARE.insert(0, "sinergi.core.metrics.RequestMetricsMiddleware")  # first: latency includes all middleware
MIDDLEWARE.append("sinergi.core.middleware.DatabaseUnavailableMiddleware")  # database away: 503, not 500


def logging_config(fmt: str, level: str) -> dict:
    """Console logging; fmt "json" writes one JSON object per line (python-json-logger) for log collectors."""
    formatter = {"()": "pythonjsonlogger.json.JsonFormatter",
                 "fmt": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
                 "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger", "process": "pid"}} \
        if fmt == "json" else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "main"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"sinergi.loop": {"level": "INFO"}, "sinergi.worker": {"level": "INFO"},
                    "sinergi.supervisor": {"level": "INFO"}},
    }


SINERGI_LOG_FORMAT = env.str("SINERGI_LOG_FORMAT", default="text")
LOGGING = logging_config(SINERGI_LOG_FORMAT, env.str("SINERGI_LOG_LEVEL", default="WARNING"))
