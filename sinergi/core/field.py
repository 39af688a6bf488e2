"""The installable field app (issue 16): web app manifest and the one service worker, served from the site root so
its scope covers every field page. The worker precaches the field pages' static files (hashed names) and keeps a
copy of each field page it has seen online (network first, the copy when offline); submissions made offline wait in
the shared outbox (sinergi/static/js/outbox.js, IndexedDB) and go out in order when the phone is online again.

Sessions are not stretched for this: a field page shown offline is the copy kept by the worker; what is typed is
sent with the session cookie once online; if the session expired meanwhile the outbox keeps every item and asks
the officer to sign in again, then sends them (docs/field-app.md).
"""

from __future__ import annotations

import hashlib
import json
import re

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

# Field pages: (url name, kept ahead of time when the officer may open it). The escort form is per movement:
# kept when opened online.
FIELD_PAGES = ["operations:checkin", "personnel:status", "incidents:report_new", "incidents:report_public",
               "risk:observations"]
FIELD_PATTERNS = [("logistics:record", [987654321])]
PRECACHE_STATIC = ["css/sinergi.css", "vendor/htmx/htmx.min.js", "js/picker.js", "js/page.js", "js/outbox.js",
                   "operations/checkin.js", "personnel/status.js", "img/favicon.svg", "img/icon-192.png"]


def _config() -> dict:
    pages = [reverse(name) for name in FIELD_PAGES]
    patterns = ["^" + re.escape(p) + "$" for p in pages]
    for name, args in FIELD_PATTERNS:
        url = re.escape(reverse(name, args=args))
        for a in args:
            url = url.replace(str(a), r"\d+")
        patterns.append("^" + url + "$")
    assets = [static(p) for p in PRECACHE_STATIC]
    return {"pages": pages, "patterns": patterns, "assets": assets, "static": settings.STATIC_URL,
            "login": reverse(settings.LOGIN_URL)}


@require_GET
def service_worker(request):
    config = _config()
    body = render_to_string("core/sw.js", {"config": json.dumps(config)})
    version = hashlib.sha256(body.encode()).hexdigest()[:12]
    body = body.replace("__VERSION__", version)
    resp = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    resp["Service-Worker-Allowed"] = "/"
    resp["Cache-Control"] = "no-cache"  # the browser checks for a new worker at every field page visit
    return resp


@require_GET
def manifest(request):
    data = {
        "name": "Sinergi — lapangan", "short_name": "Sinergi", "lang": "id",
        "description": "Lapor TPS, status, insiden, pengawalan dan pengamatan — juga tanpa sinyal.",
        "start_url": reverse("operations:checkin"), "scope": "/", "display": "standalone",
        "background_color": "#ffffff", "theme_color": "#1f3a5f",
        "icons": [{"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any maskable"},
                  {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any maskable"}],
        "shortcuts": [{"name": "Lapor TPS", "url": reverse("operations:checkin")},
                      {"name": "Status saya", "url": reverse("personnel:status")},
                      {"name": "Laporan petugas", "url": reverse("incidents:report_new")}],
    }
    resp = JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
    resp["Cache-Control"] = "max-age=3600"
    return resp
