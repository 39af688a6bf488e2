"""WSGI entry point (gunicorn etc.): Django, with the incident-intake fast lane in front of it
(sinergi/incidents/wsgi.py: plain token POSTs to /api/v1/incident-reports/ skip the middleware stack with the
same checks and answers; every other request goes to Django unchanged). The embedded default (`sinergi up`)
serves config/asgi.py instead."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

from sinergi.incidents.wsgi import application  # noqa: E402

__all__ = ["application"]
