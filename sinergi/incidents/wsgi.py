"""WSGI entry point with a fast lane for single-report intake (for gunicorn: `sinergi.incidents.wsgi:application`).

POST /api/v1/incident-reports/ with an API token and a JSON body is answered here without
Django's request/response objects, URL resolution and middleware stack (about a third of the server's CPU per
report). Everything else — and every such request the lane does not take as the plain case (see
intake.parse) — goes to the normal Django application with the body untouched, so the API contract is the
same. What the middleware would contribute to this response is done here: the host is checked against
ALLOWED_HOSTS, plain HTTP is left to Django when SECURE_SSL_REDIRECT is on, and the response carries the same
security headers (nosniff, referrer and opener policies, X-Frame-Options, HSTS over HTTPS). With group
commit on (the setting for threaded servers) the request thread does not touch the database: the writer
authenticates the token, stores the row with its audit event and commits before the 201 is sent; without it
the request thread does the same for a group of one, between Django's request_started/request_finished
signals (database connection upkeep) like any request.
"""

from __future__ import annotations

import io
import json
import logging
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

from django.core.wsgi import get_wsgi_application  # noqa: E402

django_application = get_wsgi_application()

from django.conf import settings  # noqa: E402
from django.core import signals  # noqa: E402
from django.http.request import split_domain_port, validate_host  # noqa: E402

from sinergi.core import jsonsafe  # noqa: E402
from sinergi.core.clientip import strip_untrusted  # noqa: E402

from . import groupcommit, intake  # noqa: E402
from .services import GroupEntry, report_store_group  # noqa: E402

PATH = "/api/v1/incident-reports/"
log = logging.getLogger("django.request")
_STATUS = {201: "201 Created", 200: "200 OK"}


def _security_headers(secure: bool) -> list[tuple[str, str]]:
    out = [("Vary", "Accept"), ("Allow", "GET, POST, HEAD, OPTIONS")]
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        out.append(("X-Content-Type-Options", "nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        policy = settings.SECURE_REFERRER_POLICY
        out.append(("Referrer-Policy", policy if isinstance(policy, str) else ",".join(policy)))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        out.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
    if settings.X_FRAME_OPTIONS:
        out.append(("X-Frame-Options", settings.X_FRAME_OPTIONS.upper()))
    if secure and settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            hsts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            hsts += "; preload"
        out.append(("Strict-Transport-Security", hsts))
    return out


def _is_secure(environ) -> bool:
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = environ.get(header)
        if value is not None:
            return value.split(",", 1)[0].strip() == secure_value
    return environ.get("wsgi.url_scheme") == "https"


def _host_allowed(environ) -> bool:
    if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in environ:
        host = environ["HTTP_X_FORWARDED_HOST"]
    else:
        host = environ.get("HTTP_HOST", "")
    domain, _port = split_domain_port(host)
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)


def _takes(environ) -> bool:
    """The plain case only; anything unusual goes to Django untouched (nothing read yet)."""
    if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != PATH or environ.get("SCRIPT_NAME"):
        return False
    if environ.get("HTTP_X_SINERGI_LATIHAN"):  # exercise reports go through Django (its exercise middleware)
        return False
    if not intake.lean_enabled() or settings.FORCE_SCRIPT_NAME:
        return False
    if not intake.plain_request(environ.get("HTTP_ACCEPT", ""), environ.get("QUERY_STRING", "")):
        return False
    ctype, _, params = environ.get("CONTENT_TYPE", "").partition(";")
    if ctype.strip().lower() != "application/json" or params.strip().lower() not in ("", "charset=utf-8"):
        return False
    parts = environ.get("HTTP_AUTHORIZATION", "").split()
    if len(parts) != 2 or parts[0].lower() != "token":
        return False
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    if not 0 < length <= (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or length):
        return False
    if settings.SECURE_SSL_REDIRECT and not _is_secure(environ):
        return False
    return _host_allowed(environ)


def _store_here(entry: GroupEntry, environ):
    signals.request_started.send(sender=application, environ=environ)
    try:
        return report_store_group(entries=[entry])[0]
    finally:
        signals.request_finished.send(sender=application)


def application(environ, start_response):
    strip_untrusted(environ)  # proxy headers (X-Forwarded-Proto/-Host...) only from SINERGI_TRUSTED_PROXIES
    if not _takes(environ):
        return django_application(environ, start_response)
    body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    data = None
    try:
        data = intake.parse(jsonsafe.loads(body))
    except ValueError:  # malformed, too deep or not UTF-8: Django's view explains (400)
        data = None
    out = None
    if data is not None:
        entry = GroupEntry(data=data, token=environ["HTTP_AUTHORIZATION"].split()[1])
        try:
            out = groupcommit.submit_entry(entry) if groupcommit.enabled() else _store_here(entry, environ)
        except Exception:  # nothing was claimed stored: a 500, as Django would answer
            log.exception("Internal Server Error: %s", PATH)
            payload = b'{"detail":"Kesalahan server."}'
            start_response("500 Internal Server Error", [("Content-Type", "application/json"),
                                                         ("Content-Length", str(len(payload)))])
            return [payload]
    if out is None or out.status == "refused":
        environ["wsgi.input"] = io.BytesIO(body)
        return django_application(environ, start_response)
    payload = json.dumps({"id": out.report_id, "key": out.key, "status": out.status, "incident": out.incident_id},
                         separators=(",", ":"), ensure_ascii=False).encode()
    start_response(_STATUS[201 if out.status == "accepted" else 200],
                   [("Content-Type", "application/json"), ("Content-Length", str(len(payload))),
                    *_security_headers(_is_secure(environ))])
    return [payload]
