"""Test settings: SQLite by default, PostgreSQL when DATABASE_URL is set (the suite runs on both)."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import env, sqlite_database

SECRET_KEY = "test-only-" + "x" * 40  # noqa: S105 - used only by the test settings
DATA_DIR = Path(tempfile.mkdtemp(prefix="sinergi-test-"))
MEDIA_ROOT = DATA_DIR / "media"
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    DATABASES = {"default": sqlite_database(DATA_DIR / "test.sqlite3")}
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
# Argon2 stays on for the hasher test; the fast hasher is listed first so fixtures are quick.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
# Tasks run in-process so tests see their results; the database backend is tested separately.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
WHITENOISE_AUTOREFRESH = True
AXES_ENABLED = True
# Tests that exercise two-factor sign-in turn it on with the `settings` fixture; others log in with passwords.
SINERGI_OTP_REQUIRED_ROLES: list[str] = []
# The shared cache lives in this run's data folder (a child process of a test is pointed at it by env).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                      "LOCATION": env.str("SINERGI_CACHE_DIR", default=str(DATA_DIR / "cache"))}}
# In-process consumer tests use the in-memory layer; the shared layer is tested against a real server.
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
