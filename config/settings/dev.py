"""Embedded default: SQLite in the data folder, a secret generated once and kept there."""

import secrets

from .base import *  # noqa: F403
from .base import DATA_DIR, env, sqlite_database

DATA_DIR.mkdir(parents=True, exist_ok=True)
DATA_DIR.chmod(0o700)  # database, uploads, keys: for Sinergi's own user only (issue 15)
STATIC_ROOT = DATA_DIR / "static"  # WhiteNoise serves from the finders; the folder only has to exist
STATIC_ROOT.mkdir(exist_ok=True)
_secret_file = DATA_DIR / "secret_key"
if not _secret_file.exists():
    _secret_file.write_text(secrets.token_urlsafe(64))
    _secret_file.chmod(0o600)
SECRET_KEY = env.str("SECRET_KEY", default="") or _secret_file.read_text().strip()

if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    DATABASES = {"default": sqlite_database(DATA_DIR / "sinergi.sqlite3")}
    # Each server thread keeps its connection between requests (the web server's threads are long-lived,
    # sinergi.core.asgi_threads; opening a connection cost a check-in several ms). SQLite holds no lock between
    # transactions.
    DATABASES["default"]["CONN_MAX_AGE"] = 600
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    for _db_file in DATA_DIR.glob("sinergi.sqlite3*"):  # databases created before the umask: 0644 -> 0600
        _db_file.chmod(0o600)
