"""API errors now live in sinergi.core.api_errors (below the apps whose api.py modules use them)."""

from sinergi.core.api_errors import call_service, exception_handler  # noqa: F401
