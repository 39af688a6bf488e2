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
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

from django.core.wsgi import get_wsgi_application  # noqa: E402

django_application = get_wsgi_application()

from django.core import signals  # noqa: E402

from sinergi.core.clientip import strip_untrusted  # noqa: E402

from . import groupcommit  # noqa: E402
from .lane import PATH, STATUS, answer, is_secure, log, parse_entry, security_headers, takes  # noqa: E402
from .services import GroupEntry, report_store_group  # noqa: E402

_takes = takes  # the lane's checks (sinergi/incidents/lane.py), shared with the ASGI lane


def _store_here(entry: GroupEntry, environ):
    signals.request_started.send(sender=application, environ=environ)
    try:
        return report_store_group(entries=[entry])[0]
    finally:
        signals.request_finished.send(sender=application)


def application(environ, start_response):
    strip_untrusted(environ)  # proxy headers (X-Forwarded-Proto/-Host...) only from SINERGI_TRUSTED_PROXIES
    if not takes(environ):
        return django_application(environ, start_response)
    body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    entry = parse_entry(body, environ["HTTP_AUTHORIZATION"].split()[1])
    out = None
    if entry is not None:
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
    status, payload = answer(out)
    start_response(STATUS[status], [("Content-Type", "application/json"), ("Content-Length", str(len(payload))),
                                    *security_headers(is_secure(environ))])
    return [payload]
