"""Session expiry: 30 minutes idle and 12 hours absolute (both configurable)."""

import time

from django.conf import settings
from django.contrib.auth import logout


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            started = request.session.get("_sinergi_started", now)
            last = request.session.get("_sinergi_last", now)
            if now - last > settings.SESSION_IDLE_TIMEOUT or now - started > settings.SESSION_ABSOLUTE_TIMEOUT:
                logout(request)
            else:
                request.session["_sinergi_started"] = started
                request.session["_sinergi_last"] = now
        return self.get_response(request)
