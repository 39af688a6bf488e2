"""Production: refuses to start without SECRET_KEY and DATABASE_URL."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

_missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not env.str(name, default="")]
if _missing:
    raise ImproperlyConfigured(
        "Sinergi production settings need these environment variables: " + ", ".join(_missing)
    )
SECRET_KEY = env.str("SECRET_KEY")
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long")
DATABASES = {"default": env.db("DATABASE_URL")}
DEBUG = False
SESSION_COOKIE_SECURE = env.bool("SINERGI_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")]},
    }
}
# HTTPS (issue 15, docs/security.md): redirect plain HTTP and send HSTS. Behind a TLS-terminating proxy, list it
# in SINERGI_TRUSTED_PROXIES: its X-Forwarded-Proto then marks HTTPS requests (from anyone else the header is
# dropped by TrustedProxyMiddleware, so it cannot fake HTTPS). An operator whose proxy redirects already may
# set SINERGI_SSL_REDIRECT=0.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SINERGI_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SINERGI_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SINERGI_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SINERGI_HSTS_PRELOAD", default=True)
# Structured logs: one JSON object per line on stderr (journald / any collector); SINERGI_LOG_FORMAT=text to read.
SINERGI_LOG_FORMAT = env.str("SINERGI_LOG_FORMAT", default="json")
LOGGING = logging_config(SINERGI_LOG_FORMAT, env.str("SINERGI_LOG_LEVEL", default="INFO"))  # noqa: F405
# Health, readiness and metrics answer on plain HTTP too (load balancers and Prometheus probe the process
# directly), whatever the HTTPS redirect setting.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
