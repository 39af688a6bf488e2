"""The intake fast lane: an adapter of the one intake service for its commonest request (docs/adr/0003).

POST /api/v1/incident-reports/ with an API token and a plain JSON body is parsed into the same `ReportInput` every
channel builds (`intake.parse`: only what the API serializer accepts unchanged, else the request goes to Django,
which explains with its usual 400/401/403) and handed to the same service (`services.report_store_group`, through
this process' group-commit writer, sinergi/incidents/groupcommit.py), which authenticates the token, validates,
stores and audits. Only the HTTP plumbing is done here instead of by Django's request objects, URL resolution and
middleware stack — the host check, the SSL redirect left to Django, and the middleware's security headers — for
the two servers:

- `asgi(app)`: in front of Django's ASGI application (config/asgi.py, what `sinergi up` and `sinergi serve`
  serve). Django runs a sync view in one thread per process, so without the lane a server process stores one
  report at a time; through the lane the event loop hands every report to the writer thread, which commits the
  reports of all concurrent requests together (group commit on, as `sinergi up` and `sinergi serve` set it; off,
  a group of one is stored in Django's thread for sync code).
- the WSGI application in sinergi/incidents/wsgi.py (gunicorn with threads).

Every other request, and every intake request the lane does not take, goes to Django with its body untouched.
"""

from __future__ import annotations

import asyncio
import json
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http.request import split_domain_port, validate_host

from sinergi.core import jsonsafe
from sinergi.core.clientip import strip_untrusted

from . import groupcommit, intake
from .services import GroupEntry, GroupOutcome, report_store_group

PATH = "/api/v1/incident-reports/"
log = logging.getLogger("django.request")
STATUS = {201: "201 Created", 200: "200 OK"}
ERROR_BODY = b'{"detail":"Kesalahan server."}'


def security_headers(secure: bool) -> list[tuple[str, str]]:
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


def is_secure(environ) -> bool:
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = environ.get(header)
        if value is not None:
            return value.split(",", 1)[0].strip() == secure_value
    return environ.get("wsgi.url_scheme") == "https"


def host_allowed(environ) -> bool:
    if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in environ:
        host = environ["HTTP_X_FORWARDED_HOST"]
    else:
        host = environ.get("HTTP_HOST", "")
    domain, _port = split_domain_port(host)
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)


def takes(environ) -> bool:
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
    if settings.SECURE_SSL_REDIRECT and not is_secure(environ):
        return False
    return host_allowed(environ)


def parse_entry(body: bytes, token: str) -> GroupEntry | None:
    """The report of a request the lane took, or None (Django answers: malformed, too deep, unusual input)."""
    try:
        data = intake.parse(jsonsafe.loads(body))
    except ValueError:
        return None
    return GroupEntry(data=data, token=token) if data is not None else None


def answer(out: GroupOutcome) -> tuple[int, bytes]:
    payload = json.dumps({"id": out.report_id, "key": out.key, "status": out.status, "incident": out.incident_id},
                         separators=(",", ":"), ensure_ascii=False).encode()
    return (201 if out.status == "accepted" else 200), payload


def _environ(scope) -> dict:
    """The WSGI-style view of an ASGI request that `takes` and the header helpers read."""
    env = {"REQUEST_METHOD": scope.get("method", ""), "PATH_INFO": scope.get("path", ""),
           "SCRIPT_NAME": scope.get("root_path", ""), "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
           "wsgi.url_scheme": scope.get("scheme", "http"),
           "REMOTE_ADDR": (scope.get("client") or ("", 0))[0]}
    for k, v in scope.get("headers", []):
        name = k.decode("latin-1").upper().replace("-", "_")
        value = v.decode("latin-1")
        if name == "CONTENT_TYPE":
            env["CONTENT_TYPE"] = value
        elif name == "CONTENT_LENGTH":
            env["CONTENT_LENGTH"] = value
        else:
            key = "HTTP_" + name
            env[key] = f"{env[key]},{value}" if key in env else value
    return env


def asgi(app):
    """ASGI middleware: the lane for the plain intake request, Django (`app`) for everything else."""

    async def application(scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "POST" or scope.get("path") != PATH:
            return await app(scope, receive, send)
        environ = _environ(scope)
        strip_untrusted(environ)
        if not takes(environ) or groupcommit.in_exercise():
            return await app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        entry = parse_entry(body, environ["HTTP_AUTHORIZATION"].split()[1])
        out = None
        if entry is not None:
            try:
                if groupcommit.enabled():  # `sinergi up` / `sinergi serve`: the writer commits concurrent reports together
                    out = await asyncio.wrap_future(groupcommit.submit_entry_future(entry))
                else:  # a group of one, in Django's thread for sync code (as a view would)
                    out = (await sync_to_async(report_store_group, thread_sensitive=True)(entries=[entry]))[0]
            except Exception:  # nothing was claimed stored: a 500, as Django would answer
                log.exception("Internal Server Error: %s", PATH)
                await send({"type": "http.response.start", "status": 500, "headers": [
                    (b"content-type", b"application/json"), (b"content-length", str(len(ERROR_BODY)).encode())]})
                await send({"type": "http.response.body", "body": ERROR_BODY})
                return
        if out is None or out.status == "refused":
            replayed = False

            async def replay():
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            return await app(scope, replay, send)
        status, payload = answer(out)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        headers += [(k.lower().encode("latin-1"), v.encode("latin-1"))
                    for k, v in security_headers(is_secure(environ))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    return application
