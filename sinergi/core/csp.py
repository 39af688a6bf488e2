"""Content-Security-Policy on every response (no inline script anywhere: handlers live in static files).

Why: with `script-src 'self'` a script injected into a page (a report text, a note title that escaped
escaping) does not run. Styles may stay inline (Leaflet and htmx set style attributes). `SINERGI_CSP` replaces
the policy (an operator adding a map tile server, say); an empty value turns the header off.
"""

from __future__ import annotations

from django.conf import settings

DEFAULT_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                  "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
                  "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = DEFAULT_POLICY if settings.SINERGI_CSP is None else settings.SINERGI_CSP
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
